/**
 * The record scanner's inner loop, in AssemblyScript (https://www.assemblyscript.org),
 * compiled to WebAssembly with SIMD by `npm run build:wasm` into
 * src/record/record-scanner-wasm.ts. src/record/record-scanner.ts explains what it reads and why;
 * this is only the loop, over bytes the caller copied into this module's memory:
 *
 * - a blob (a JSON array of objects) at `body`, `length` bytes;
 * - each record written to `out` with every quote doubled (room for twice the body, plus 16);
 * - record i's bounds at `bounds` + 16i: its start and end in the body, then in `out`;
 * - the spans of the wanted top-level values of record i at `spans` + 8·fields·i, a start and
 *   an end per field (quotes included for a string), -1 when absent;
 * - the wanted keys, looked up by length and first byte (see `setKeys`).
 *
 * Inside a string (most of a record's bytes) 16 bytes are copied at a time and tested at
 * once for a quote or a backslash; only the byte that stops them goes through the byte loop.
 */

const QUOTE: i32 = 0x22
const BACKSLASH: i32 = 0x5c
const COMMA: i32 = 0x2c
const COLON: i32 = 0x3a
const OPEN_OBJECT: i32 = 0x7b
const CLOSE_OBJECT: i32 = 0x7d
const OPEN_ARRAY: i32 = 0x5b
const CLOSE_ARRAY: i32 = 0x5d
const KEY_MAX_LENGTH: i32 = 64
const KEY_FIRST_BYTES: i32 = 128

/** What `scan` returns: the array was read whole... */
export const DONE: i32 = 0
/** ...`capacity` records are not enough: scan again with more room... */
export const FULL: i32 = 1
/** ...or the body is not such an array (`errorAt` tells where, when it is a place). */
export const CUT_OFF: i32 = -1
export const EMPTY: i32 = -2
export const NOT_AN_ARRAY: i32 = -3
export const NOT_AN_OBJECT: i32 = -4
export const UNEXPECTED: i32 = -5
export const TRAILING: i32 = -6

export let errorAt: i32 = 0
/** Records read by the last scan. */
export let count: i32 = 0

// The cursors of a scan, past the last record read.
let at: i32 = 0
let written: i32 = 0

// The wanted keys: `firstTable` (i16 per length and first byte) gives the first key of that
// length and first byte plus one (0: none), `nextTable` (i16 per key) the next such key plus
// one; key k's bytes start at `keyBytes` + the i32 at `keyStarts` + 4k.
let firstTable: usize = 0
let nextTable: usize = 0
let keyStarts: usize = 0
let keyBytes: usize = 0
let fields: i32 = 0

/** Where the module's own data ends: the caller's buffers go after it. */
export function heapBase(): usize {
  return __heap_base
}

export function setKeys(first: usize, next: usize, starts: usize, bytes: usize, fieldCount: i32): void {
  firstTable = first
  nextTable = next
  keyStarts = starts
  keyBytes = bytes
  fields = fieldCount
}

@inline function isSpace(byte: i32): bool {
  return byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
}

/** Reads the JSON array of objects `body[0, length)`; see the constants for what it returns. */
export function scan(body: usize, length: i32, out: usize, bounds: usize, spans: usize, capacity: i32): i32 {
  at = 0
  written = 0
  count = 0
  while (at < length && isSpace(load<u8>(body + at))) at++
  if (at >= length) return EMPTY
  if (load<u8>(body + at) != OPEN_ARRAY) {
    errorAt = at
    return NOT_AN_ARRAY
  }
  at++
  let expectRecord = true
  for (;;) {
    while (at < length && isSpace(load<u8>(body + at))) at++
    if (at >= length) return CUT_OFF
    const byte = <i32>load<u8>(body + at)
    if (byte == CLOSE_ARRAY && (count == 0 || !expectRecord)) break
    if (!expectRecord) {
      if (byte != COMMA) {
        errorAt = at
        return UNEXPECTED
      }
      expectRecord = true
      at++
      continue
    }
    if (byte != OPEN_OBJECT) {
      errorAt = at
      return NOT_AN_OBJECT
    }
    if (count == capacity) return FULL
    const recordSpans = spans + <usize>(8 * fields * count)
    memory.fill(recordSpans, 0xff, <usize>(8 * fields))
    const recordBounds = bounds + <usize>(16 * count)
    store<i32>(recordBounds, at)
    store<i32>(recordBounds, written, 8)
    const status = scanObject(body, length, out, recordSpans)
    if (status != DONE) return status
    store<i32>(recordBounds, at, 4)
    store<i32>(recordBounds, written, 12)
    count++
    expectRecord = false
  }
  at++
  while (at < length && isSpace(load<u8>(body + at))) at++
  if (at < length) {
    errorAt = at
    return TRAILING
  }
  return DONE
}

/**
 * Reads the object at `at`, noting the spans of wanted top-level values, and copies it to
 * `out` at `written` with quotes doubled; leaves both cursors just past it. Strings are skipped
 * honouring escapes, nesting is counted, and only keys at the object's own level are compared.
 */
function scanObject(body: usize, length: i32, out: usize, spans: usize): i32 {
  const quotes = i8x16.splat(<i8>QUOTE)
  const backslashes = i8x16.splat(<i8>BACKSLASH)
  // The last offset from which 16 bytes can be read; `out` has room for 16 past its end.
  const blocksEnd = length - 16
  let from = at
  let to = written
  let depth = 0
  let expectKey = true
  let wanted = -1
  let valueStart = -1
  for (;;) {
    if (from >= length) return CUT_OFF
    const byte = <i32>load<u8>(body + from)
    if (byte == QUOTE) {
      const stringStart = from
      from++
      store<u16>(out + to, 0x2222)
      to += 2
      for (;;) {
        // Blocks are copied whole, then the cursors stop at their first quote or backslash.
        while (from <= blocksEnd) {
          const block = v128.load(body + from)
          v128.store(out + to, block)
          const stops = i8x16.bitmask(v128.or(i8x16.eq(block, quotes), i8x16.eq(block, backslashes)))
          if (stops != 0) {
            const clear = ctz(stops)
            from += clear
            to += clear
            break
          }
          from += 16
          to += 16
        }
        if (from >= length) return CUT_OFF
        const inner = <i32>load<u8>(body + from)
        from++
        store<u8>(out + to, inner)
        to++
        if (inner == QUOTE) {
          store<u8>(out + to, QUOTE)
          to++
          break
        }
        if (inner == BACKSLASH) {
          if (from >= length) return CUT_OFF
          const escaped = <i32>load<u8>(body + from)
          from++
          store<u8>(out + to, escaped)
          to++
          if (escaped == QUOTE) {
            store<u8>(out + to, QUOTE)
            to++
          }
        }
      }
      if (depth == 1) {
        if (expectKey) wanted = findKey(body, stringStart + 1, from - 1)
        else if (wanted >= 0) {
          noteSpan(spans, wanted, stringStart, from)
          wanted = -1
        }
      }
      continue
    }
    store<u8>(out + to, byte)
    to++
    if (byte == OPEN_OBJECT || byte == OPEN_ARRAY) {
      if (depth == 1) {
        if (expectKey) {
          errorAt = from
          return UNEXPECTED
        }
        valueStart = from
      }
      depth++
      from++
      continue
    }
    if (byte == CLOSE_OBJECT || byte == CLOSE_ARRAY) {
      depth--
      from++
      if (depth == 0) {
        at = from
        written = to
        return DONE
      }
      if (depth == 1 && wanted >= 0) {
        noteSpan(spans, wanted, valueStart, from)
        wanted = -1
      }
      continue
    }
    if (byte == COLON) {
      if (depth == 1) expectKey = false
      from++
      continue
    }
    if (byte == COMMA) {
      if (depth == 1) {
        expectKey = true
        wanted = -1
      }
      from++
      continue
    }
    if (isSpace(byte)) {
      from++
      continue
    }
    // A number, true, false or null.
    const scalarStart = from
    from++
    while (from < length) {
      const inner = <i32>load<u8>(body + from)
      if (inner == COMMA || inner == CLOSE_OBJECT || inner == CLOSE_ARRAY || isSpace(inner)) break
      store<u8>(out + to, inner)
      to++
      from++
    }
    if (depth == 1) {
      if (expectKey) {
        errorAt = scalarStart
        return UNEXPECTED
      }
      if (wanted >= 0) {
        noteSpan(spans, wanted, scalarStart, from)
        wanted = -1
      }
    }
  }
  return DONE
}

/** Notes that wanted field `field`'s value is `body[start, end)`. */
@inline function noteSpan(spans: usize, field: i32, start: i32, end: i32): void {
  store<i32>(spans + <usize>(8 * field), start)
  store<i32>(spans + <usize>(8 * field), end, 4)
}

/** The index of the wanted key spelled by `body[start, end)`, or -1. */
function findKey(body: usize, start: i32, end: i32): i32 {
  const length = end - start
  if (length <= 0 || length >= KEY_MAX_LENGTH) return -1
  const firstByte = <i32>load<u8>(body + start)
  if (firstByte >= KEY_FIRST_BYTES) return -1
  let candidate = <i32>load<i16>(firstTable + <usize>(2 * (KEY_FIRST_BYTES * length + firstByte)))
  while (candidate != 0) {
    const key = keyBytes + <usize>load<i32>(keyStarts + <usize>(4 * (candidate - 1)))
    let index = 1
    while (index < length && load<u8>(key + index) == load<u8>(body + start + index)) index++
    if (index == length) return candidate - 1
    candidate = <i32>load<i16>(nextTable + <usize>(2 * (candidate - 1)))
  }
  return -1
}
