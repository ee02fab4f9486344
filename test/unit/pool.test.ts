import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createConcurrencyGate } from '../../src/util/concurrency-gate.js'

describe('createConcurrencyGate', () => {
  it('never has more than the limit in flight, even with tasks arriving while others finish', async () => {
    const limiter = createConcurrencyGate(3)
    let inFlight = 0
    let most = 0
    const task = (ms: number, value: number) => async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await sleep(ms)
      inFlight--
      return value
    }
    const first = Array.from({ length: 10 }, (_, i) => limiter.run(task(i % 3, i)))
    await sleep(1)
    const later = Array.from({ length: 10 }, (_, i) => limiter.run(task(1, 10 + i)))
    expect(await Promise.all([...first, ...later])).toEqual([...Array(20).keys()])
    expect(most).toBe(3)
  })

  it("rejects with the task's own error and frees its slot", async () => {
    const limiter = createConcurrencyGate(1)
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await limiter.run(async () => 'next')).toBe('next')
  })
})
