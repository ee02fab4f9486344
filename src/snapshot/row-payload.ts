import type { SnapshotFormat } from '../state/manifest.js'
import { decodeCsvLine, encodeBlobRecord, encodeCsvFields } from './csv-codec.js'
import { decodeFieldFrame, encodeBlobRecordFrame, encodeFieldFrame } from './field-frame.js'

/** Encodes record `index` of a scanned blob as a row's payload, given its key and time. */
export type BlobRecordEncoder = typeof encodeBlobRecord

/**
 * How rows travel to day files of a format: as CSV lines, copied into CSV files as they are,
 * or as field frames (see field-frame.ts), whose columns the Parquet writer takes without
 * parsing. Every row of a run, from a blob, an export or a day file on the branch, is in its
 * format's payload; rows of a day file in the other format are converted when they are read.
 */
export interface RowPayloads {
  /** A record of a scanned blob (the bytes are reused by the next call: copy them). */
  fromBlob: BlobRecordEncoder
  /** A row of fields (column order), in a buffer of its own. */
  fromFields(fields: readonly Uint8Array[]): Buffer
  /** A payload's fields, column order; `payload` itself is never changed. */
  fields(payload: Buffer): Buffer[]
}

const CSV: RowPayloads = {
  fromBlob: encodeBlobRecord,
  fromFields: encodeCsvFields,
  // decodeCsvLine undoubles quotes where they stand: it gets a copy.
  fields: (payload) => decodeCsvLine(Buffer.from(payload))
}

const FRAMES: RowPayloads = {
  fromBlob: encodeBlobRecordFrame,
  fromFields: encodeFieldFrame,
  fields: decodeFieldFrame
}

export function rowPayloads(format: SnapshotFormat): RowPayloads {
  return format === 'csv' ? CSV : FRAMES
}
