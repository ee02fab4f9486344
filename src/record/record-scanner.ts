import { RECORD_SCANNER_WASM } from './record-scanner-wasm.js'

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
 * The loop over the bytes is WebAssembly (assembly/record-scanner.ts, built by
 * `npm run build:wasm`): most of a record's bytes are inside strings, which it copies and
 * tests sixteen bytes at a time (SIMD). The same loop in JavaScript, eight bytes at a time,
 * took more than twice as long (docs/benchmarks.md, "The record scanner in WebAssembly").
 */

/**
 * The records of one blob, as arrays indexed by record (no object per record). The arrays
 * are views of the scanner's memory: use them before the next scan with the same keys.
 */
export interface BlobRecords {
  count: number
  /** Record i is the JSON object `[bounds[4i], bounds[4i+1])` of the blob... */
  bounds: Int32Array
  /** ...and, quotes doubled, `[bounds[4i+2], bounds[4i+3])` of `escaped`. */
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

/**
 * The fields to find (ASCII names, as our columns are), with a scanner of their own: make
 * once and reuse. Keys are looked up by length and first byte: a record has some twenty
 * top-level keys, and comparing each with every field took a fifth of the scan.
 */
export interface FieldKeys {
  readonly keys: readonly Uint8Array[]
  readonly scanner: RecordScanner
}

const KEY_MAX_LENGTH = 64
const KEY_FIRST_BYTES = 128

export function fieldKeys(fields: readonly string[]): FieldKeys {
  const keys = fields.map((field) => Buffer.from(field, 'utf8'))
  // Per length and first byte, the first field of that length and first byte plus one
  // (0: none); per field, the next field of the same length and first byte plus one.
  const first = new Int16Array(KEY_MAX_LENGTH * KEY_FIRST_BYTES)
  const next = new Int16Array(keys.length)
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index]!
    if (key.length === 0 || key.length >= KEY_MAX_LENGTH || key[0]! >= KEY_FIRST_BYTES)
      throw new Error(`cannot look up the field name '${fields[index]}'`)
    const slot = KEY_FIRST_BYTES * key.length + key[0]!
    next[index] = first[slot]!
    first[slot] = index + 1
  }
  return { keys, scanner: new RecordScanner(keys, first, next) }
}

/**
 * Reads every record of `body` (a JSON array of objects), writing each record's bytes with
 * quotes doubled as it goes. Throws BlobFormatError when `body` is not such an array:
 * `truncated` tells a cut-off download from other bytes.
 */
export function scanRecords(body: Uint8Array, keys: FieldKeys): BlobRecords {
  return keys.scanner.scan(body)
}

/** What the WebAssembly module exports (see assembly/record-scanner.ts). */
interface ScannerExports {
  memory: WebAssembly.Memory
  heapBase(): number
  setKeys(first: number, next: number, starts: number, bytes: number, fields: number): void
  scan(body: number, length: number, out: number, bounds: number, spans: number, capacity: number): number
  errorAt: WebAssembly.Global
  count: WebAssembly.Global
  DONE: WebAssembly.Global
  FULL: WebAssembly.Global
  CUT_OFF: WebAssembly.Global
  EMPTY: WebAssembly.Global
  NOT_AN_ARRAY: WebAssembly.Global
  NOT_AN_OBJECT: WebAssembly.Global
  UNEXPECTED: WebAssembly.Global
  TRAILING: WebAssembly.Global
}

let compiledScanner: WebAssembly.Module | undefined

const WASM_PAGE_BYTES = 64 * 1024
const align16 = (offset: number): number => (offset + 15) & ~15

/**
 * One instance of the WebAssembly scanner, its keys in its memory. A scan copies the blob in
 * after them, then lays out the quote-doubled copy (twice the blob, plus 16 for the last
 * block), the records' bounds and their spans; the memory grows to the largest blob seen.
 */
class RecordScanner {
  private readonly exports: ScannerExports
  private readonly fields: number
  private readonly dataStart: number
  /** Records a scan has room for; doubled when a blob has more. */
  private capacity = 2048

  constructor(keys: readonly Uint8Array[], first: Int16Array, next: Int16Array) {
    compiledScanner ??= new WebAssembly.Module(RECORD_SCANNER_WASM)
    this.exports = new WebAssembly.Instance(compiledScanner).exports as unknown as ScannerExports
    this.fields = keys.length
    const firstAt = align16(this.exports.heapBase())
    const nextAt = align16(firstAt + first.byteLength)
    const startsAt = align16(nextAt + next.byteLength)
    const bytesAt = align16(startsAt + 4 * keys.length)
    this.dataStart = align16(bytesAt + keys.reduce((sum, key) => sum + key.length, 0))
    this.ensureMemory(this.dataStart)
    const buffer = this.exports.memory.buffer
    new Int16Array(buffer, firstAt, first.length).set(first)
    new Int16Array(buffer, nextAt, next.length).set(next)
    const starts = new Int32Array(buffer, startsAt, keys.length)
    let offset = 0
    keys.forEach((key, index) => {
      starts[index] = offset
      new Uint8Array(buffer, bytesAt + offset, key.length).set(key)
      offset += key.length
    })
    this.exports.setKeys(firstAt, nextAt, startsAt, bytesAt, keys.length)
  }

  scan(body: Uint8Array): BlobRecords {
    const wasm = this.exports
    const length = body.length
    for (;;) {
      const bodyAt = this.dataStart
      const outAt = align16(bodyAt + length)
      const boundsAt = align16(outAt + 2 * length + 16)
      const spansAt = boundsAt + 16 * this.capacity
      this.ensureMemory(spansAt + 8 * this.fields * this.capacity)
      const buffer = wasm.memory.buffer
      new Uint8Array(buffer, bodyAt, length).set(body)
      const status = wasm.scan(bodyAt, length, outAt, boundsAt, spansAt, this.capacity)
      if (status === wasm.FULL.value) {
        this.capacity *= 2
        continue
      }
      if (status !== wasm.DONE.value) throw this.formatError(body, status, wasm.errorAt.value as number)
      const count = wasm.count.value as number
      return {
        count,
        bounds: new Int32Array(buffer, boundsAt, 4 * count),
        escaped: Buffer.from(buffer, outAt, 2 * length),
        spans: new Int32Array(buffer, spansAt, 2 * this.fields * count)
      }
    }
  }

  private ensureMemory(bytes: number): void {
    const memory = this.exports.memory
    const missing = bytes - memory.buffer.byteLength
    // Grown at least twofold: each growth moves the memory, and blobs differ in size.
    if (missing > 0)
      memory.grow(Math.max(Math.ceil(missing / WASM_PAGE_BYTES), memory.buffer.byteLength / WASM_PAGE_BYTES))
  }

  private formatError(body: Uint8Array, status: number, at: number): BlobFormatError {
    const codes = this.exports
    switch (status) {
      case codes.EMPTY.value:
        return new BlobFormatError('the body is empty', true)
      case codes.CUT_OFF.value:
        return new BlobFormatError('the body ends in the middle of the JSON; it was probably cut off', true)
      case codes.NOT_AN_ARRAY.value:
        return new BlobFormatError(`the body is not a JSON array (it starts with ${describe(body, at)})`, false)
      case codes.NOT_AN_OBJECT.value:
        return new BlobFormatError(`the element at byte ${at} is not a JSON object (${describe(body, at)})`, false)
      case codes.TRAILING.value:
        return new BlobFormatError(`there is more after the array, at byte ${at}`, false)
      default:
        return new BlobFormatError(`the body is not valid JSON at byte ${at} (${describe(body, at)})`, false)
    }
  }
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
