import { closeSync, openSync, writeSync } from 'node:fs'
import { open, mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ContentType } from '../record/content-types.js'
import { writeAscii } from '../util/ascii.js'
import { mergeSorted } from './sorted-merge.js'
import type { KeyedRow } from '../record/keyed-row.js'

/**
 * Where a run keeps the rows it collects until they are merged into day files: in memory up
 * to a budget, then spilled to sorted run files under the run's temp folder. Memory stays
 * the same whatever a day holds; reading a day back merges its runs into one sorted stream.
 *
 * In memory a row is its bytes in a shared arena plus one string, its sort key: not an object
 * per row. Thousands of small objects that live until the next spill are what made V8 grow
 * its young generation to the maximum, tens of megabytes of memory for nothing.
 *
 * A run file is a sequence of frames: u32 length of the rest, u8 time length, u16 Id length,
 * the time, the Id, then the row's encoded bytes.
 */
export class Spool {
  private readonly days = new Map<ContentType, Map<string, SpoolDay>>()
  private arena: Buffer[] = [Buffer.allocUnsafe(ARENA_CHUNK_BYTES)]
  /**
   * Arena chunks whose rows were spilled, for the next rows: a fresh chunk per megabyte of
   * rows would add up to a day of allocations, and V8 answers a churn of outside memory with
   * full garbage collections.
   */
  private spareChunks: Buffer[] = []
  private readonly writeChunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES)
  private arenaUsed = 0
  private bufferedBytes = 0
  private runCount = 0

  private constructor(
    private readonly dir: string,
    private readonly memoryBytes: number
  ) {}

  /** A spool in `dir` (created; removed again by `remove`) that holds `memoryBytes` before spilling. */
  static async create(dir: string, memoryBytes = DEFAULT_SPOOL_MEMORY_BYTES): Promise<Spool> {
    await mkdir(dir, { recursive: true })
    return new Spool(dir, memoryBytes)
  }

  /**
   * Adds a row of a content type's day; its bytes are copied (the caller may reuse them).
   * Call `spillIfFull` after a batch of adds.
   */
  add(type: ContentType, day: string, row: KeyedRow): void {
    let days = this.days.get(type)
    if (!days) this.days.set(type, (days = new Map()))
    let entry = days.get(day)
    if (!entry)
      days.set(day, (entry = { type, day, keys: [], places: [], lengths: [], runs: [], rows: 0, firstTime: row.time }))
    const size = row.payload.byteLength
    let chunk = this.arena.at(-1)!
    if (this.arenaUsed + size > chunk.length) {
      chunk =
        (size <= ARENA_CHUNK_BYTES && this.spareChunks.pop()) || Buffer.allocUnsafe(Math.max(ARENA_CHUNK_BYTES, size))
      this.arena.push(chunk)
      this.arenaUsed = 0
    }
    row.payload.copy(chunk, this.arenaUsed)
    entry.keys.push(row.time + row.id)
    entry.places.push((this.arena.length - 1) * ARENA_CHUNK_BYTES + this.arenaUsed)
    entry.lengths.push(size)
    this.arenaUsed += size
    entry.rows++
    if (row.time < entry.firstTime) entry.firstTime = row.time
    this.bufferedBytes += size + row.id.length + ROW_OVERHEAD_BYTES
  }

  /** Writes the buffered rows to run files once they exceed the memory budget. */
  async spillIfFull(): Promise<void> {
    if (this.bufferedBytes >= this.memoryBytes) await this.spill()
  }

  /** Writes every buffered row to run files, one sorted run per day, and empties the buffer. */
  async spill(): Promise<void> {
    for (const entry of this.allDays()) {
      if (entry.keys.length === 0) continue
      const path = join(this.dir, `run-${++this.runCount}.bin`)
      writeRun(path, entry, sortedOrder(entry), this.arena, this.writeChunk)
      entry.runs.push(path)
      entry.keys = []
      entry.places = []
      entry.lengths = []
    }
    this.spareChunks.push(...this.arena.filter((chunk) => chunk.length === ARENA_CHUNK_BYTES))
    this.arena = [this.spareChunks.pop() ?? Buffer.allocUnsafe(ARENA_CHUNK_BYTES)]
    this.arenaUsed = 0
    this.bufferedBytes = 0
  }

  /**
   * Takes every row of another spool, which is left empty: its buffered rows are spilled and
   * its run files moved into this spool's folder, so nothing is read or copied row by row.
   */
  async absorb(other: Spool): Promise<void> {
    await other.spill()
    for (const source of other.allDays()) {
      let days = this.days.get(source.type)
      if (!days) this.days.set(source.type, (days = new Map()))
      let entry = days.get(source.day)
      if (!entry)
        days.set(
          source.day,
          (entry = {
            type: source.type,
            day: source.day,
            keys: [],
            places: [],
            lengths: [],
            runs: [],
            rows: 0,
            firstTime: source.firstTime
          })
        )
      for (const run of source.runs) {
        const path = join(this.dir, `run-${++this.runCount}.bin`)
        await rename(run, path)
        entry.runs.push(path)
      }
      entry.rows += source.rows
      if (source.firstTime < entry.firstTime) entry.firstTime = source.firstTime
    }
    other.days.clear()
  }

  /** The days that hold rows, by content type then day. */
  entries(): { type: ContentType; day: string; rows: number; firstTime: string }[] {
    return [...this.allDays()]
      .map(({ type, day, rows, firstTime }) => ({ type, day, rows, firstTime }))
      .sort((a, b) => (a.type === b.type ? (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) : a.type < b.type ? -1 : 1))
  }

  /** Rows held in all, counting copies. */
  get rows(): number {
    let rows = 0
    for (const entry of this.allDays()) rows += entry.rows
    return rows
  }

  /**
   * A day's rows, sorted, one per (time, Id): its run files merged, plus what is still in
   * memory. Can be read any number of times (a commit rebuilt on a moved branch reads again).
   * A batch is good until the next is asked for (see `mergeSorted`), and no rows may be added
   * while a day is read: a spill would hand the arena's chunks on.
   */
  read(type: ContentType, day: string): AsyncIterable<KeyedRow[]> {
    // Nothing is added while days are read: chunks kept for the next rows only add to the
    // peak of the merge that follows.
    this.spareChunks = []
    const entry = this.days.get(type)?.get(day)
    if (!entry) return emptyRows()
    const sources = [...entry.runs.map((path) => readRun(path)), oneBatch(this.bufferedRows(entry))]
    return mergeSorted(sources, { rank: () => 0 })
  }

  /** Deletes the spool's folder and everything in it. */
  async remove(): Promise<void> {
    this.days.clear()
    this.arena = []
    this.spareChunks = []
    await rm(this.dir, { recursive: true, force: true })
  }

  private *allDays(): Iterable<SpoolDay> {
    for (const days of this.days.values()) yield* days.values()
  }

  /** A day's rows still in memory, as rows, in file order. */
  private bufferedRows(entry: SpoolDay): KeyedRow[] {
    const arena = this.arena
    return sortedOrder(entry).map((index) => {
      const key = entry.keys[index]!
      const place = entry.places[index]!
      const chunk = arena[Math.floor(place / ARENA_CHUNK_BYTES)]!
      const offset = place % ARENA_CHUNK_BYTES
      return {
        time: key.slice(0, TIME_LENGTH),
        id: key.slice(TIME_LENGTH),
        payload: chunk.subarray(offset, offset + entry.lengths[index]!)
      }
    })
  }
}

/**
 * The indices of a day's buffered rows in file order: by time, then Id. The rows of a day
 * differ in time by their seconds of the day, so a typed array of (second, index) pairs sorts
 * them natively, and only rows of the same second are compared by Id: a comparator over the
 * key strings cost several times as much (docs/benchmarks.md, "Sorting a spill").
 */
function sortedOrder(entry: SpoolDay): number[] {
  const { keys } = entry
  const count = keys.length
  const byKey = (a: number, b: number): number => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0)
  if (count >= INDEX_SPAN) return keys.map((_, index) => index).sort(byKey)
  const packed = new Float64Array(count)
  for (let index = 0; index < count; index++) packed[index] = secondOfDay(keys[index]!) * INDEX_SPAN + index
  packed.sort()
  const order: number[] = new Array<number>(count)
  for (let at = 0; at < count; at++) order[at] = packed[at]! % INDEX_SPAN
  for (let start = 0; start < count;) {
    const second = Math.floor(packed[start]! / INDEX_SPAN)
    let end = start + 1
    while (end < count && Math.floor(packed[end]! / INDEX_SPAN) === second) end++
    if (end - start > 1) {
      const same = order.slice(start, end).sort(byKey)
      for (let at = start; at < end; at++) order[at] = same[at - start]!
    }
    start = end
  }
  return order
}

/** Room for the index beside the second in a packed sort key (a spill holds far fewer rows). */
const INDEX_SPAN = 2 ** 20

/** The second of the day of a key starting `YYYY-MM-DDTHH:MM:SS`. */
function secondOfDay(key: string): number {
  const digit = (at: number): number => key.charCodeAt(at) - 48
  return (10 * digit(11) + digit(12)) * 3600 + (10 * digit(14) + digit(15)) * 60 + 10 * digit(17) + digit(18)
}

interface SpoolDay {
  type: ContentType
  day: string
  /** Per row in memory: `time + id` (the sort key; times are all 20 characters)... */
  keys: string[]
  /** ...where its bytes start in the arena (chunk × ARENA_CHUNK_BYTES + offset)... */
  places: number[]
  /** ...and how many there are. */
  lengths: number[]
  runs: string[]
  rows: number
  firstTime: string
}

const TIME_LENGTH = 'YYYY-MM-DDTHH:MM:SSZ'.length
const ARENA_CHUNK_BYTES = 1024 * 1024

/** What a run holds in memory before it spills (the rows and their overhead). */
export const DEFAULT_SPOOL_MEMORY_BYTES = 16 * 1024 * 1024
/** Roughly what a buffered row costs beyond its bytes (the object, its strings, the array slot). */
const ROW_OVERHEAD_BYTES = 160
const WRITE_CHUNK_BYTES = 1024 * 1024
const READ_CHUNK_BYTES = 256 * 1024

/**
 * Writes rows as a run file, synchronously: written a megabyte per event-loop turn, behind
 * downloads that keep the loop busy, a spill took as long as the next 16 MB took to arrive,
 * and the spills of several arenas overlapped in memory.
 */
function writeRun(
  path: string,
  entry: SpoolDay,
  order: readonly number[],
  arena: readonly Buffer[],
  chunk: Buffer
): void {
  const fd = openSync(path, 'w')
  try {
    let used = 0
    for (const index of order) {
      // The key is the time (20 ASCII characters) then the Id (UTF-8: at most three bytes a
      // character), written at once, no slices.
      const key = entry.keys[index]!
      const size = entry.lengths[index]!
      const largest = 7 + 3 * key.length + size
      if (used + 4 + largest > chunk.length) {
        if (used > 0) writeSync(fd, chunk, 0, used)
        used = 0
        if (4 + largest > chunk.length) chunk = Buffer.allocUnsafe(4 + largest)
      }
      const keyStart = used + 7
      let keyEnd = writeAscii(chunk, keyStart, key)
      if (keyEnd < 0) keyEnd = keyStart + chunk.write(key, keyStart, 'utf8')
      const keyLength = keyEnd - keyStart
      chunk.writeUInt32LE(3 + keyLength + size, used)
      chunk.writeUInt8(TIME_LENGTH, used + 4)
      chunk.writeUInt16LE(keyLength - TIME_LENGTH, used + 5)
      used = keyEnd
      const place = entry.places[index]!
      const offset = place % ARENA_CHUNK_BYTES
      used += arena[Math.floor(place / ARENA_CHUNK_BYTES)]!.copy(chunk, used, offset, offset + size)
    }
    if (used > 0) writeSync(fd, chunk, 0, used)
  } finally {
    closeSync(fd)
  }
}

/**
 * A run file's rows in batches, read through one buffer: a batch's rows point into it, and
 * it is filled again once the next batch is asked for (see `mergeSorted`).
 */
async function* readRun(path: string): AsyncGenerator<KeyedRow[]> {
  const file = await open(path, 'r')
  try {
    let buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES)
    let held = 0
    for (;;) {
      const { bytesRead } = await file.read(buffer, held, buffer.length - held, null)
      if (bytesRead === 0) break
      const end = held + bytesRead
      const rows: KeyedRow[] = []
      let offset = 0
      while (offset + 4 <= end) {
        const frame = buffer.readUInt32LE(offset)
        if (offset + 4 + frame > end) break
        const timeLength = buffer.readUInt8(offset + 4)
        const idLength = buffer.readUInt16LE(offset + 5)
        const timeStart = offset + 7
        const idStart = timeStart + timeLength
        const payloadStart = idStart + idLength
        rows.push({
          time: buffer.toString('latin1', timeStart, idStart),
          id: buffer.toString('utf8', idStart, payloadStart),
          payload: buffer.subarray(payloadStart, offset + 4 + frame)
        })
        offset += 4 + frame
      }
      if (rows.length > 0) yield rows
      // The rest is the start of a frame: keep it at the front, in a larger buffer if the
      // frame does not fit this one.
      held = end - offset
      const needed = held >= 4 ? 4 + buffer.readUInt32LE(offset) : 0
      if (needed > buffer.length) {
        const larger = Buffer.allocUnsafe(Math.max(needed, 2 * buffer.length))
        buffer.copy(larger, 0, offset, end)
        buffer = larger
      } else {
        buffer.copy(buffer, 0, offset, end)
      }
    }
    if (held > 0) throw new Error(`The spool file ${path} ends inside a row; it was changed while the run used it.`)
  } finally {
    await file.close()
  }
}

async function* oneBatch(rows: KeyedRow[]): AsyncGenerator<KeyedRow[]> {
  if (rows.length > 0) yield rows
}

async function* emptyRows(): AsyncGenerator<KeyedRow[]> {}
