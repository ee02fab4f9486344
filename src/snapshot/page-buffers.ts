import { ByteWriter } from 'hyparquet-writer'

/**
 * Buffers for the pages hyparquet-writer builds. It builds every page in a fresh `ByteWriter`
 * that starts at 1 KiB and doubles as the page grows, then hands the page to the compressor
 * (node_modules/hyparquet-writer/src/bytewriter.js, datapage.js, dictionary.js): a 1 MB
 * AuditData page allocated about 2 MB in eleven buffers, some 600 MB for a day of 250,000
 * records, all of it outside V8's heap, where it piled up between collections. Page writers
 * take a buffer from this pool instead, and the compressor gives the page's buffer back once
 * the page is compressed: after that, the writer reads only the page's length.
 */

/** Pages smaller than this are not worth pooling; a pooled buffer is never smaller. */
const MIN_POOLED_BYTES = 64 * 1024
/** A page in work per column at most, and one column is written at a time. */
const MAX_POOLED = 4
const pooled: ArrayBuffer[] = []
let installed = false

/** Makes hyparquet-writer's page writers grow into pooled buffers. Idempotent. */
export function poolPageBuffers(): void {
  if (installed) return
  installed = true
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
