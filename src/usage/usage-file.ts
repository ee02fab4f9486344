import { decodeCsvLine, encodeCsvRow } from '../snapshot/csv-codec.js'
import { Column } from '../snapshot/row.js'
import type { SpooledRow } from '../snapshot/spooled-row.js'
import type { AuditRecord } from '../m365/audit-record.js'
import { readPowerAppLaunch } from './power-app-launch.js'
import { PowerAppsUsage, usageTable, type UsageRow } from './power-apps-usage.js'

/**
 * A usage file: RFC 4180, UTF-8, CRLF, header row, quoted where needed, the same dialect as
 * the day files (display names carry commas, quotes and line breaks).
 */
export function renderUsageCsv(rows: readonly UsageRow[]): Buffer {
  return Buffer.concat(usageTable(rows).map(encodeCsvRow))
}

/**
 * Counts the launches among a day's rows as they stream past (the merged day, one row per
 * record): a row is parsed only when its Operation column says LaunchPowerApp, every
 * other row costs a look at a few bytes.
 */
export class DayUsageCounter {
  readonly usage: PowerAppsUsage

  constructor(day: string) {
    this.usage = new PowerAppsUsage(day)
  }

  /** Counts a row if it is a launch. The row's bytes are only read, never kept or changed. */
  observe(row: SpooledRow): void {
    if (!operationIsLaunch(row.payload)) return
    const record = auditDataOf(row.payload)
    const launch = record && readPowerAppLaunch(record)
    if (launch) this.usage.add(launch, row.time, row.id)
  }
}

const QUOTE = 0x22
const COMMA = 0x2c
const LAUNCH = Buffer.from('launchpowerapp', 'latin1')

/**
 * Whether the Operation field of a day-file CSV line reads LaunchPowerApp (in any case).
 * The fields before it (Id, CreationTime, RecordType) are stepped over, quoted or not.
 */
export function operationIsLaunch(line: Buffer): boolean {
  let at = 0
  for (let field = 0; field < Column.Operation; field++) {
    at = fieldEnd(line, at) + 1
    if (at <= 0 || at >= line.length) return false
  }
  // A quoted Operation (one holding a comma or a quote) cannot be LaunchPowerApp.
  const end = line.indexOf(COMMA, at)
  if (end - at !== LAUNCH.length || line[at] === QUOTE) return false
  for (let index = 0; index < LAUNCH.length; index++) {
    // ASCII letters only: OR 0x20 lower-cases them.
    if ((line[at + index]! | 0x20) !== LAUNCH[index]) return false
  }
  return true
}

/** The offset of the comma (or line end) that ends the field starting at `at`; -1 if the line is cut. */
function fieldEnd(line: Buffer, at: number): number {
  if (line[at] !== QUOTE) {
    const comma = line.indexOf(COMMA, at)
    return comma < 0 ? line.length : comma
  }
  for (let scan = at + 1; ; ) {
    const quote = line.indexOf(QUOTE, scan)
    if (quote < 0) return -1
    if (line[quote + 1] === QUOTE) scan = quote + 2
    else return quote + 1
  }
}

/** The record in a row's AuditData column, or undefined when it is not a JSON object. */
function auditDataOf(line: Buffer): AuditRecord | undefined {
  // decodeCsvLine undoubles quotes in place: it gets a copy, the row's bytes stay as they are.
  const fields = decodeCsvLine(Buffer.from(line))
  const json = fields[Column.AuditData]
  if (!json) return undefined
  try {
    const record: unknown = JSON.parse(json.toString('utf8'))
    return record && typeof record === 'object' && !Array.isArray(record) ? (record as AuditRecord) : undefined
  } catch {
    return undefined
  }
}
