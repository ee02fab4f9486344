import type { FilterField, RecordMatcher } from '../record/filter.js'
import type { BlobContent } from '../m365/activity-client.js'
import { normalizeCreationTime, recordId } from '../record/audit-record.js'
import { valueText } from '../record/record-scanner.js'
import type { BlobRecordEncoder } from '../snapshot/format/snapshot-format.js'
import { Column, SCANNED_COLUMNS } from '../record/columns.js'
import type { KeyedRow } from '../record/keyed-row.js'

/**
 * The rows of a downloaded blob: each record's key (its Id, lower-cased) and time (its
 * CreationTime as `YYYY-MM-DDTHH:MM:SSZ`, or `placeUntimed(id)` for a record without a
 * readable one), with its payload in the day files' format (`encode`, see
 * snapshot/format/snapshot-format.ts). The payload's bytes are reused for the next row: take
 * them before asking for it.
 *
 * With `keep`, records it refuses are skipped before anything else is done with them: the
 * filter reads the scanned spans of `Operation`, `Workload` and `RecordType`, no record is
 * parsed for it, and a skipped record is not placed (nor remembered as untimed).
 */
export function* blobRows(
  content: BlobContent,
  placeUntimed: (id: string) => string,
  encode: BlobRecordEncoder,
  keep?: RecordMatcher
): Generator<KeyedRow> {
  const { bytes, records } = content
  const { spans, bounds } = records
  const stride = 2 * SCANNED_COLUMNS.length
  let base = 0
  // One reader for every record (it follows `base`): no closure per record.
  const read = (field: FilterField): string | undefined =>
    valueText(bytes, spans[base + 2 * Column[field]]!, spans[base + 2 * Column[field] + 1]!)
  for (let index = 0; index < records.count; index++) {
    base = stride * index
    if (keep && !keep.matches(read)) continue
    const named = valueText(bytes, spans[base + 2 * Column.Id]!, spans[base + 2 * Column.Id + 1]!)
    const id = recordKey(bytes, bounds[4 * index]!, bounds[4 * index + 1]!, named)
    const time =
      normalizeCreationTime(
        valueText(bytes, spans[base + 2 * Column.CreationTime]!, spans[base + 2 * Column.CreationTime + 1]!)
      ) ?? placeUntimed(id)
    yield { time, id, payload: encode(bytes, records, index, id, time) }
  }
}

/**
 * A record's identity: its Id, or for a record without one (the schema requires it; a
 * workload might still leave it out) the hash of its content, so that it is kept once.
 */
function recordKey(bytes: Buffer, start: number, end: number, id: string | undefined): string {
  if (id !== undefined && id.trim() !== '') return id.trim().toLowerCase()
  return recordId(JSON.parse(bytes.toString('utf8', start, end)) as Record<string, unknown>)
}
