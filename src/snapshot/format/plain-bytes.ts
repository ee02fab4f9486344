import { bytesBelow, bytesEqualTo, viewOf } from '../../util/swar.js'

/**
 * Copying a value's bytes out of a content blob eight at a time (two 32-bit words), for the
 * values that need no care on the way: no CSV quotes, no JSON escapes. Such values (GUIDs,
 * names, operations) are most of a row's columns; a byte loop over them, and a call into
 * C++ per value for `Buffer#copy`, were a large share of a run's CPU (docs/benchmarks.md,
 * "Copying bytes a word at a time").
 */

const QUOTE = 0x22
const COMMA = 0x2c
const BACKSLASH = 0x5c

let viewedBlob: Uint8Array | undefined
let blobView: DataView | undefined

/** `viewOf(blob)`, made once for the records of one blob, which are encoded one after another. */
export function viewOfBlob(blob: Uint8Array): DataView {
  if (blob !== viewedBlob || !blobView) {
    viewedBlob = blob
    blobView = viewOf(blob)
  }
  return blobView
}

/**
 * Copies `source[start, end)` to `out` at `at`, eight bytes at a time, when none of its bytes
 * needs CSV quotes or is a JSON escape (a quote, comma, backslash, or a control byte such as
 * CR or LF); returns the new end, or -1 (having written some of it) when one does.
 */
export function copyPlainBytes(
  out: Uint8Array,
  outView: DataView,
  at: number,
  source: Uint8Array,
  sourceView: DataView,
  start: number,
  end: number
): number {
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

/** Non-zero when a byte of `word` is a quote, a comma, a backslash or below 0x0e (see util/swar.ts). */
function needsCare(word: number): number {
  return (
    bytesEqualTo(word, 0x22222222) |
    bytesEqualTo(word, 0x2c2c2c2c) |
    bytesEqualTo(word, 0x5c5c5c5c) |
    bytesBelow(word, 0x0e0e0e0e)
  )
}
