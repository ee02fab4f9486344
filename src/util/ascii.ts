const NO_REFUSED = new Uint8Array(128)

/**
 * Writes `text` into `out` at `at` as bytes when every character is ASCII and none is in
 * `refused` (a 128-entry table, 1 = refused; none when left out); returns the new end,
 * or -1 (having written some of it) when one is not. For the short keys and times a run
 * writes for every row, a loop over char codes costs less than `Buffer#write` with an
 * encoding, a call into C++ (docs/benchmarks.md, "Copying bytes a word at a time").
 */
export function writeAscii(out: Uint8Array, at: number, text: string, refused: Uint8Array = NO_REFUSED): number {
  const length = text.length
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index)
    if (code >= 0x80 || refused[code] === 1) return -1
    out[at + index] = code
  }
  return at + length
}

/** A table for `writeAscii` refusing the given characters. */
export function refusing(characters: string): Uint8Array {
  const table = new Uint8Array(128)
  for (const character of characters) table[character.charCodeAt(0)] = 1
  return table
}

/** Writes a CreationTime the caller normalised (`YYYY-MM-DDTHH:MM:SSZ`) at `at`; returns the new end. */
export function writeCreationTime(out: Uint8Array, at: number, time: string): number {
  const end = writeAscii(out, at, time)
  if (end < 0) throw new Error(`A CreationTime to write is not normalised: '${time}'.`)
  return end
}
