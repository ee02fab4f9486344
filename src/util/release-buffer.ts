/**
 * Memory given back when we are done with it, not when V8 next collects. A buffer outside
 * V8's heap costs V8 nothing to keep, so a run that makes and drops megabytes of them (pages
 * of Parquet read and written) lets them pile up to tens of megabytes above what it holds
 * before it collects, and the memory allocator then keeps much of that for the rest of the
 * run (docs/benchmarks.md, "Buffers outside V8's heap").
 * Detaching a buffer (`transfer(0)`) frees its memory at once.
 */

/** Frees `view`'s memory now when the view covers its whole buffer; else leaves it to V8. */
export function releaseWhole(view: Uint8Array): void {
  // A view of part of a buffer may share it (Node's pool of small Buffers): never detach that.
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) releaseBuffer(view.buffer)
}

/** Frees `buffer`'s memory now. Only for a buffer nothing reads again: its views become empty. */
export function releaseBuffer(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && !buffer.detached && !buffer.resizable) buffer.transfer(0)
}
