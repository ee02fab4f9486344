import { describe, expect, it } from 'vitest'
import { releaseBuffer, releaseWhole } from '../../src/util/release-buffer.js'

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
    expect(small.toString()).toBe('pooled')
    expect(neighbour.toString()).toBe('still here')

    const part = new Uint8Array(new ArrayBuffer(4096), 1024, 1024)
    releaseWhole(part)
    expect(part.buffer.detached).toBe(false)
    expect(part.length).toBe(1024)

    // A view from the start that stops short of the end shares the rest with whoever holds it.
    const head = new Uint8Array(new ArrayBuffer(4096), 0, 1024)
    releaseWhole(head)
    expect(head.buffer.detached).toBe(false)
    expect(head.length).toBe(1024)
  })

  it('frees a Buffer of its own (outside the pool) as it frees any whole view', () => {
    const own = Buffer.allocUnsafeSlow(64 * 1024).fill(7)
    expect(own.byteOffset).toBe(0)
    expect(own.byteLength).toBe(own.buffer.byteLength)
    releaseWhole(own)
    expect(own.buffer.detached).toBe(true)
    expect(own.length).toBe(0)
  })

  it('leaves a view of a shared or resizable buffer alone', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(1)
    releaseWhole(shared)
    expect(shared.length).toBe(64)
    expect(shared[63]).toBe(1)

    const resizable = new Uint8Array(new ArrayBuffer(64, { maxByteLength: 128 })).fill(2)
    releaseWhole(resizable)
    expect((resizable.buffer as ArrayBuffer).detached).toBe(false)
    expect(resizable[63]).toBe(2)
  })

  it('lets go of a buffer once, and leaves resizable buffers alone', () => {
    const buffer = new ArrayBuffer(64)
    releaseBuffer(buffer)
    releaseBuffer(buffer)
    expect(buffer.detached).toBe(true)
    const resizable = new ArrayBuffer(64, { maxByteLength: 128 })
    releaseBuffer(resizable)
    expect(resizable.detached).toBe(false)
    expect(resizable.byteLength).toBe(64)
  })

  it('lets go of a shared buffer never: other threads may still read it', () => {
    const shared = new SharedArrayBuffer(64)
    releaseBuffer(shared)
    expect(shared.byteLength).toBe(64)
  })

  it('releases a whole view once, however often it is asked', () => {
    const whole = new Uint8Array(256)
    releaseWhole(whole)
    expect(() => releaseWhole(whole)).not.toThrow()
    expect(whole.buffer.detached).toBe(true)
  })
})
