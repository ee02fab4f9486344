import { ByteWriter } from 'hyparquet-writer'

/**
 * Buffers for the pages hyparquet-writer builds. It builds every page in a fresh `ByteWriter`
 * that starts at 1 KiB and doubles as the page grows, then hands the page to the compressor
 * (node_modules/hyparquet-writer/src/bytewriter.js, datapage.js, dictionary.js): a 1 MB
 * AuditData page allocated about 2 MB in eleven buffers, some 600 MB for a day of 250,000
 * records, all of it outside V8's heap, where it piled up between collections. Page writers
 * take a buffer from this pool instead, and the compressor gives the page's buffer back once
 * the page is compressed: after that, the writer reads only the page's length. The same
 * patch makes `appendBytes` copy without a view per value (see below).
 */

/** Pages smaller than this are not worth pooling; a pooled buffer is never smaller. */
const MIN_POOLED_BYTES = 64 * 1024
/** A page in work per column at most, and one column is written at a time. */
const MAX_POOLED = 4
const pooled: ArrayBuffer[] = []
let installed = false

/**
 * Patches hyparquet-writer's `ByteWriter`: page writers grow into pooled buffers, and every
 * writer appends values without a view per value. Idempotent.
 */
export function patchByteWriter(): void {
  if (installed) return
  installed = true
  ByteWriter.prototype.appendBytes = appendBytes
  const grow = ByteWriter.prototype.ensure
  ByteWriter.prototype.ensure = function ensure(this: ByteWriter, size: number): void {
    const needed = this.index + size
    if (needed <= this.buffer.byteLength) return
    // Subclasses are output files (ours flushes to disk): they keep their own growth.
    if (Object.getPrototypeOf(this) !== ByteWriter.prototype) return grow.call(this, size)
    const buffer = takeBuffer(needed)
    new Uint8Array(buffer).set(new Uint8Array(this.buffer, 0, this.index))
    this.buffer = buffer
    this.view = new DataView(buffer)
  }
}

/**
 * `ByteWriter#appendBytes` without its `new Uint8Array(buffer, index, length)` per call: a
 * plain page of strings appends every value so, and those views were most of the garbage
 * of a Parquet run's writer (a merging run collected twice as long with its string columns
 * plain; measured with `--cpu-prof` by `npm run bench`). One view of the whole buffer is
 * kept per writer, made again when the writer moves to another buffer.
 */
function appendBytes(this: ByteWriter & { wholeBuffer?: Uint8Array }, value: Uint8Array): void {
  const length = value.length
  this.ensure(length)
  let whole = this.wholeBuffer
  if (whole === undefined || whole.buffer !== this.buffer) whole = this.wholeBuffer = new Uint8Array(this.buffer)
  const at = this.index
  // Most values are short (an Operation, a user, an IP): a loop costs less than a call to set.
  if (length <= SHORT_VALUE_BYTES) for (let index = 0; index < length; index++) whole[at + index] = value[index]!
  else whole.set(value, at)
  this.offset += length
  this.index += length
}

const SHORT_VALUE_BYTES = 32

/** Gives a compressed page's buffer back to the pool; `page` must be all that uses it. */
export function releasePageBuffer(page: Uint8Array): void {
  const buffer = page.buffer
  if (!(buffer instanceof ArrayBuffer) || page.byteOffset !== 0 || buffer.byteLength < MIN_POOLED_BYTES) return
  if (pooled.length < MAX_POOLED && !pooled.includes(buffer)) pooled.push(buffer)
}

function takeBuffer(needed: number): ArrayBuffer {
  let best = -1
  for (let index = 0; index < pooled.length; index++) {
    const size = pooled[index]!.byteLength
    if (size >= needed && (best < 0 || size < pooled[best]!.byteLength)) best = index
  }
  if (best >= 0) return pooled.splice(best, 1)[0]!
  return new ArrayBuffer(Math.max(MIN_POOLED_BYTES, 2 * needed))
}
