import { bytesEqualTo, firstFlaggedByte, viewOf } from '../util/swar.js'

/**
 * Reads a content blob, the JSON array of audit records the API serves, without turning its
 * records into objects: in one pass over the bytes it finds where each record starts and
 * ends, where the values of a few top-level fields are, and (for CSV) writes each record's
 * bytes with every quote doubled, ready to be a quoted CSV field. The record's own bytes
 * thus become `AuditData` exactly as served.
 *
 * Why not JSON.parse: a record is about a kilobyte of nested JSON of which the snapshot
 * reads a dozen short fields; parsing it into objects, writing it back with JSON.stringify,
 * escaping it for CSV and collecting the garbage was most of a run's CPU (measured by
 * `npm run bench`). The test suite checks this reader against JSON.parse on generated blobs
 * and on random JSON.
 *
 * Most of a record's bytes are inside strings (an audit record is some fifty of them), so
 * the inside of a string is copied eight bytes at a time, two 32-bit words tested at once
 * for a quote or a backslash ("SWAR": SIMD within a register), and only the byte that stops
 * the words goes through the byte loop.
 */

/** The records of one blob, as arrays indexed by record (no object per record). */
export interface BlobRecords {
  count: number
  /** Record i is the JSON object `[bounds[4i], bounds[4i+1])` of the blob... */
  bounds: Int32Array
  /**
   * ...and, quotes doubled, `[bounds[4i+2], bounds[4i+3])` of `escaped`. The buffer is shared
   * by every scan: use it before the next one.
   */
  escaped: Buffer
  /**
   * The value of wanted field f of record i is `[spans[2(iF+f)], spans[2(iF+f)+1])` of the
   * blob, F being the number of wanted fields, quotes included for a string; -1 when absent.
   */
  spans: Int32Array
}

/** The blob is not a complete JSON array of objects. */
export class BlobFormatError extends Error {
  constructor(
    message: string,
    /** The bytes simply stop: a download cut short, worth fetching again. */
    readonly truncated: boolean
  ) {
    super(message)
    this.name = 'BlobFormatError'
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/**
 * The fields to find, looked up by a key's length and first byte: a record has some twenty
 * top-level keys, and comparing each with every field took a fifth of the scan.
 */
export interface FieldKeys {
  readonly keys: readonly Uint8Array[]
  /** `KEY_FIRST_BYTES * length + first byte` → the first field of that length and first byte, plus one (0: none)... */
  readonly first: Int16Array
  /** ...field → the next field of the same length and first byte, plus one. */
  readonly next: Int16Array
}

const KEY_MAX_LENGTH = 64
const KEY_FIRST_BYTES = 128

/** The fields to find (ASCII names, as our columns are); make once and reuse. */
export function fieldKeys(fields: readonly string[]): FieldKeys {
  const keys = fields.map((field) => Buffer.from(field, 'utf8'))
  const first = new Int16Array(KEY_MAX_LENGTH * KEY_FIRST_BYTES)
  const next = new Int16Array(keys.length)
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index]!
    if (key.length === 0 || key.length >= KEY_MAX_LENGTH || key[0]! >= KEY_FIRST_BYTES) throw new Error(`cannot look up the field name '${fields[index]}'`)
    const slot = KEY_FIRST_BYTES * key.length + key[0]!
    next[index] = first[slot]!
    first[slot] = index + 1
  }
  return { keys, first, next }
}

/**
 * Reads every record of `body` (a JSON array of objects), writing each record's bytes with
 * quotes doubled as it goes. Throws BlobFormatError when `body` is not such an array:
 * `truncated` tells a cut-off download from other bytes.
 */
export function scanRecords(body: Uint8Array, keys: FieldKeys): BlobRecords {
  const length = body.length
  const fields = keys.keys.length
  let capacity = 64
  let bounds: Int32Array = new Int32Array(4 * capacity)
  let spans: Int32Array = new Int32Array(2 * fields * capacity)
  // Every byte a quote is the most a blob can grow. One buffer serves every scan: a blob's
  // rows are made from it before the next blob is read, and a fresh one per blob (twice the
  // blob's size, thousands of times a run) kept the process's memory high for nothing.
  if (sharedEscaped.length < 2 * length) {
    sharedEscaped = Buffer.allocUnsafe(Math.max(2 * length, 2 * sharedEscaped.length))
    sharedEscapedView = viewOf(sharedEscaped)
  }
  const escaped = sharedEscaped
  const escapedView = sharedEscapedView
  const bodyView = viewOf(body)
  const cursor = { at: 0, written: 0 }
  let count = 0

  let at = 0
  while (at < length && isSpace(body[at])) at++
  if (at >= length) throw new BlobFormatError('the body is empty', true)
  if (body[at] !== OPEN_ARRAY) throw new BlobFormatError(`the body is not a JSON array (it starts with ${describe(body, at)})`, false)
  at++
  let expectRecord = true
  for (;;) {
    while (at < length && isSpace(body[at])) at++
    if (at >= length) throw cutOff()
    const byte = body[at]
    if (byte === CLOSE_ARRAY && (count === 0 || !expectRecord)) break
    if (!expectRecord) {
      if (byte !== COMMA) throw unexpected(body, at)
      expectRecord = true
      at++
      continue
    }
    if (byte !== OPEN_OBJECT) throw new BlobFormatError(`the element at byte ${at} is not a JSON object (${describe(body, at)})`, false)
    if (count === capacity) {
      capacity *= 2
      bounds = grow(bounds, 4 * capacity)
      spans = grow(spans, 2 * fields * capacity)
    }
    spans.fill(-1, 2 * fields * count, 2 * fields * (count + 1))
    bounds[4 * count] = at
    bounds[4 * count + 2] = cursor.written
    cursor.at = at
    scanObject(body, bodyView, keys, spans, 2 * fields * count, escaped, escapedView, cursor)
    at = cursor.at
    bounds[4 * count + 1] = at
    bounds[4 * count + 3] = cursor.written
    count++
    expectRecord = false
  }
  at++
  while (at < length && isSpace(body[at])) at++
  if (at < length) throw new BlobFormatError(`there is more after the array, at byte ${at}`, false)
  return { count, bounds, escaped, spans }
}

let sharedEscaped = Buffer.allocUnsafe(1024 * 1024)
let sharedEscapedView = viewOf(sharedEscaped)

function grow(array: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(size)
  bigger.set(array)
  return bigger
}

/**
 * Scans the object at `cursor.at`, noting the spans of wanted top-level values from
 * `spans[base]` on, and copying its bytes to `out` from `cursor.written` on with quotes
 * doubled; leaves the cursor just past both. One loop over the bytes: strings are skipped
 * honouring escapes, nesting is counted, and only keys at the object's own level are compared.
 */
function scanObject(
  body: Uint8Array,
  bodyView: DataView,
  keys: FieldKeys,
  spans: Int32Array,
  base: number,
  out: Uint8Array,
  outView: DataView,
  cursor: { at: number; written: number }
): void {
  const length = body.length
  // The last offset from which eight bytes can be read. Writing them is always in bounds:
  // `out` holds twice the body, and at most every byte read so far was written twice.
  const wordsEnd = length - 8
  let { at, written } = cursor
  let depth = 0
  let expectKey = true
  let wanted = -1
  let valueStart = -1
  for (;;) {
    if (at >= length) throw cutOff()
    const byte = body[at]!
    if (byte === QUOTE) {
      const stringStart = at
      at++
      out[written++] = QUOTE
      out[written++] = QUOTE
      for (;;) {
        // Words are copied whole, then the cursors stop at their first quote or backslash.
        while (at <= wordsEnd) {
          const low = bodyView.getInt32(at, true)
          const lowStops = quoteOrBackslashBytes(low)
          outView.setInt32(written, low, true)
          if (lowStops !== 0) {
            const clear = firstFlaggedByte(lowStops)
            at += clear
            written += clear
            break
          }
          const high = bodyView.getInt32(at + 4, true)
          const highStops = quoteOrBackslashBytes(high)
          outView.setInt32(written + 4, high, true)
          if (highStops !== 0) {
            const clear = 4 + firstFlaggedByte(highStops)
            at += clear
            written += clear
            break
          }
          at += 8
          written += 8
        }
        if (at >= length) throw cutOff()
        const inner = body[at++]!
        out[written++] = inner
        if (inner === QUOTE) {
          out[written++] = QUOTE
          break
        }
        if (inner === BACKSLASH) {
          if (at >= length) throw cutOff()
          const escapedByte = body[at++]!
          out[written++] = escapedByte
          if (escapedByte === QUOTE) out[written++] = QUOTE
        }
      }
      if (depth === 1) {
        if (expectKey) wanted = findKey(body, stringStart + 1, at - 1, keys)
        else if (wanted >= 0) {
          spans[base + 2 * wanted] = stringStart
          spans[base + 2 * wanted + 1] = at
          wanted = -1
        }
      }
      continue
    }
    out[written++] = byte
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === 1) {
        if (expectKey) throw unexpected(body, at)
        valueStart = at
      }
      depth++
      at++
      continue
    }
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--
      at++
      if (depth === 0) {
        cursor.at = at
        cursor.written = written
        return
      }
      if (depth === 1 && wanted >= 0) {
        spans[base + 2 * wanted] = valueStart
        spans[base + 2 * wanted + 1] = at
        wanted = -1
      }
      continue
    }
    if (byte === COLON) {
      if (depth === 1) expectKey = false
      at++
      continue
    }
    if (byte === COMMA) {
      if (depth === 1) {
        expectKey = true
        wanted = -1
      }
      at++
      continue
    }
    if (isSpace(byte)) {
      at++
      continue
    }
    // A number, true, false or null.
    const scalarStart = at
    at++
    while (at < length) {
      const inner = body[at]!
      if (inner === COMMA || inner === CLOSE_OBJECT || inner === CLOSE_ARRAY || isSpace(inner)) break
      out[written++] = inner
      at++
    }
    if (depth === 1) {
      if (expectKey) throw unexpected(body, scalarStart)
      if (wanted >= 0) {
        spans[base + 2 * wanted] = scalarStart
        spans[base + 2 * wanted + 1] = at
        wanted = -1
      }
    }
  }
}

/** Flags the quotes and backslashes of a word (see util/swar.ts: only the first flag is used). */
function quoteOrBackslashBytes(word: number): number {
  return bytesEqualTo(word, 0x22222222) | bytesEqualTo(word, 0x5c5c5c5c)
}

/** The index of the wanted key spelled by `body[start, end)`, or -1. */
function findKey(body: Uint8Array, start: number, end: number, keys: FieldKeys): number {
  const length = end - start
  if (length <= 0 || length >= KEY_MAX_LENGTH) return -1
  const firstByte = body[start]!
  if (firstByte >= KEY_FIRST_BYTES) return -1
  for (let candidate = keys.first[KEY_FIRST_BYTES * length + firstByte]!; candidate !== 0; candidate = keys.next[candidate - 1]!) {
    const key = keys.keys[candidate - 1]!
    let at = 1
    while (at < length && key[at] === body[start + at]) at++
    if (at === length) return candidate - 1
  }
  return -1
}

/** How a top-level value found by the scanner becomes a field. */
export const ValueKind = {
  /** Absent, or JSON null: no value. */
  Empty: 0,
  /** A string without escapes: its bytes between the quotes. */
  PlainString: 1,
  /** A string with a JSON escape, the rare case: decoded first. */
  EscapedString: 2,
  /** A number, true, false, or an object's or array's JSON: as written. */
  Literal: 3
} as const

export function valueKind(body: Uint8Array, start: number, end: number): (typeof ValueKind)[keyof typeof ValueKind] {
  if (start < 0) return ValueKind.Empty
  if (body[start] === QUOTE) {
    for (let at = start + 1; at < end - 1; at++) if (body[at] === BACKSLASH) return ValueKind.EscapedString
    return ValueKind.PlainString
  }
  if (end - start === 4 && body[start] === 0x6e && body[start + 1] === 0x75) return ValueKind.Empty
  return ValueKind.Literal
}

/**
 * A value's text: a string decoded, `null` as undefined, anything else as written (a number,
 * true or false, or the JSON of an object or array).
 */
export function valueText(body: Buffer, start: number, end: number): string | undefined {
  switch (valueKind(body, start, end)) {
    case ValueKind.Empty:
      return undefined
    case ValueKind.PlainString:
      return body.toString('utf8', start + 1, end - 1)
    case ValueKind.EscapedString:
      return JSON.parse(body.toString('utf8', start, end)) as string
    default:
      return body.toString('utf8', start, end)
  }
}

function describe(body: Uint8Array, at: number): string {
  return JSON.stringify(Buffer.from(body.buffer, body.byteOffset + at, Math.min(20, body.length - at)).toString('utf8'))
}

function cutOff(): BlobFormatError {
  return new BlobFormatError('the body ends in the middle of the JSON; it was probably cut off', true)
}

function unexpected(body: Uint8Array, at: number): BlobFormatError {
  return new BlobFormatError(`the body is not valid JSON at byte ${at} (${describe(body, at)})`, false)
}
