import type { RecordMatcher } from '../record/filter.js'
import type { AuditRecord } from '../record/audit-record.js'
import { auditRecordRow, type ImportedRecord } from '../record/record-row.js'

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
