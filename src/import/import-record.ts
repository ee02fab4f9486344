import type { FilterField, RecordMatcher } from '../record/filter.js'
import { parseRecordType } from '../record/record-types.js'
import { normalizeCreationTime, recordId, type AuditRecord } from '../record/audit-record.js'
import { SCANNED_COLUMNS } from '../record/columns.js'
import type { KeyedRow } from '../record/keyed-row.js'
import { contentTypeOf, type ContentType } from '../record/content-types.js'

/** What one AuditData value of an export becomes. */
export type ImportedRecord =
  { kind: 'row'; type: ContentType; row: KeyedRow } | { kind: 'filtered' } | { kind: 'bad'; reason: string }

/**
 * Turns the AuditData text of one export row into the snapshot row the API's copy of the
 * record would make: the same columns from the record's top-level fields, its Id
 * lower-cased as the key, its UTC day from `CreationTime` (the record's own time; the
 * export's CreationDate column is in the exporting user's locale and zone), its content type
 * from its workload. Records the filter refuses are `filtered`; text that is not a record
 * with a time is `bad`, with the reason.
 *
 * AuditData is written re-serialised, compactly (`JSON.stringify` of the parsed value), not
 * as the export's text. The export's JSON is not the API's bytes anyway (Purview writes it
 * again, and tools on the way re-indent it: a pretty-printed AuditData spans lines), so
 * there is no original to keep; one compact form makes the same record the same bytes
 * whichever file or tool it came through, and keeps the day files one record per line of
 * JSON. Key order and values are the export's. A record the branch already holds from the
 * API keeps the API's bytes: copies are matched by Id and time, and the branch's copy wins.
 */
export function importRecord(
  auditData: string,
  encode: (fields: readonly Uint8Array[]) => Buffer,
  keep?: RecordMatcher
): ImportedRecord {
  if (auditData.trim() === '') return { kind: 'bad', reason: 'AuditData is empty' }
  let value: unknown
  try {
    value = JSON.parse(auditData)
  } catch (error) {
    return { kind: 'bad', reason: `AuditData is not JSON (${(error as Error).message})` }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'bad', reason: 'AuditData is not a JSON object' }
  return auditRecordRow(value as AuditRecord, encode, keep)
}

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
  const payload = encode([id, time, ...columns, JSON.stringify(record)].map((value) => Buffer.from(value, 'utf8')))
  return { kind: 'row', type, row: { time, id, payload } }
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
