import { createHash, type Hash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { constants as zlib, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { parquetMetadataAsync, parquetRead, type AsyncBuffer } from 'hyparquet'
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { releaseWhole } from '../../util/release-buffer.js'
import { Column, SNAPSHOT_COLUMNS } from '../../record/columns.js'
import type { KeyedRow } from '../../record/keyed-row.js'
import {
  decodeFieldFrame,
  encodeBlobRecordFrame,
  encodeFieldFrame,
  FIELD_FRAME_HEADER_BYTES,
  fieldFrameBytes,
  frameField,
  writeFieldFrame
} from './field-frame.js'
import type { PartWriter, SnapshotFormat, WrittenPart } from './snapshot-format.js'
import { DayContentError } from '../day-content-error.js'

/**
 * Day files as Parquet: the CSV columns, typed. `CreationTime` is a UTC timestamp (millis),
 * `RecordType` and `UserType` 32-bit integers, the rest UTF-8 strings, absent values null.
 * `AuditData` is the record's JSON exactly as the API served it, as a string: annotated as
 * JSON, hyparquet-writer would stringify the value a second time, and a logical-type-only
 * JSON annotation reads as a BLOB in DuckDB (`AuditData::JSON` gives the JSON type).
 * ZSTD (from node:zlib), row groups of ROW_GROUP_ROWS rows written as they fill.
 *
 * Rows travel through the spool and the merge as field frames (see field-frame.ts); this
 * codec turns them into columns and back. Rows keep their (CreationTime, Id) order, so the same
 * records always give the same bytes.
 */

/**
 * A row group ends at this many rows or this many bytes of rows, whichever comes first. A
 * group is held whole while it is encoded, and while it is read back in a merge, in several
 * forms at once (rows, columns, pages, compressed pages): a run's peak memory grows by many
 * times the group's bytes. A megabyte (about 850 audit records) keeps the merging run of a
 * large day under its memory bound, for a file a few percent larger than with large groups
 * and no more CPU (docs/benchmarks.md, "Parquet row groups").
 */
export const ROW_GROUP_ROWS = 25_000
export const ROW_GROUP_BYTES = 1024 * 1024

const STRING = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } } as const
const INT32 = { type: 'INT32' } as const

/** The schema, in SNAPSHOT_COLUMNS order. */
const SCHEMA = [
  { name: 'root', num_children: SNAPSHOT_COLUMNS.length },
  ...SNAPSHOT_COLUMNS.map((name) => {
    if (name === 'Id') return { name, ...STRING, repetition_type: 'REQUIRED' }
    if (name === 'CreationTime')
      return {
        name,
        type: 'INT64',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type: 'REQUIRED'
      }
    if (name === 'RecordType' || name === 'UserType') return { name, ...INT32, repetition_type: 'OPTIONAL' }
    if (name === 'AuditData') return { name, ...STRING, repetition_type: 'REQUIRED' }
    return { name, ...STRING, repetition_type: 'OPTIONAL' }
  })
]

/**
 * How each column is encoded. Only `CreationTime` keeps min/max statistics: rows are sorted by
 * it, so a reader skips row groups by time; every other column's range spans the whole group
 * and prunes nothing. The other columns are PLAIN: under ZSTD a plain page of repeated
 * strings (Operation, UserId, …) is as small as a dictionary-encoded one, and building the
 * dictionary (a map lookup per value) was a large share of hyparquet-writer's time
 * (docs/benchmarks.md, "Parquet columns and compression"). Their strings then go to the writer as the bytes
 * they already are, never decoded to JavaScript strings and encoded back. `CreationTime`
 * keeps the writer's dictionary (rows share their second): read back in a merge, each
 * distinct time then becomes one Date, not one per row.
 */
const COLUMN_ENCODING = SNAPSHOT_COLUMNS.map((name) =>
  name === 'CreationTime' ? { name } : { name, encoding: 'PLAIN' as const, statistics: false }
)

// Views of node:zlib's output: `new Uint8Array(buffer)` would copy every page once more.
const asView = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
/**
 * ZSTD's level 1, not its default 3: on pages of audit records it compresses faster, for a
 * file no larger (docs/benchmarks.md, "Parquet columns and compression").
 */
const ZSTD_PARTS = { params: { [zlib.ZSTD_c_compressionLevel]: 1 } }
/**
 * The rows an hourly run adds to a day are stored twice in the repository's history: in the
 * addition, and again when the day is compacted. Level 10 makes additions about a seventh
 * smaller, at a sixth of level 1's speed: milliseconds for an hourly run's few thousand rows,
 * seconds for a catch-up run's hundreds of thousands. So a run's first ADDITION_PACKED_ROWS
 * rows of a day are packed harder, the rest as parts are (docs/benchmarks.md, "Why the code
 * is the way it is").
 */
const ZSTD_ADDITIONS = { params: { [zlib.ZSTD_c_compressionLevel]: 10 } }
export const ADDITION_PACKED_ROWS = ROW_GROUP_ROWS
// A page's size is in its header: decompressed into one buffer of that size, not the
// default 64 KiB chunks joined at the end (twice the memory, and slower), and never into
// more than the header says.
function decompressZstd(input: Uint8Array, outputLength: number): Uint8Array {
  const size = Math.max(outputLength, MIN_ZLIB_CHUNK_BYTES)
  try {
    return asView(zstdDecompressSync(input, { chunkSize: size, maxOutputLength: size }))
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`a ZSTD page holds more than the ${outputLength} bytes its header gives`, { cause: error })
    }
    throw error
  }
}
/** node:zlib's smallest chunk size. */
const MIN_ZLIB_CHUNK_BYTES = 64

type ColumnValues = (Uint8Array | number | bigint | null)[]

/**
 * Writes sorted rows (field frames) into consecutive Parquet part files, cutting a part once it
 * reaches `maxBytes` (checked after each row group, so a part may pass it by one group),
 * with the sha256 and row range the manifest needs.
 */
export class ParquetPartWriter implements PartWriter {
  private readonly parts: WrittenPart[] = []
  private current:
    | { writer: ParquetWriter; output: HashingFileWriter; file: string; rows: number; first: string; last: string }
    | undefined
  private columns: ColumnValues[] = SNAPSHOT_COLUMNS.map(() => [])
  private groupFirst = ''
  private groupLast = ''
  /** The current group's rows, decoded in place; reused group after group. */
  private scratch = { bytes: Buffer.allocUnsafe(ROW_GROUP_BYTES + 64 * 1024), at: 0 }
  /**
   * The page compressed last. hyparquet-writer 0.17 compresses a page, appends the result to
   * its output, then goes on to the next page (node_modules/hyparquet-writer/src/datapage.js):
   * a compressed page is done with once the next one is compressed, or the part closes, and
   * its memory is given back then rather than left for V8 to find (see release-buffer.ts).
   * test/unit/parquet-codec.test.ts reads back files of many pages and parts written so.
   */
  private lastCompressed: Uint8Array | undefined
  private readonly compressors = {
    ZSTD: (page: Uint8Array): Uint8Array => {
      this.releaseLastCompressed()
      this.lastCompressed = asView(zstdCompressSync(page, this.zstdOptions))
      return this.lastCompressed
    }
  }

  private zstdOptions: typeof ZSTD_PARTS
  private rowsWritten = 0

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly use: 'parts' | 'additions' = 'parts'
  ) {
    this.zstdOptions = use === 'parts' ? ZSTD_PARTS : ZSTD_ADDITIONS
  }

  write(row: KeyedRow): void {
    // The row's bytes are only good until the next batch: the group keeps copies.
    if (this.scratch.at + row.payload.length > this.scratch.bytes.length) this.growScratch(row.payload.length)
    const start = this.scratch.at
    const bytes = this.scratch.bytes
    row.payload.copy(bytes, start)
    this.scratch.at += row.payload.length
    // The frame's fields are read where they stand (see field-frame.ts): no view per field.
    let at = start + FIELD_FRAME_HEADER_BYTES
    for (let column = 0; column < SNAPSHOT_COLUMNS.length; column++) {
      const end = at + bytes.readUInt32LE(start + 4 * column)
      this.columns[column]!.push(columnValue(column, bytes, at, end, row.time))
      at = end
    }
    if (at !== this.scratch.at) throw new Error(`A spooled row of ${row.payload.length} bytes is not a field frame.`)
    if (this.columns[0]!.length === 1) this.groupFirst = row.time
    this.groupLast = row.time
    if (this.columns[0]!.length >= ROW_GROUP_ROWS || this.scratch.at >= ROW_GROUP_BYTES) this.flushGroup()
  }

  /** Closes the last part and returns every part written, in order. */
  finish(): WrittenPart[] {
    this.flushGroup()
    this.closePart()
    return this.parts
  }

  private releaseLastCompressed(): void {
    if (this.lastCompressed) releaseWhole(this.lastCompressed)
    this.lastCompressed = undefined
  }

  private growScratch(needed: number): void {
    // Values of the current group point into the old buffer, which they keep alive.
    this.scratch = { bytes: Buffer.allocUnsafe(Math.max(2 * this.scratch.bytes.length, needed)), at: 0 }
  }

  private flushGroup(): void {
    const rows = this.columns[0]!.length
    if (rows === 0) return
    if (this.use === 'additions' && this.rowsWritten >= ADDITION_PACKED_ROWS) this.zstdOptions = ZSTD_PARTS
    this.rowsWritten += rows
    const part = this.current ?? this.openPart()
    written(
      part.writer.write({
        columnData: COLUMN_ENCODING.map((encoding, index) => ({ ...encoding, data: this.columns[index]! })),
        rowGroupSize: rows
      })
    )
    if (part.rows === 0) part.first = this.groupFirst
    part.rows += rows
    part.last = this.groupLast
    this.columns = SNAPSHOT_COLUMNS.map(() => [])
    this.scratch.at = 0
    if (part.output.offset >= this.maxBytes) this.closePart()
  }

  private openPart(): NonNullable<ParquetPartWriter['current']> {
    const file = join(this.dir, `part-${this.parts.length + 1}.parquet`)
    const output = new HashingFileWriter(file)
    const writer = new ParquetWriter({
      writer: output,
      schema: SCHEMA as never,
      codec: 'ZSTD',
      compressors: this.compressors,
      createdBy: 'm365-audit-sync'
    })
    this.current = { writer, output, file, rows: 0, first: '', last: '' }
    return this.current
  }

  private closePart(): void {
    const part = this.current
    if (!part) return
    written(part.writer.finish())
    this.releaseLastCompressed()
    this.current = undefined
    this.parts.push({
      file: part.file,
      bytes: part.output.offset,
      rows: part.rows,
      sha256: part.output.digest(),
      firstCreationTime: part.first,
      lastCreationTime: part.last
    })
  }
}

/**
 * hyparquet-writer writes a row group (or the footer) before it returns, unless its output
 * flushes asynchronously; ours (HashingFileWriter) writes synchronously, so a promise here
 * means the library changed how it works, and is refused rather than left unawaited.
 */
function written(result: void | Promise<void>): void {
  if (result) throw new Error('hyparquet-writer returned a promise; this writer expects it to write synchronously.')
}

/** Field `bytes[start, end)` as the column's Parquet value: a view of the bytes for strings. */
function columnValue(
  column: number,
  bytes: Buffer,
  start: number,
  end: number,
  time: string
): Uint8Array | number | bigint | null {
  if (column === Column.CreationTime) return timestampMillis(time)
  if (column === Column.AuditData || column === Column.Id)
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start)
  if (end === start) return null
  if (column === Column.RecordType || column === Column.UserType) {
    const number = asciiInteger(bytes, start, end) ?? Number(bytes.toString('latin1', start, end))
    if (!Number.isInteger(number) || number < -2147483648 || number > 2147483647) {
      throw new DayContentError(
        `a record's ${SNAPSHOT_COLUMNS[column]} is not a 32-bit integer, so it cannot be written as Parquet (its rows are kept as CSV until a run can write them; format: csv takes any value).`
      )
    }
    return number
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start)
}

/**
 * The integer that plain ASCII digits (after an optional minus) spell, read without making a
 * string; undefined for anything else, which `Number` then judges.
 */
function asciiInteger(bytes: Buffer, start: number, end: number): number | undefined {
  const negative = bytes[start] === 0x2d
  let at = negative ? start + 1 : start
  if (at === end || end - at > 10) return undefined
  let value = 0
  for (; at < end; at++) {
    const digit = bytes[at]! - 0x30
    if (digit < 0 || digit > 9) return undefined
    value = value * 10 + digit
  }
  return negative ? -value : value
}

/** Rows come sorted by time, many sharing one: the last conversion is worth keeping. */
let lastTime = ''
let lastMillis = 0n
function timestampMillis(time: string): bigint {
  if (time !== lastTime) {
    lastMillis = BigInt(Date.parse(time))
    lastTime = time
  }
  return lastMillis
}

/**
 * hyparquet-writer's writer interface on a file: bytes go to disk a megabyte at a time,
 * hashed on the way (the manifest's sha256 without reading the part again).
 */
class HashingFileWriter extends ByteWriter {
  private readonly fd: number
  private readonly hash: Hash = createHash('sha256')

  constructor(file: string) {
    super()
    this.fd = openSync(file, 'w')
  }

  override ensure(size: number): void {
    if (this.index > FLUSH_BYTES) this.flushToFile()
    super.ensure(size)
  }

  override finish(): void {
    this.flushToFile()
    closeSync(this.fd)
  }

  digest(): string {
    return this.hash.digest('hex')
  }

  private flushToFile(): void {
    const bytes = new Uint8Array(this.buffer, 0, this.index)
    this.hash.update(bytes)
    writeSync(this.fd, bytes)
    this.index = 0
  }
}

const FLUSH_BYTES = 1024 * 1024

/**
 * A Parquet day file's rows, as field frames, in batches of a row group: what the merge reads
 * back from the branch. A batch's frames share one buffer, filled again for the next batch
 * (see `mergeSorted`). Refuses a file whose columns are not ours.
 */
export async function* readParquetRows(file: string, path: string): AsyncGenerator<KeyedRow[]> {
  const fd = openSync(file, 'r')
  // What reading a row group allocates (the file's bytes, pages decompressed), freed as soon
  // as its rows are copied into frames (see release-buffer.ts).
  const groupBuffers: Uint8Array[] = []
  try {
    // The footer is not among them: the metadata may keep views of it.
    const metadata = await parquetMetadataAsync(fileSlices(fd))
    const names = metadata.schema.slice(1).map((element) => element.name)
    if (names.join(',') !== SNAPSHOT_COLUMNS.join(',')) {
      throw new Error(
        `${path} on the data branch is not one of our Parquet snapshots (columns ${names.slice(0, 5).join(', ')}…); move or delete it, then run again.`
      )
    }
    const groupFile = fileSlices(fd, (bytes) => groupBuffers.push(bytes))
    const groupDecompressors = {
      ZSTD: (input: Uint8Array, outputLength: number) => {
        const page = decompressZstd(input, outputLength)
        groupBuffers.push(page)
        return page
      }
    }
    let frames = Buffer.allocUnsafe(ROW_GROUP_BYTES + 1024 * 1024)
    let rowStart = 0
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows)
      let values: unknown[][] = []
      try {
        await parquetRead({
          file: groupFile,
          metadata,
          rowStart,
          rowEnd,
          utf8: false,
          compressors: groupDecompressors,
          parsers: { stringFromBytes: (bytes: Uint8Array | undefined) => bytes as never },
          onComplete: (read: unknown[][]) => (values = read)
        })
      } catch (error) {
        throw new Error(
          `${path} on the data branch cannot be read as Parquet, rows ${rowStart + 1}-${rowEnd} (${error instanceof Error ? error.message : String(error)}); move or delete it, then run again.`,
          { cause: error }
        )
      }
      rowStart = rowEnd
      const rows = values.map((row) => rowFields(row, path))
      const needed = rows.reduce((sum, row) => sum + fieldFrameBytes(row.fields), 0)
      if (needed > frames.length) frames = Buffer.allocUnsafe(needed)
      let at = 0
      const batch = rows.map(({ time, fields }): KeyedRow => {
        const start = at
        at = writeFieldFrame(fields, frames, at)
        const id = fields[Column.Id]!
        return {
          time,
          id: Buffer.from(id.buffer, id.byteOffset, id.length).toString('utf8'),
          payload: frames.subarray(start, at)
        }
      })
      // The rows' fields were views of these buffers; the frames are copies.
      for (const bytes of groupBuffers.splice(0)) releaseWhole(bytes)
      yield batch
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * A file as hyparquet reads it: each slice read straight into a buffer of its own, of its
 * size (hyparquet's `asyncBufferFromFile` opens a read stream per slice, and joins its 64 KiB
 * chunks at the end), shown to `onSlice`.
 */
function fileSlices(fd: number, onSlice?: (bytes: Uint8Array) => void): AsyncBuffer {
  const byteLength = fstatSync(fd).size
  return {
    byteLength,
    slice(start: number, end = byteLength): ArrayBuffer {
      const bytes = new Uint8Array(end - start)
      for (let at = 0; at < bytes.length;) {
        const read = readSync(fd, bytes, at, bytes.length - at, start + at)
        if (read === 0) throw new Error(`the file ends at byte ${start + at}, before byte ${end}`)
        at += read
      }
      onSlice?.(bytes)
      return bytes.buffer
    }
  }
}

function rowFields(values: unknown[], path: string): { time: string; fields: Uint8Array[] } {
  const time = values[Column.CreationTime]
  const millis = time instanceof Date ? time.getTime() : Number(time)
  if (!Number.isFinite(millis))
    throw new Error(`${path} on the data branch has a row without a CreationTime; move or delete it, then run again.`)
  const written = writtenTime(millis)
  const fields = values.map((value, column) => {
    if (column === Column.CreationTime) return written.bytes
    if (value === null || value === undefined) return EMPTY
    if (value instanceof Uint8Array) return value
    return Buffer.from(String(value), 'utf8')
  })
  return { time: written.text, fields }
}

const EMPTY = new Uint8Array(0)

/** A CreationTime as rows carry it; rows come sorted, many sharing one, so the last is kept. */
let lastWritten = { millis: Number.NaN, text: '', bytes: EMPTY }
function writtenTime(millis: number): { text: string; bytes: Uint8Array } {
  if (millis !== lastWritten.millis) {
    const text = `${new Date(millis).toISOString().slice(0, 19)}Z`
    lastWritten = { millis, text, bytes: Buffer.from(text, 'latin1') }
  }
  return lastWritten
}

/**
 * Day files as Parquet: rows travel as field frames. A file is read from its end (the
 * footer), so a day file of the branch is downloaded to `scratchFile` before it is read.
 */
export const PARQUET_FORMAT: SnapshotFormat = {
  name: 'parquet',
  fromBlob: encodeBlobRecordFrame,
  fromFields: encodeFieldFrame,
  fields: decodeFieldFrame,
  field: frameField,
  partWriter: (dir, maxBytes, use = 'parts') => new ParquetPartWriter(dir, maxBytes, use),
  readRows: (chunks, path, scratchFile) => readDownloadedParquet(chunks, path, scratchFile)
}

async function* readDownloadedParquet(
  chunks: AsyncIterable<Buffer>,
  path: string,
  file: string
): AsyncGenerator<KeyedRow[]> {
  const handle = await open(file, 'w')
  try {
    for await (const chunk of chunks) await handle.write(chunk)
  } finally {
    await handle.close()
  }
  yield* readParquetRows(file, path)
}
