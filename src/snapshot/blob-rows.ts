import type { BlobContent } from '../m365/activity-client.js'
import { normalizeCreationTime, recordId } from '../m365/audit-record.js'
import { valueText } from '../m365/record-scanner.js'
import type { SnapshotFormat } from '../state/manifest.js'
import { encodeBlobRecord } from './csv-codec.js'
import { encodeBlobRecordFrame } from './field-frame.js'
import { Column, SCANNED_COLUMNS } from './row.js'
import type { SpooledRow } from './spooled-row.js'

/** Encodes record `index` of a scanned blob as a row's payload, given its key and time. */
export type BlobRecordEncoder = typeof encodeBlobRecord

/**
 * How rows travel to day files of a format: as CSV lines, copied into CSV files as they
 * are, or as field frames, whose columns the Parquet writer takes without parsing.
 */
export function blobRecordEncoder(format: SnapshotFormat): BlobRecordEncoder {
  return format === 'csv' ? encodeBlobRecord : encodeBlobRecordFrame
}

/**
 * The rows of a downloaded blob: each record's key (its Id, lower-cased) and time (its
 * CreationTime as `YYYY-MM-DDTHH:MM:SSZ`, or `placeUntimed(id)` for a record without a
 * readable one), with its payload (a CSV line unless `encode` says otherwise). The payload's
 * bytes are reused for the next row: take them before asking for it.
 */
export function* blobRows(content: BlobContent, placeUntimed: (id: string) => string, encode: BlobRecordEncoder = encodeBlobRecord): Generator<SpooledRow> {
  const { bytes, records } = content
  const { spans, bounds } = records
  const stride = 2 * SCANNED_COLUMNS.length
  for (let index = 0; index < records.count; index++) {
    const base = stride * index
    const named = valueText(bytes, spans[base + 2 * Column.Id]!, spans[base + 2 * Column.Id + 1]!)
    const id = recordKey(bytes, bounds[4 * index]!, bounds[4 * index + 1]!, named)
    const time =
      normalizeCreationTime(valueText(bytes, spans[base + 2 * Column.CreationTime]!, spans[base + 2 * Column.CreationTime + 1]!)) ??
      placeUntimed(id)
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
