import { ByteWriter } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { patchByteWriter, releasePageBuffer } from '../../src/snapshot/page-buffers.js'
import { releaseBuffer, releaseWhole } from '../../src/util/release-buffer.js'

/** Appends `count` bytes counting up from `from`, as a page encoder would. */
function fill(writer: ByteWriter, count: number, from = 0): void {
  for (let n = 0; n < count; n++) writer.appendUint8((from + n) & 0xff)
}

const counting = (count: number, from = 0): Uint8Array => Uint8Array.from({ length: count }, (_, n) => (from + n) & 0xff)

describe('page buffers', () => {
  it('gives a page writer the buffer of a page already compressed, with the new page whole in it', () => {
    patchByteWriter()
    const first = new ByteWriter()
    fill(first, 200_000)
    expect(first.getBytes()).toEqual(counting(200_000))
    const firstBuffer = first.buffer
    releasePageBuffer(first.getBytes())

    const second = new ByteWriter()
    fill(second, 150_000, 7)
    expect(second.buffer).toBe(firstBuffer)
    expect(second.getBytes()).toEqual(counting(150_000, 7))

    // Not given back: the next page needs a buffer of its own.
    const third = new ByteWriter()
    fill(third, 100_000)
    expect(third.buffer).not.toBe(firstBuffer)
    expect(second.getBytes()).toEqual(counting(150_000, 7))
  })

  it('leaves the growth of output writers (subclasses) and small pages as hyparquet-writer has it', () => {
    patchByteWriter()
    class FileLike extends ByteWriter {}
    const output = new FileLike()
    fill(output, 5000)
    expect(output.buffer.byteLength).toBe(8192)
    expect(output.getBytes()).toEqual(counting(5000))

    // A view that does not start the buffer is not a page's: its buffer is not taken.
    const shared = new ArrayBuffer(256 * 1024)
    releasePageBuffer(new Uint8Array(shared, 16))
    const next = new ByteWriter()
    fill(next, 100_000)
    expect(next.buffer).not.toBe(shared)
    expect(next.getBytes()).toEqual(counting(100_000))
  })
})

describe('appending values', () => {
  it('appends short and long values whole, across growth, pooled buffers and output writers', () => {
    patchByteWriter()
    class FileLike extends ByteWriter {}
    for (const writer of [new ByteWriter(), new FileLike()]) {
      const expected: number[] = []
      let seed = 1
      for (let value = 0; value < 3000; value++) {
        // Lengths 0-40 mostly (a loop copies them), every 50th a long one (`set` copies it).
        const length = value % 50 === 49 ? 700 + (value % 300) : value % 41
        const bytes = Uint8Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)
        writer.appendUint32(length)
        writer.appendBytes(bytes)
        expected.push(length & 0xff, (length >> 8) & 0xff, 0, 0, ...bytes)
      }
      expect(writer.offset).toBe(expected.length)
      expect(writer.getBytes()).toEqual(Uint8Array.from(expected))
    }
  })

  it('appends into the buffer a page writer holds now, not one it gave back', () => {
    patchByteWriter()
    const first = new ByteWriter()
    fill(first, 100_000)
    first.appendBytes(counting(40, 9))
    const firstBytes = first.getBytes().slice()
    releasePageBuffer(first.getBytes())

    // The next writer grows into the buffer `first` gave back, then past it.
    const second = new ByteWriter()
    second.appendBytes(counting(10, 3))
    fill(second, 150_000, 5)
    second.appendBytes(counting(100, 1))
    expect(second.getBytes()).toEqual(Uint8Array.from([...counting(10, 3), ...counting(150_000, 5), ...counting(100, 1)]))
    expect(firstBytes.subarray(100_000)).toEqual(counting(40, 9))
  })
})

describe('releasing buffers', () => {
  it('frees a buffer a view covers whole, and never one it shares with other views', () => {
    const whole = new Uint8Array(1 << 20)
    releaseWhole(whole)
    expect(whole.buffer.detached).toBe(true)
    expect(whole.length).toBe(0)

    // Small Buffers share Node's pool: releasing one must not touch its neighbours.
    const neighbour = Buffer.from('still here')
    const small = Buffer.from('pooled')
    expect(small.buffer).toBe(neighbour.buffer)
    releaseWhole(small)
    expect(small.buffer.detached).toBe(false)
    expect(neighbour.toString()).toBe('still here')

    const part = new Uint8Array(new ArrayBuffer(4096), 1024, 1024)
    releaseWhole(part)
    expect(part.buffer.detached).toBe(false)
  })

  it('lets go of a buffer once, and leaves resizable buffers alone', () => {
    const buffer = new ArrayBuffer(64)
    releaseBuffer(buffer)
    releaseBuffer(buffer)
    expect(buffer.detached).toBe(true)
    const resizable = new ArrayBuffer(64, { maxByteLength: 128 })
    releaseBuffer(resizable)
    expect(resizable.detached).toBe(false)
  })
})
