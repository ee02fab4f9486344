import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import { Column } from '../record/columns.js'
import type { AuditRecord } from '../record/audit-record.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import type { DayObserver, DayWatch } from '../snapshot/day-observer.js'
import { encodeCsvRow } from '../snapshot/format/csv.js'
import type { SnapshotFormat } from '../snapshot/format/snapshot-format.js'
import { readPowerAppLaunch } from './power-app-launch.js'
import {
  PowerAppsUsage,
  usagePath,
  usageStatePath,
  usageTable,
  type UsageRow,
  type UsageState
} from './power-apps-usage.js'

/** The content type that carries Power Apps launches. */
const USAGE_CONTENT_TYPE: ContentType = 'Audit.General'

/**
 * Power Apps usage as a day observer: every Audit.General day a commit changes gets its usage
 * file counted again, so that late events and imports keep it exact. A day the branch holds
 * without a usage file (written before usage existed) gets one when a run brings it records,
 * even known ones.
 */
export function powerAppsUsageObserver(): DayObserver {
  return {
    title: 'Power Apps usage',
    folder: 'usage/power-apps/',
    watch: async (type, day, branch, wholeDay, format) =>
      type === USAGE_CONTENT_TYPE ? watchDay(day, branch, format, wholeDay) : undefined,
    stateOf: (type, day) => (type === USAGE_CONTENT_TYPE ? [usageStatePath(day)] : [])
  }
}

/**
 * A day's usage file, recounted: from every row of the day when the commit shows them all or
 * when the day's state is missing (a day written before states existed), else from the state
 * and the rows the commit adds. The state is kept while the day can grow, and removed once
 * it settles (a later addition to a settled day compacts it, which shows every row).
 */
async function watchDay(
  day: string,
  branch: BranchFiles,
  format: SnapshotFormat,
  wholeDay: boolean
): Promise<DayWatch> {
  const path = usagePath(day)
  const statePath = usageStatePath(day)
  const [csvNow, stateNow] = await Promise.all([branch.read(path), branch.read(statePath)])
  const state = wholeDay || !csvNow ? undefined : parseState(stateNow)
  const usage = state ? PowerAppsUsage.fromState(state) : new PowerAppsUsage(day)
  const needsWholeDay = !wholeDay && !state
  return {
    needsWholeDay,
    observe: (row) => countLaunch(usage, row, format),
    files(added, settled) {
      const files = new Map<string, FileContent | null>()
      const set = (target: string, now: Buffer | undefined, next: Buffer | null): void => {
        if (next ? !now?.equals(next) : now !== undefined) files.set(target, next)
      }
      // The usage is the whole day's when rows came, or when the day was counted whole (a day
      // the branch held before usage existed, with no usage file, always is: it has no state).
      const counted = added > 0 || wholeDay || needsWholeDay
      if (counted) set(path, csvNow, usage.launches > 0 ? renderUsageCsv(usage.rows()) : null)
      if (settled) set(statePath, stateNow, null)
      else if (counted)
        set(statePath, stateNow, usage.launches > 0 ? Buffer.from(`${JSON.stringify(usage.toState())}\n`) : null)
      return files
    }
  }
}

/** A day's usage state, or undefined when there is none or it is not one (the day is then recounted). */
function parseState(bytes: Buffer | undefined): UsageState | undefined {
  if (bytes === undefined) return undefined
  try {
    const state = JSON.parse(bytes.toString('utf8')) as Partial<UsageState>
    const valid = state.version === 1 && Array.isArray(state.apps) && state.appNames && state.environmentNames
    return valid ? (state as UsageState) : undefined
  } catch {
    return undefined
  }
}

/**
 * Counts a row of a day if it is a launch: a row is parsed only when its Operation column
 * says LaunchPowerApp, every other row costs a look at a few bytes. The row's bytes are only
 * read, never kept or changed.
 */
export function countLaunch(usage: PowerAppsUsage, row: KeyedRow, format: SnapshotFormat): void {
  if (!isLaunch(format.field(row.payload, Column.Operation))) return
  const record = auditRecordOf(format.field(row.payload, Column.AuditData))
  const launch = record && readPowerAppLaunch(record)
  if (launch) usage.add(launch, row.time, row.id)
}

/**
 * A usage file: RFC 4180, UTF-8, CRLF, header row, quoted where needed, the same dialect as
 * the day files (display names carry commas, quotes and line breaks).
 */
export function renderUsageCsv(rows: readonly UsageRow[]): Buffer {
  return Buffer.concat(usageTable(rows).map(encodeCsvRow))
}

const LAUNCH = Buffer.from('launchpowerapp', 'latin1')

/** Whether an Operation value spells LaunchPowerApp, in any case. */
function isLaunch(operation: Uint8Array): boolean {
  if (operation.length !== LAUNCH.length) return false
  for (let index = 0; index < LAUNCH.length; index++) {
    // ASCII letters only: OR 0x20 lower-cases them.
    if ((operation[index]! | 0x20) !== LAUNCH[index]) return false
  }
  return true
}

/** The record in a row's AuditData, or undefined when it is not a JSON object. */
function auditRecordOf(json: Buffer): AuditRecord | undefined {
  try {
    const record: unknown = JSON.parse(json.toString('utf8'))
    return record && typeof record === 'object' && !Array.isArray(record) ? (record as AuditRecord) : undefined
  } catch {
    return undefined
  }
}
