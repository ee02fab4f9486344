/**
 * Byte tests on a 32-bit word at a time ("SWAR", SIMD within a register), for the loops that
 * look for a few byte values in long runs of bytes: a row's plain values.
 * Words are read little-endian with a DataView (any offset), so the lowest byte of a word
 * is its first byte in memory.
 *
 * `(x - 0x01010101) & ~x & 0x80808080` flags the zero bytes of x. A borrow only runs upwards,
 * so the lowest flag is always right; a flag above it may be wrong, which is why callers use
 * only whether there is one.
 */

/** Flags (0x80 of each byte) the bytes of `word` equal to the byte repeated in `repeated` (e.g. 0x22222222). */
export function bytesEqualTo(word: number, repeated: number): number {
  const zeroWhereEqual = word ^ repeated
  return ((zeroWhereEqual - 0x01010101) | 0) & ~zeroWhereEqual & 0x80808080
}

/** Flags the bytes of `word` below the byte repeated in `repeatedLimit` (at most 0x80; e.g. 0x0e0e0e0e). */
export function bytesBelow(word: number, repeatedLimit: number): number {
  return ((word - repeatedLimit) | 0) & ~word & 0x80808080
}

/** A view for reading and writing words at any offset of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
