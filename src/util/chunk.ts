/**
 * Cuts `items` in order into chunks of at most `maxItems` items and about `maxBytes` bytes
 * (`sizeOf` each): a chunk closes before an item that would take it past either bound, and
 * an item larger than `maxBytes` makes a chunk of its own.
 */
export function chunkBySize<T>(
  items: readonly T[],
  maxItems: number,
  maxBytes: number,
  sizeOf: (item: T) => number
): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
