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
    // Where, not what: V8's message quotes the text, and the log lists no record's content
    // (a row of an export is a tenant's record, and may hold lines the runner would obey).
    const found = /position (\d+)/.exec((error as Error).message)?.[1]
    const at = found === undefined ? undefined : Number(found)
    const where =
      at === undefined
        ? `${auditData.length} characters`
        : at >= auditData.length
          ? `its ${auditData.length} characters end early`
          : `at character ${at + 1} of ${auditData.length}`
    return { kind: 'bad', reason: `AuditData is not JSON (${where})` }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'bad', reason: 'AuditData is not a JSON object' }
  return auditRecordRow(value as AuditRecord, encode, keep)
}
