import { describe, expect, it } from 'vitest'
import { BodyBuffers } from '../../src/http/body-buffers.js'

async function* chunks(...parts: (string | Error)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Error) throw part
    yield Buffer.from(part)
  }
}

describe('response body buffers', () => {
  it('reads a body whole, in chunks of any size, past its announced length', async () => {
    const bodies = new BodyBuffers(2)
    const big = 'x'.repeat(200_000)
    const { bytes, release } = await bodies.read(chunks('[{"a":', big, '}]'), 10)
    expect(bytes.toString()).toBe(`[{"a":${big}}]`)
    release()
  })

  it('serves the next body from a released buffer, and never hands out one still in use', async () => {
    const bodies = new BodyBuffers(2)
    const first = await bodies.read(chunks('first body'), 10)
    const second = await bodies.read(chunks('second body'), 11)
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer)
    expect(first.bytes.toString()).toBe('first body')
    first.release()
    first.release()
    const third = await bodies.read(chunks('third'), 5)
    expect(third.bytes.buffer).toBe(first.bytes.buffer)
    const fourth = await bodies.read(chunks('fourth'), 6)
    expect(fourth.bytes.buffer).not.toBe(third.bytes.buffer)
    expect(second.bytes.toString()).toBe('second body')
  })

  it('takes back the buffer of a body whose connection dropped', async () => {
    const bodies = new BodyBuffers(1)
    const earlier = await bodies.read(chunks('earlier'), 7)
    earlier.release()
    await expect(bodies.read(chunks('half a bo', new Error('ECONNRESET')), 20)).rejects.toThrow('ECONNRESET')
    const next = await bodies.read(chunks('whole body'), 10)
    expect(next.bytes.toString()).toBe('whole body')
    expect(next.bytes.buffer).toBe(earlier.bytes.buffer)
  })
})
