import { SNAPSHOT_COLUMNS, type SnapshotRow } from '../../record/columns.js'
import type { KeyedRow } from '../../record/keyed-row.js'
import { type BlobRecords, ValueKind, valueKind } from '../../record/record-scanner.js'
import { refusing, writeAscii, writeCreationTime } from '../../util/ascii.js'
import { viewOf } from '../../util/swar.js'
import { CsvPartWriter } from './csv-part-writer.js'
import { copyPlainBytes, viewOfBlob } from './plain-bytes.js'
import type { SnapshotFormat } from './snapshot-format.js'

/**
 * Day files as CSV: RFC 4180, UTF-8, CRLF, a header row, quotes only where needed (AuditData,
 * a JSON object, always needs them).
 *
 * Rows are encoded once, straight from the blob's bytes, and existing files are read back by
 * splitting them into raw rows, not by parsing every field: a day can hold a million rows,
 * all read back when the day is compacted. Both directions are written here
 * rather than with csv-stringify and csv-parse because they are the hottest code of a run,
 * and those libraries alone would take the run past its CPU target (docs/benchmarks.md,
 * "The CSV codec", measured by `npm run bench -- --scenarios codecs`). The dialect is our
 * own, and the test suite reads every file back with csv-parse and DuckDB as oracles.
 */

export const CSV_HEADER = Buffer.from(`${SNAPSHOT_COLUMNS.join(',')}\r\n`, 'utf8')

/** Where rows are assembled before they get a buffer of their own; grows for a larger row. */
let scratch = Buffer.allocUnsafe(64 * 1024)
let scratchView = viewOf(scratch)

function growScratch(size: number, keep: number): void {
  const bigger = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length))
  scratch.copy(bigger, 0, 0, keep)
  scratch = bigger
  scratchView = viewOf(scratch)
}

/**
 * One row of strings as a CSV line, CRLF included (rows that do not come from a content blob:
 * tests, imports), quoted by the same rule as every other line.
 */
export function encodeCsvRow(row: SnapshotRow): Buffer {
  return encodeCsvFields(row.map((value) => Buffer.from(value, 'utf8')))
}

/** One row of fields (UTF-8 bytes) as a CSV line, CRLF included. */
export function encodeCsvFields(fields: readonly Uint8Array[]): Buffer {
  const bound = fields.reduce((sum, field) => sum + 2 * field.length + 3, 2)
  if (bound > scratch.length) growScratch(bound, 0)
  let at = 0
  fields.forEach((field, index) => {
    if (index > 0) scratch[at++] = COMMA
    at = writeField(scratch, at, field, 0, field.length)
  })
  scratch[at++] = CR
  scratch[at++] = LF
  return Buffer.from(scratch.subarray(0, at))
}

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a
/** What makes a field need quotes. */
const CSV_SPECIAL = refusing('",\r\n')

/**
 * Record `index` of a scanned blob as a CSV line: `id` and `time` (normalised by the caller)
 * first, then the other columns from their spans, then the record's own bytes, escaped by
 * the scanner, as AuditData (see `valueKind` for the other columns). The line lives in a buffer the next call
 * reuses (the spool copies it; a buffer per row was garbage for the collector).
 */
export function encodeBlobRecord(body: Buffer, records: BlobRecords, index: number, id: string, time: string): Buffer {
  const columns = SNAPSHOT_COLUMNS.length - 1
  const base = 2 * columns * index
  const { spans, bounds } = records
  // Every value lies inside the record, so twice the record (every byte quoted) bounds them.
  const headBound =
    6 * Buffer.byteLength(id) + 2 * time.length + 2 * (bounds[4 * index + 1]! - bounds[4 * index]!) + 256
  if (headBound > scratch.length) growScratch(headBound, 0)
  const bodyView = viewOfBlob(body)
  const out: Uint8Array = scratch
  // Ids are GUIDs, needing no quotes; any other goes through the general path.
  let at = writeAscii(out, 0, id, CSV_SPECIAL)
  if (at < 0) {
    const idBytes = Buffer.from(id, 'utf8')
    at = writeField(out, 0, idBytes, 0, idBytes.length)
  }
  out[at++] = COMMA
  at = writeCreationTime(out, at, time)
  for (let column = 2; column < columns; column++) {
    out[at++] = COMMA
    const start = spans[base + 2 * column]!
    const end = spans[base + 2 * column + 1]!
    if (start >= 0 && body[start] === QUOTE) {
      // The common case, a string that needs neither decoding nor CSV quotes.
      const copied = copyPlainBytes(out, scratchView, at, body, bodyView, start + 1, end - 1)
      if (copied >= 0) {
        at = copied
        continue
      }
    }
    const kind = valueKind(body, start, end)
    if (kind === ValueKind.PlainString) at = writeField(out, at, body, start + 1, end - 1)
    else if (kind === ValueKind.Literal) at = writeField(out, at, body, start, end)
    else if (kind === ValueKind.EscapedString) {
      const decoded = Buffer.from(JSON.parse(body.toString('utf8', start, end)) as string, 'utf8')
      at = writeField(out, at, decoded, 0, decoded.length)
    }
  }
  const auditStart = bounds[4 * index + 2]!
  const auditEnd = bounds[4 * index + 3]!
  const size = at + auditEnd - auditStart + 5
  if (size > scratch.length) growScratch(size, at)
  const line = scratch
  line[at++] = COMMA
  line[at++] = QUOTE
  at += records.escaped.copy(line, at, auditStart, auditEnd)
  line[at++] = QUOTE
  line[at++] = CR
  line[at++] = LF
  return line.subarray(0, at)
}

/** Writes `source[start, end)` as a CSV field at `at`, quoted when it must be; returns the new end. */
function writeField(out: Uint8Array, at: number, source: Uint8Array, start: number, end: number): number {
  let special = false
  for (let index = start; index < end; index++) {
    const byte = source[index]
    if (byte === QUOTE || byte === COMMA || byte === CR || byte === LF) {
      special = true
      break
    }
  }
  if (!special) {
    for (let index = start; index < end; index++) out[at++] = source[index]!
    return at
  }
  out[at++] = QUOTE
  for (let index = start; index < end; index++) {
    const byte = source[index]!
    out[at++] = byte
    if (byte === QUOTE) out[at++] = QUOTE
  }
  out[at++] = QUOTE
  return at
}

/**
 * Splits a day file into its rows, keeping each row's bytes (its CSV line) as they are and
 * reading only the first two fields, Id and CreationTime. Takes the file as chunks of any
 * size, in order; yields batches of rows in file order, each good until the next is asked
 * for. Refuses a file that does not start with our header (rewriting it would lose whatever
 * columns it had).
 */
export async function* readCsvRows(chunks: AsyncIterable<Buffer>, path: string): AsyncGenerator<KeyedRow[]> {
  // The bytes not yet split into rows sit at the front of one buffer, reused chunk after
  // chunk (a batch's rows are good until the next batch is asked for, see sorted-merge.ts):
  // a new buffer per chunk added up to the file's size in allocations outside V8's heap,
  // to which V8 answers with full garbage collections.
  let buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)
  let held = 0
  let headerChecked = false
  for await (const chunk of chunks) {
    if (held + chunk.length > buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(held + chunk.length, 2 * buffer.length))
      buffer.copy(larger, 0, 0, held)
      buffer = larger
    }
    held += chunk.copy(buffer, held)
    const pending = buffer.subarray(0, held)
    let offset = 0
    if (!headerChecked) {
      const bom = pending[0] === 0xef && pending[1] === 0xbb && pending[2] === 0xbf ? 3 : 0
      if (pending.length < bom + CSV_HEADER.length) continue
      if (!pending.subarray(bom, bom + CSV_HEADER.length).equals(CSV_HEADER)) throw notOurs(path)
      headerChecked = true
      offset = bom + CSV_HEADER.length
    }
    const rows: KeyedRow[] = []
    for (;;) {
      const end = rowEnd(pending, offset)
      if (end < 0) break
      rows.push(splitRow(pending, offset, end, path))
      offset = end
    }
    if (rows.length > 0) yield rows
    // The rest is the start of a row: to the front, for the next chunk to complete.
    buffer.copy(buffer, 0, offset, held)
    held -= offset
  }
  if (!headerChecked) {
    if (held === 0) return
    throw notOurs(path)
  }
  if (held > 0) throw new Error(`${path} on the data branch ends inside a row; move or delete it, then run again.`)
}

/** What the reader of a day file starts with: a chunk of a download and the row it ends in. */
const READ_BUFFER_BYTES = 256 * 1024

/** The offset just past the CRLF that ends the row starting at `start`, or -1 if it is not complete. */
function rowEnd(bytes: Buffer, start: number): number {
  // Byte by byte: a row is mostly AuditData, whose doubled quotes come every few bytes, so
  // stepping over words of neither quote nor CR measured no faster (docs/benchmarks.md).
  let quoted = false
  for (let index = start; index < bytes.length; index++) {
    const byte = bytes[index]
    if (byte === QUOTE) quoted = !quoted
    else if (!quoted && byte === CR && bytes[index + 1] === LF) return index + 2
    else if (!quoted && byte === CR && index + 1 === bytes.length) return -1
  }
  return -1
}

/** A row's Id and CreationTime (the first two fields) and its bytes. */
function splitRow(bytes: Buffer, start: number, end: number, path: string): KeyedRow {
  const [id, afterId] = readField(bytes, start, end)
  const [time] = readField(bytes, afterId, end)
  if (time.length !== 20)
    throw new Error(
      `${path} on the data branch has a row whose CreationTime is not YYYY-MM-DDTHH:MM:SSZ ('${time.slice(0, 40)}'); move or delete it, then run again.`
    )
  return { id, time, payload: bytes.subarray(start, end) }
}

/** The field at `start` and the offset of the next one. */
function readField(bytes: Buffer, start: number, end: number): [string, number] {
  if (bytes[start] !== QUOTE) {
    let stop = bytes.indexOf(COMMA, start)
    if (stop < 0 || stop > end) stop = end - 2
    return [bytes.toString('utf8', start, stop), stop + 1]
  }
  let value = ''
  let from = start + 1
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from)
    value += bytes.toString('utf8', from, quote)
    if (bytes[quote + 1] === QUOTE) {
      value += '"'
      from = quote + 2
    } else {
      return [value, quote + 2]
    }
  }
}

function notOurs(path: string): Error {
  return new Error(
    `${path} on the data branch does not start with the expected header (${SNAPSHOT_COLUMNS.join(',')}); ` +
      `move or delete it, then run again.`
  )
}

/**
 * The fields of one of our CSV lines (CRLF included or not), unquoted, as views of `line`.
 * A field with doubled quotes is undoubled where it stands (it only shrinks, and the fields
 * after it are found before it is written): `line` is changed, so pass a copy you own.
 */
export function decodeCsvLine(line: Buffer): Buffer[] {
  let end = line.length
  if (end >= 2 && line[end - 2] === CR && line[end - 1] === LF) end -= 2
  const fields: Buffer[] = []
  let at = 0
  for (;;) {
    if (line[at] !== QUOTE) {
      let stop = line.indexOf(COMMA, at)
      if (stop < 0 || stop > end) stop = end
      fields.push(line.subarray(at, stop))
      if (stop >= end) return fields
      at = stop + 1
      continue
    }
    // Quoted: runs to the quote that is not followed by another.
    const start = at + 1
    const { quote, doubled } = closingQuote(line, start, end)
    fields.push(line.subarray(start, doubled ? undoubleQuotes(line, start, quote) : quote))
    at = quote + 1
    if (at >= end) return fields
    at++ // the comma
  }
}

/**
 * The quote that closes a quoted field whose content starts at `from` (the first quote not
 * followed by another), and whether the field holds doubled quotes.
 */
function closingQuote(line: Buffer, from: number, end: number): { quote: number; doubled: boolean } {
  let doubled = false
  for (let scan = from; ;) {
    const quote = line.indexOf(QUOTE, scan)
    if (quote < 0 || quote >= end) throw new Error('a CSV line ends inside a quoted field')
    if (line[quote + 1] !== QUOTE) return { quote, doubled }
    doubled = true
    scan = quote + 2
  }
}

/** Undoubles the quotes of `bytes[start, end)` where they stand (it only shrinks); returns the new end. */
function undoubleQuotes(bytes: Buffer, start: number, end: number): number {
  let write = start
  for (let index = start; index < end; index++) {
    const byte = bytes[index]!
    bytes[write++] = byte
    if (byte === QUOTE) index++
  }
  return write
}

/**
 * Field `column` of one of our CSV lines (CRLF included or not), unquoted: a view of `line`,
 * or a copy of the field alone when it holds doubled quotes; empty when the line has fewer
 * fields. The fields after it are not looked at.
 */
export function csvField(line: Buffer, column: number): Buffer {
  let end = line.length
  if (end >= 2 && line[end - 2] === CR && line[end - 1] === LF) end -= 2
  let at = 0
  for (let index = 0; at <= end; index++) {
    if (line[at] !== QUOTE) {
      let stop = line.indexOf(COMMA, at)
      if (stop < 0 || stop > end) stop = end
      if (index === column) return line.subarray(at, stop)
      at = stop + 1
      continue
    }
    // Quoted: runs to the quote that is not followed by another.
    const { quote, doubled } = closingQuote(line, at + 1, end)
    if (index === column) {
      if (!doubled) return line.subarray(at + 1, quote)
      const copy = Buffer.from(line.subarray(at + 1, quote))
      return copy.subarray(0, undoubleQuotes(copy, 0, copy.length))
    }
    at = quote + 2
  }
  return Buffer.alloc(0)
}

/** Day files as CSV: rows travel as the CSV lines they are written as. */
export const CSV_FORMAT: SnapshotFormat = {
  name: 'csv',
  fromBlob: encodeBlobRecord,
  fromFields: encodeCsvFields,
  // decodeCsvLine undoubles quotes where they stand: it gets a copy.
  fields: (payload) => decodeCsvLine(Buffer.from(payload)),
  field: csvField,
  partWriter: (dir, maxBytes) => new CsvPartWriter(dir, CSV_HEADER, maxBytes),
  readRows: (chunks, path) => readCsvRows(chunks, path)
}
