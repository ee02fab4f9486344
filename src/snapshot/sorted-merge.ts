import { compareRows, preferredCopy, type KeyedRow } from '../record/keyed-row.js'

/**
 * Merges sources that are each sorted by (time, Id) into one sorted stream, keeping one row
 * per (time, Id). Among copies, a source listed earlier wins (existing rows over new ones);
 * copies within the same source rank give way to `preferredCopy`. Sources and the result
 * are batches of rows, so that the merge runs synchronously between refills.
 *
 * A source may reuse a batch's memory once it is asked for the next one (the run files are
 * read through one buffer each): before the merge asks, it hands on every row it took from
 * that batch and copies the one it still holds back. Batches of the result are likewise only
 * good until the next one is asked for; a caller that keeps rows longer copies them.
 *
 * `onKept` is told of every row kept, with the index of the source it came from.
 */
export async function* mergeSorted(
  sources: readonly AsyncIterable<KeyedRow[]>[],
  options: { rank?: (source: number) => number; onKept?: (source: number) => void; batchRows?: number } = {}
): AsyncGenerator<KeyedRow[]> {
  const rank = options.rank ?? ((source: number) => source)
  const batchRows = options.batchRows ?? 4_096
  const cursors = sources.map((source, index): Cursor => ({
    index,
    iterator: source[Symbol.asyncIterator](),
    batch: [],
    at: 0,
    done: false
  }))
  try {
    await Promise.all(cursors.map(refill))
    const heap = new CursorHeap(cursors, rank)

    let out: KeyedRow[] = []
    // The row last kept: it goes into `out` once a row with another key follows, since a copy
    // of it from a better source, or a preferred copy, may still replace it.
    let kept: KeyedRow | undefined
    let keptSource = -1
    while (heap.size > 0) {
      const top = heap.top()
      const row = top.batch[top.at++]!
      if (kept && compareRows(kept, row) === 0) {
        if (rank(top.index) === rank(keptSource) && preferredCopy(kept, row) === row) {
          kept = row
          keptSource = top.index
        }
      } else {
        if (kept) out.push(kept)
        if (out.length >= batchRows) {
          yield out
          out = []
        }
        kept = row
        keptSource = top.index
        options.onKept?.(top.index)
      }
      if (top.at >= top.batch.length) {
        if (out.length > 0) {
          yield out
          out = []
        }
        if (kept && keptSource === top.index)
          kept = { time: kept.time, id: kept.id, payload: Buffer.from(kept.payload) }
        await refill(top)
        if (top.done) heap.dropTop()
      }
      heap.siftDown(0)
    }
    if (kept) out.push(kept)
    if (out.length > 0) yield out
  } finally {
    // However the merge ends (done, stopped early, a source failing), no source is left open:
    // a run file or a download each holds.
    const open = cursors.filter((cursor) => !cursor.done)
    await Promise.all(open.map(async (cursor) => cursor.iterator.return?.().catch(() => undefined)))
  }
}

/** Where the merge stands in one source: its current batch and row. */
interface Cursor {
  index: number
  iterator: AsyncIterator<KeyedRow[]>
  batch: KeyedRow[]
  at: number
  done: boolean
}

/** Reads the source's next non-empty batch once the current one is used up, or marks it done. */
async function refill(cursor: Cursor): Promise<void> {
  while (cursor.at >= cursor.batch.length && !cursor.done) {
    const next = await cursor.iterator.next()
    if (next.done) cursor.done = true
    else {
      cursor.batch = next.value
      cursor.at = 0
    }
  }
}

/** A binary heap of the cursors that still hold rows, by their current row; among equal rows, the better-ranked source first. */
class CursorHeap {
  private readonly heap: Cursor[]

  constructor(
    cursors: readonly Cursor[],
    private readonly rank: (source: number) => number
  ) {
    this.heap = cursors.filter((cursor) => !cursor.done)
    for (let at = Math.floor(this.heap.length / 2) - 1; at >= 0; at--) this.siftDown(at)
  }

  get size(): number {
    return this.heap.length
  }

  top(): Cursor {
    return this.heap[0]!
  }

  /** Removes the top cursor: its source has ended. */
  dropTop(): void {
    const end = this.heap.pop()!
    if (this.heap.length > 0) this.heap[0] = end
  }

  /** Moves the cursor at `from` down to its place, after its current row changed. */
  siftDown(from: number): void {
    const heap = this.heap
    for (let at = from; ;) {
      const left = 2 * at + 1
      const right = left + 1
      let smallest = at
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === at) return
      ;[heap[at], heap[smallest]] = [heap[smallest]!, heap[at]!]
      at = smallest
    }
  }

  private less(a: Cursor, b: Cursor): boolean {
    const order = compareRows(a.batch[a.at]!, b.batch[b.at]!)
    return order < 0 || (order === 0 && this.rank(a.index) < this.rank(b.index))
  }
}
