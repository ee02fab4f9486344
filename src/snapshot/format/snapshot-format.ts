import type { FormatName } from '../../branch/paths.js'
import type { KeyedRow } from '../../record/keyed-row.js'
import type { BlobRecords } from '../../record/record-scanner.js'

/**
 * One format of day files: how rows travel to its files and come back from them. Every row
 * of a run, from a content blob, an export or a day file on the branch, travels as its
 * format's payload (a CSV line for CSV, copied into files as it is; a field frame for Parquet,
 * whose columns the writer takes without parsing); a file of the other format is converted
 * as it is read.
 */
export interface SnapshotFormat {
  /** The name the `format` input and the manifest use, and the files' extension. */
  readonly name: FormatName
  /** Record `index` of a scanned blob as a payload, given its key and time (reused by the next call: copy it). */
  readonly fromBlob: BlobRecordEncoder
  /** A row of fields (column order) as a payload, in a buffer of its own. */
  fromFields(fields: readonly Uint8Array[]): Buffer
  /** A payload's fields, in column order; `payload` itself is never changed. */
  fields(payload: Buffer): Buffer[]
  /** One field of a payload, read without decoding the fields after it where the format allows. */
  field(payload: Buffer, column: number): Buffer
  /**
   * A writer of sorted rows into part files of about `maxBytes` each, in `dir`: a day's parts,
   * or the additions of a run (a few thousand rows, which a format may pack harder).
   */
  partWriter(dir: string, maxBytes: number, use?: 'parts' | 'additions'): PartWriter
  /**
   * A day file of this format, as it downloads, read back as batches of sorted rows (each good
   * until the next is asked for). `scratchFile` is where a format that reads from the end of
   * a file (Parquet) keeps its copy.
   */
  readRows(chunks: AsyncIterable<Buffer>, path: string, scratchFile: string): AsyncIterable<KeyedRow[]>
}

/** Encodes record `index` of a scanned blob as a row's payload, given its key and time. */
export type BlobRecordEncoder = (body: Buffer, records: BlobRecords, index: number, id: string, time: string) => Buffer

/** Writes sorted rows into consecutive part files. */
export interface PartWriter {
  write(row: KeyedRow): void
  /** Closes the last part and returns every part written, in order. */
  finish(): WrittenPart[]
}

/** A day file part written to a temp file, with what the commit and the manifest need. */
export interface WrittenPart {
  file: string
  bytes: number
  rows: number
  /** Of the content: equal to the manifest's for the same path means the part did not change. */
  sha256: string
  firstCreationTime: string
  lastCreationTime: string
}

/** A payload of one format as a payload of another, in a buffer of its own. */
export function convertPayload(payload: Buffer, from: SnapshotFormat, to: SnapshotFormat): Buffer {
  return to.fromFields(from.fields(payload))
}
