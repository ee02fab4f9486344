/**
 * Buffers for response bodies that are read whole and let go of at once (a content blob is
 * scanned and its rows copied to the spool before the next download needs the buffer). A
 * fresh buffer per blob would add up to a day's bytes in allocations, and V8 answers such a
 * churn of memory outside its heap with full garbage collections.
 */
export class BodyBuffers {
  private spare: Buffer[] = []

  constructor(
    /** How many buffers to keep for reuse: about as many as bodies are read at once. */
    private readonly keep: number,
    /** Larger buffers are not kept: one odd body should not pin its size for the whole run. */
    private readonly maxKeptBytes = 32 * 1024 * 1024
  ) {}

  /**
   * Reads `body` whole. The bytes stay valid until `release` is called; call it once done
   * with them (it is safe to call more than once). A failed read releases by itself.
   */
  async read(
    body: AsyncIterable<Uint8Array>,
    expectedLength?: number,
    /** A body that would grow past this fails with `BodyTooLargeError`, before it is held. */
    maxBytes = Infinity
  ): Promise<{ bytes: Buffer; release: () => void }> {
    if (expectedLength !== undefined && expectedLength > maxBytes) {
      // Never read: the connection is let go at once rather than left holding the body.
      discard(body)
      throw new BodyTooLargeError(maxBytes)
    }
    let buffer = this.take(expectedLength !== undefined && expectedLength > 0 ? expectedLength : INITIAL_BYTES)
    let filled = 0
    try {
      for await (const chunk of body) {
        if (filled + chunk.byteLength > maxBytes) throw new BodyTooLargeError(maxBytes)
        if (filled + chunk.byteLength > buffer.length) {
          const larger = Buffer.allocUnsafe(Math.max(filled + chunk.byteLength, 2 * buffer.length))
          buffer.copy(larger, 0, 0, filled)
          buffer = larger
        }
        buffer.set(chunk, filled)
        filled += chunk.byteLength
      }
    } catch (error) {
      this.give(buffer)
      throw error
    }
    let released = false
    const held = buffer
    return {
      bytes: held.subarray(0, filled),
      release: () => {
        if (released) return
        released = true
        this.give(held)
      }
    }
  }

  /** Lets go of the kept buffers (no more bodies for a while: a run's downloads are done). */
  clear(): void {
    this.spare = []
  }

  private take(size: number): Buffer {
    const index = this.spare.findIndex((buffer) => buffer.length >= size)
    if (index >= 0) return this.spare.splice(index, 1)[0]!
    return Buffer.allocUnsafe(Math.max(size, INITIAL_BYTES))
  }

  private give(buffer: Buffer): void {
    if (buffer.length > this.maxKeptBytes) return
    this.spare.push(buffer)
    if (this.spare.length > this.keep) {
      // Keep the largest: they serve any body the smaller ones can.
      this.spare.sort((a, b) => b.length - a.length)
      this.spare.length = this.keep
    }
  }
}

const INITIAL_BYTES = 64 * 1024

/** Destroys a response body that will not be read (undici's is a stream), quietly. */
function discard(body: AsyncIterable<Uint8Array>): void {
  const stream = body as { on?: (event: 'error', listener: () => void) => unknown; destroy?: () => void }
  stream.on?.('error', () => {})
  stream.destroy?.()
}

/** A response body larger than its reader allows. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the response is larger than ${maxBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}
