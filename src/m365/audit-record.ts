import { createHash } from 'node:crypto'

/**
 * One audit record as the API returns it: the common schema's fields plus whatever the
 * workload adds. Only `Id` and `CreationTime` matter for placement; the rest is carried.
 */
export type AuditRecord = Record<string, unknown>

/** Columns of an audit snapshot, in file order, named as the API names them (DESIGN.md §2). */
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

/** A snapshot row: one string per column of SNAPSHOT_COLUMNS. */
export type SnapshotRow = string[]

/** Index of each column in a SnapshotRow. */
export const Column = Object.fromEntries(SNAPSHOT_COLUMNS.map((name, index) => [name, index])) as {
  readonly [Name in (typeof SNAPSHOT_COLUMNS)[number]]: number
}

const NAIVE_OR_ZONED = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * `CreationTime` as `YYYY-MM-DDTHH:MM:SSZ`. The API sends it without a zone, and it is UTC;
 * a zone, if present, is honoured. Undefined when the value is not a time.
 */
export function normalizeCreationTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = NAIVE_OR_ZONED.exec(value.trim())
  if (!match) return undefined
  const [, day, time, , zone] = match
  const instant = new Date(`${day}T${time}${zone ?? 'Z'}`)
  if (Number.isNaN(instant.getTime())) return undefined
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * The record as canonical JSON: keys sorted at every level. The API repeats records with
 * their keys in another order; canonical text makes a record's bytes the same whichever
 * copy arrived first, so snapshots are reproducible.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
    return sorted
  }
  return value
}

/**
 * The identity of a record for de-duplication: its `Id`, lower-cased (a GUID). A record
 * without one, which the schema does not allow but a workload might still send, is keyed by
 * the hash of its canonical JSON so that it is kept once rather than dropped.
 */
export function recordId(record: AuditRecord): string {
  const id = record.Id
  if (typeof id === 'string' && id.trim() !== '') return id.trim().toLowerCase()
  return `sha256-${createHash('sha256').update(canonicalJson(record)).digest('hex').slice(0, 32)}`
}

/**
 * The snapshot row of a record. `fallbackTime` places a record whose CreationTime is
 * missing or unreadable (the blob's contentCreated): every record lands in some day's file.
 */
export function toSnapshotRow(record: AuditRecord, fallbackTime: string): SnapshotRow {
  const creationTime = normalizeCreationTime(record.CreationTime) ?? fallbackTime
  return SNAPSHOT_COLUMNS.map((column) => {
    switch (column) {
      case 'Id':
        return recordId(record)
      case 'CreationTime':
        return creationTime
      case 'AuditData':
        return canonicalJson(record)
      default:
        return cell(record[column])
    }
  })
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** The UTC day (`YYYY-MM-DD`) a row belongs to. */
export function rowDay(row: SnapshotRow): string {
  return (row[Column.CreationTime] ?? '').slice(0, 10)
}
