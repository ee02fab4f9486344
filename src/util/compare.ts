/** Orders strings by their UTF-16 code units, as `<` does: the same order on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
