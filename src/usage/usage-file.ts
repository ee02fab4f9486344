import { decodeCsvLine, encodeCsvRow } from '../snapshot/csv-codec.js'
import { decodeFieldFrame } from '../snapshot/field-frame.js'
import { Column } from '../snapshot/row.js'
import type { SnapshotFormat } from '../state/manifest.js'
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

  constructor(
    day: string,
    /** The payload of the rows shown (see row-payload.ts): CSV lines, or field frames for Parquet. */
    private readonly format: SnapshotFormat = 'csv'
  ) {
    this.usage = new PowerAppsUsage(day)
  }

  /** Counts a row if it is a launch. The row's bytes are only read, never kept or changed. */
  observe(row: SpooledRow): void {
    let json: Buffer | undefined
    if (this.format === 'csv') {
      if (!operationIsLaunch(row.payload)) return
      json = decodeCsvLine(Buffer.from(row.payload))[Column.AuditData]
    } else {
      // A frame's fields are views: looking at Operation costs no copy.
      const fields = decodeFieldFrame(row.payload)
      if (!isLaunch(fields[Column.Operation]!, 0, fields[Column.Operation]!.length)) return
      json = fields[Column.AuditData]
    }
    const record = json && auditRecordOf(json)
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
  return line[at] !== QUOTE && isLaunch(line, at, line.indexOf(COMMA, at))
}

/** Whether `bytes[start, end)` spells LaunchPowerApp, in any case. */
function isLaunch(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== LAUNCH.length) return false
  for (let index = 0; index < LAUNCH.length; index++) {
    // ASCII letters only: OR 0x20 lower-cases them.
    if ((bytes[start + index]! | 0x20) !== LAUNCH[index]) return false
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

/** The record in a row's AuditData, or undefined when it is not a JSON object. */
function auditRecordOf(json: Buffer): AuditRecord | undefined {
  try {
    const record: unknown = JSON.parse(json.toString('utf8'))
    return record && typeof record === 'object' && !Array.isArray(record) ? (record as AuditRecord) : undefined
  } catch {
    return undefined
  }
}
