import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import { Column } from '../record/columns.js'
import type { AuditRecord } from '../record/audit-record.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import type { DayObserver, DayWatch } from '../snapshot/day-observer.js'
import { encodeCsvRow } from '../snapshot/format/csv.js'
import type { SnapshotFormat } from '../snapshot/format/snapshot-format.js'
import { readPowerAppLaunch } from './power-app-launch.js'
import { PowerAppsUsage, usagePath, usageTable, type UsageRow } from './power-apps-usage.js'

/** The content type that carries Power Apps launches. */
const USAGE_CONTENT_TYPE: ContentType = 'Audit.General'

/**
 * Power Apps usage as a day observer: every Audit.General day a commit changes gets its usage
 * file recounted from the whole merged day, so that late events and imports keep it exact. A
 * day the branch holds without a usage file (written before usage existed) gets one when a
 * run brings it records, even known ones. `format` is the day files' format: rows are read
 * through it.
 */
export function powerAppsUsageObserver(format: SnapshotFormat): DayObserver {
  return {
    title: 'Power Apps usage',
    folder: 'usage/power-apps/',
    watch: (type, day, branch) => (type === USAGE_CONTENT_TYPE ? watchDay(day, branch, format) : undefined)
  }
}

function watchDay(day: string, branch: BranchFiles, format: SnapshotFormat): DayWatch {
  const path = usagePath(day)
  const exists = branch.has(path)
  const usage = new PowerAppsUsage(day)
  return {
    needsUnchangedDay: !exists,
    observe: (row) => countLaunch(usage, row, format),
    files(added) {
      const files = new Map<string, FileContent | null>()
      if (added === 0 && exists) return files
      if (usage.launches > 0) files.set(path, renderUsageCsv(usage.rows()))
      else if (exists) files.set(path, null)
      return files
    }
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
