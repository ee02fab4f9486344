import { normalizeCreationTime, recordId, type AuditRecord } from '../m365/audit-record.js'

/** Columns of an audit snapshot, in file order, named as the API names them. */
export const SNAPSHOT_COLUMNS = [
  'Id',
  'CreationTime',
  'RecordType',
  'Operation',
  'Workload',
  'UserId',
  'UserType',
  'UserKey',
  'OrganizationId',
  'ResultStatus',
  'ObjectId',
  'ClientIP',
  'AuditData'
] as const

/** The columns taken from a record's top-level fields: all but AuditData (the record itself). */
export const SCANNED_COLUMNS = SNAPSHOT_COLUMNS.slice(0, -1)

/** A snapshot row: one string per column of SNAPSHOT_COLUMNS. */
export type SnapshotRow = string[]

/** Index of each column in a SnapshotRow. */
export const Column = Object.fromEntries(SNAPSHOT_COLUMNS.map((name, index) => [name, index])) as {
  readonly [Name in (typeof SNAPSHOT_COLUMNS)[number]]: number
}

/**
 * The snapshot row of a record placed at `creationTime` (its own CreationTime, normalised, or
 * where the run placed a record that has none). `AuditData` is the record's JSON with its keys
 * in the order the API served them.
 */
export function toSnapshotRow(record: AuditRecord, creationTime: string, id: string = recordId(record)): SnapshotRow {
  return [
    id,
    creationTime,
    cell(record.RecordType),
    cell(record.Operation),
    cell(record.Workload),
    cell(record.UserId),
    cell(record.UserType),
    cell(record.UserKey),
    cell(record.OrganizationId),
    cell(record.ResultStatus),
    cell(record.ObjectId),
    cell(record.ClientIP),
    JSON.stringify(record)
  ]
}

/** The record's own CreationTime as `YYYY-MM-DDTHH:MM:SSZ`, or undefined when it has none. */
export function recordTime(record: AuditRecord): string | undefined {
  return normalizeCreationTime(record.CreationTime)
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** The UTC day (`YYYY-MM-DD`) of a `YYYY-MM-DDTHH:MM:SSZ` time. */
export function dayOf(time: string): string {
  return time.slice(0, 10)
}
