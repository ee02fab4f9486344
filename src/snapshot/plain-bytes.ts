/**
 * Copying a value's bytes out of a content blob eight at a time (two 32-bit words), for the
 * values that need no care on the way: no CSV quotes, no JSON escapes. Such values (GUIDs,
 * names, operations) are most of a row's columns; a byte loop over them, and a call into
 * C++ per value for `Buffer#copy`, were a tenth of a run's CPU (measured with `--cpu-prof`
 * by `npm run bench`).
 */

const QUOTE = 0x22
const COMMA = 0x2c
const BACKSLASH = 0x5c

/** A view for reading and writing words at any offset of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Copies `source[start, end)` to `out` at `at`, eight bytes at a time, when none of its bytes
 * needs CSV quotes or is a JSON escape (a quote, comma, backslash, or a control byte such as
 * CR or LF); returns the new end, or -1 (having written some of it) when one does.
 */
export function copyPlainBytes(out: Uint8Array, outView: DataView, at: number, source: Uint8Array, sourceView: DataView, start: number, end: number): number {
  let from = start
  for (; from + 8 <= end; from += 8, at += 8) {
    const low = sourceView.getInt32(from, true)
    const high = sourceView.getInt32(from + 4, true)
    if ((needsCare(low) | needsCare(high)) !== 0) return -1
    outView.setInt32(at, low, true)
    outView.setInt32(at + 4, high, true)
  }
  for (; from < end; from++) {
    const byte = source[from]!
    if (byte === QUOTE || byte === COMMA || byte === BACKSLASH || byte < 0x0e) return -1
    out[at++] = byte
  }
  return at
}

/**
 * Non-zero when a byte of `word` is a quote, a comma, a backslash or below 0x0e. A byte is
 * zero after XOR with a pattern exactly when it equals it; `(x - 0x01) & ~x & 0x80` flags a
 * zero byte, and `(x - n) & ~x & 0x80` a byte below n (n ≤ 0x80), in some byte of a word.
 */
function needsCare(word: number): number {
  const quotes = word ^ 0x22222222
  const commas = word ^ 0x2c2c2c2c
  const backslashes = word ^ 0x5c5c5c5c
  return (
    ((((quotes - 0x01010101) | 0) & ~quotes) |
      (((commas - 0x01010101) | 0) & ~commas) |
      (((backslashes - 0x01010101) | 0) & ~backslashes) |
      (((word - 0x0e0e0e0e) | 0) & ~word)) &
    0x80808080
  )
}
