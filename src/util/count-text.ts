/**
 * A count with thousands separators, `1,234,567`, as `toLocaleString('en-US')` writes it. Not
 * with `toLocaleString` itself: its first call in a process loads ICU's number formatting,
 * a cost every run would pay for nothing (docs/benchmarks.md, "Counts without ICU").
 */
export function countText(count: number): string {
  if (!Number.isSafeInteger(count)) return String(count)
  const digits = String(Math.abs(count))
  let text = ''
  for (let end = digits.length; end > 0; end -= 3)
    text = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + text
  return count < 0 ? `-${text}` : text
}

/** `1 window`, `3 windows`: a count with its noun, for nouns that take an s. */
export function countNoun(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
