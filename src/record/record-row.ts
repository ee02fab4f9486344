import type { FilterField, RecordMatcher } from './filter.js'
import { parseRecordType } from './record-types.js'
import { normalizeCreationTime, recordId, type AuditRecord } from './audit-record.js'
import { SCANNED_COLUMNS } from './columns.js'
import type { KeyedRow } from './keyed-row.js'
import { contentTypeOf, type ContentType } from './content-types.js'

/** What one AuditData object that came in no Management API blob becomes (a Purview export's, a Graph query's). */
export type ImportedRecord =
  { kind: 'row'; type: ContentType; row: KeyedRow } | { kind: 'filtered' } | { kind: 'bad'; reason: string }

/**
 * The snapshot row of a parsed AuditData object, as `importRecord` makes it: the one place
 * that turns a record which did not come in a Management API blob (a Purview export, a
 * Microsoft Graph audit log query) into a row, so each source lands a record the same way.
 */
export function auditRecordRow(
  record: AuditRecord,
  encode: (fields: readonly Uint8Array[]) => Buffer,
  keep?: RecordMatcher
): ImportedRecord {
  if (keep && !keep.matches((field: FilterField) => cell(record[field]))) return { kind: 'filtered' }
  const time = normalizeCreationTime(record.CreationTime)
  if (!time) {
    const shown =
      record.CreationTime === undefined
        ? 'no CreationTime'
        : `CreationTime ${JSON.stringify(record.CreationTime).slice(0, 40)}, not a time`
    return { kind: 'bad', reason: `AuditData has ${shown}` }
  }
  const id = recordId(record)
  const recordType = cell(record.RecordType)
  const type = contentTypeOf(cell(record.Workload), recordType === undefined ? undefined : parseRecordType(recordType))
  const columns = SCANNED_COLUMNS.slice(2).map((column) => cell(record[column]) ?? '')
  const payload = encode(utf8Fields([id, time, ...columns, JSON.stringify(record)]))
  return { kind: 'row', type, row: { time, id, payload } }
}

/** Where `utf8Fields` writes; the encoders copy what they are given into a buffer of their own. */
let scratch = Buffer.allocUnsafe(64 * 1024)

/**
 * Strings as UTF-8 views into one scratch buffer, good until the next call: a buffer per
 * field (two dozen a record) was a tenth of a Graph harvest's time.
 */
function utf8Fields(values: readonly string[]): Uint8Array[] {
  let most = 0
  for (const value of values) most += value.length * 3
  if (most > scratch.length) scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2))
  const fields: Uint8Array[] = []
  let offset = 0
  for (const value of values) {
    const written = scratch.write(value, offset, 'utf8')
    fields.push(scratch.subarray(offset, offset + written))
    offset += written
  }
  return fields
}

/**
 * A top-level value as a snapshot column, as the blob reader writes it: a string as it is,
 * a number or boolean as JSON writes it, an object or array as its JSON, null as absent.
 */
function cell(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}
