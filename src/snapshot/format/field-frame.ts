import { type BlobRecords, ValueKind, valueKind } from '../../record/record-scanner.js'
import { writeAscii, writeCreationTime } from '../../util/ascii.js'
import { viewOf } from '../../util/swar.js'
import { copyPlainBytes, viewOfBlob } from './plain-bytes.js'
import { SNAPSHOT_COLUMNS } from '../../record/columns.js'

/**
 * A row as its fields' raw bytes, for day files that are not CSV (Parquet): what travels
 * through the spool and the merge in place of a CSV line, so that the Parquet writer takes
 * views of its columns instead of parsing a CSV line back, which was most of what a Parquet
 * run spent beyond a CSV run (docs/benchmarks.md, "Parquet columns and compression").
 *
 * Layout: one u32 (little-endian) length per column of SNAPSHOT_COLUMNS, then the columns'
 * bytes one after another. A column without a value has length 0, as an empty CSV field
 * does: an empty string and null are one and the same in a day file of either format.
 */

const COLUMNS = SNAPSHOT_COLUMNS.length
const QUOTE = 0x22
/** The table of lengths a frame starts with: one u32 per column. */
export const FIELD_FRAME_HEADER_BYTES = 4 * COLUMNS

let scratch = Buffer.allocUnsafe(64 * 1024)
let scratchView = viewOf(scratch)

/** Fields (column order) as a frame, in a buffer of its own. */
export function encodeFieldFrame(fields: readonly Uint8Array[]): Buffer {
  const frame = Buffer.allocUnsafe(fieldFrameBytes(fields))
  writeFieldFrame(fields, frame, 0)
  return frame
}

/** The bytes the frame of `fields` takes. */
export function fieldFrameBytes(fields: readonly Uint8Array[]): number {
  if (fields.length !== COLUMNS)
    throw new Error(`A row of ${fields.length} fields cannot be a snapshot row (expected ${COLUMNS}).`)
  let bytes = FIELD_FRAME_HEADER_BYTES
  for (const field of fields) bytes += field.length
  return bytes
}

/** Writes the frame of `fields` into `target` at `at` (room for fieldFrameBytes); returns its end. */
export function writeFieldFrame(fields: readonly Uint8Array[], target: Buffer, at: number): number {
  let end = at + FIELD_FRAME_HEADER_BYTES
  fields.forEach((field, column) => {
    target.writeUInt32LE(field.length, at + 4 * column)
    target.set(field, end)
    end += field.length
  })
  return end
}

/** The fields of a frame, as views of it. */
export function decodeFieldFrame(frame: Buffer): Buffer[] {
  const fields: Buffer[] = []
  let at = FIELD_FRAME_HEADER_BYTES
  for (let column = 0; column < COLUMNS; column++) {
    const length = frame.readUInt32LE(4 * column)
    fields.push(frame.subarray(at, at + length))
    at += length
  }
  if (at !== frame.length)
    throw new Error(`A spooled row of ${frame.length} bytes is not a field frame (its fields take ${at}).`)
  return fields
}

/**
 * Record `index` of a scanned blob as a frame: `id` and `time` (normalised by the caller),
 * the other columns' values from their spans (strings unquoted, JSON escapes decoded, null
 * left empty), and the record's bytes as served as AuditData. The frame lives in a buffer
 * the next call reuses (the spool copies it).
 */
export function encodeBlobRecordFrame(
  body: Buffer,
  records: BlobRecords,
  index: number,
  id: string,
  time: string
): Buffer {
  const scanned = COLUMNS - 1
  const base = 2 * scanned * index
  const { spans, bounds } = records
  const recordStart = bounds[4 * index]!
  const recordEnd = bounds[4 * index + 1]!
  // Every value lies inside the record, so the record's length bounds their sum.
  const bound = FIELD_FRAME_HEADER_BYTES + 3 * id.length + time.length + 2 * (recordEnd - recordStart)
  if (bound > scratch.length) {
    scratch = Buffer.allocUnsafe(Math.max(bound, 2 * scratch.length))
    scratchView = viewOf(scratch)
  }
  const bodyView = viewOfBlob(body)
  const frame = scratch
  let at = FIELD_FRAME_HEADER_BYTES
  const idEnd = writeAscii(frame, at, id)
  const idLength = idEnd >= 0 ? idEnd - at : frame.write(id, at, 'utf8')
  frame.writeUInt32LE(idLength, 0)
  at += idLength
  at = writeCreationTime(frame, at, time)
  frame.writeUInt32LE(time.length, 4)
  for (let column = 2; column < scanned; column++) {
    const start = spans[base + 2 * column]!
    const end = spans[base + 2 * column + 1]!
    const from = at
    if (start >= 0 && body[start] === QUOTE) {
      // The common case, a string without escapes (copied by words; a comma or a quote only
      // sends it the general way, which takes it as it is).
      const copied = copyPlainBytes(frame, scratchView, at, body, bodyView, start + 1, end - 1)
      if (copied >= 0) {
        at = copied
        frame.writeUInt32LE(at - from, 4 * column)
        continue
      }
    }
    const kind = valueKind(body, start, end)
    if (kind === ValueKind.PlainString) at += body.copy(frame, at, start + 1, end - 1)
    else if (kind === ValueKind.EscapedString)
      at += frame.write(JSON.parse(body.toString('utf8', start, end)) as string, at, 'utf8')
    else if (kind === ValueKind.Literal) at += body.copy(frame, at, start, end)
    frame.writeUInt32LE(at - from, 4 * column)
  }
  at += body.copy(frame, at, recordStart, recordEnd)
  frame.writeUInt32LE(recordEnd - recordStart, 4 * scanned)
  return frame.subarray(0, at)
}

/** Field `column` of a frame, as a view of it (the lengths before it are read, nothing else). */
export function frameField(frame: Buffer, column: number): Buffer {
  let at = FIELD_FRAME_HEADER_BYTES
  for (let before = 0; before < column; before++) at += frame.readUInt32LE(4 * before)
  return frame.subarray(at, at + frame.readUInt32LE(4 * column))
}
