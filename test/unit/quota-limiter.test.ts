import { describe, expect, it } from 'vitest'
import { createQuotaLimiter, type QuotaLimiter } from '../../src/http/quota-limiter.js'

/**
 * A discrete-event simulation: virtual time only moves when every task waits, so a run that
 * would take minutes against a real quota takes milliseconds here, and always the same ones.
 */
class VirtualClock {
  now = 0
  private timers: { at: number; seq: number; resolve: () => void }[] = []
  private seq = 0

  wait = (ms: number): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve }))

  async runUntil(done: () => boolean): Promise<void> {
    for (let steps = 0; steps < 10_000_000; steps++) {
      await new Promise((resolve) => setImmediate(resolve))
      if (done()) return
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers.shift()
      if (!next) throw new Error('deadlock: nothing left to wait for')
      this.now = next.at
      next.resolve()
    }
    throw new Error('the simulation did not finish')
  }
}

/** The tenant's quota: at most `perMinute` accepted calls in any 60 s, throttled ones not counted. */
function rollingQuota(clock: VirtualClock, perMinute: () => number): () => boolean {
  const accepted: number[] = []
  return () => {
    while (accepted.length > 0 && accepted[0]! <= clock.now - 60_000) accepted.shift()
    if (accepted.length >= perMinute()) return false
    accepted.push(clock.now)
    return true
  }
}

interface RunStats {
  calls: number
  throttled: number
  finishedAt: number
  limiter: QuotaLimiter
}

/** One run of the action: `calls` calls, `concurrency` at a time, each 40 ms long, retried when throttled. */
function startRun(
  clock: VirtualClock,
  admit: () => boolean,
  calls: number,
  options: { concurrency?: number; retryAfterMs?: number } = {}
): RunStats {
  const limiter = createQuotaLimiter({ perMinute: 2_000, now: () => clock.now, wait: clock.wait })
  const stats: RunStats = { calls, throttled: 0, finishedAt: -1, limiter }
  let remaining = calls
  let running = options.concurrency ?? 8
  const worker = async (): Promise<void> => {
    while (remaining > 0) {
      remaining--
      for (;;) {
        await limiter.acquire()
        await clock.wait(40)
        if (admit()) {
          limiter.succeeded()
          break
        }
        stats.throttled++
        limiter.throttled(options.retryAfterMs)
      }
    }
    if (--running === 0) stats.finishedAt = clock.now
  }
  for (let i = 0; i < (options.concurrency ?? 8); i++) void worker()
  return stats
}

/** The least time `calls` calls can take under a quota: ⌊(calls − 1) / quota⌋ minutes. */
const boundMs = (calls: number, quota: number): number => Math.floor((calls - 1) / quota) * 60_000

describe('the quota limiter', () => {
  it('finds a quota it is not told about: near the least possible time, with few calls throttled', async () => {
    const clock = new VirtualClock()
    const run = startRun(
      clock,
      rollingQuota(clock, () => 300),
      800
    )
    await clock.runUntil(() => run.finishedAt >= 0)
    expect(run.finishedAt).toBeLessThanOrEqual(1.15 * boundMs(800, 300))
    expect(run.throttled).toBeLessThanOrEqual(0.03 * 800)
    expect(run.limiter.limit).toBeLessThanOrEqual(310)
  })

  it('converges when three runs (a matrix) share the quota', async () => {
    const clock = new VirtualClock()
    const admit = rollingQuota(clock, () => 300)
    const runs = [startRun(clock, admit, 400), startRun(clock, admit, 400), startRun(clock, admit, 400)]
    await clock.runUntil(() => runs.every((run) => run.finishedAt >= 0))
    const finished = Math.max(...runs.map((run) => run.finishedAt))
    const throttled = runs.reduce((sum, run) => sum + run.throttled, 0)
    // Each run learns its share from what got through; together they lose at most one minute's
    // window (and a pause or two) to the shares not adding up to the quota exactly.
    expect(finished).toBeLessThanOrEqual(boundMs(1_200, 300) + 65_000)
    expect(throttled).toBeLessThanOrEqual(0.05 * 1_200)
    expect(runs.reduce((sum, run) => sum + run.limiter.limit, 0)).toBeLessThanOrEqual(330)
  })

  it('never starts more calls in a minute than its limit, and starts at the quota it is given', async () => {
    const clock = new VirtualClock()
    const limiter = createQuotaLimiter({ perMinute: 50, now: () => clock.now, wait: clock.wait })
    const started: number[] = []
    let done = 0
    for (let i = 0; i < 120; i++) void limiter.acquire().then(() => (started.push(clock.now), done++))
    await clock.runUntil(() => done === 120)
    for (const t of started)
      expect(started.filter((other) => other > t - 60_000 && other <= t).length).toBeLessThanOrEqual(50)
    expect(started.filter((t) => t === 0)).toHaveLength(50)
    expect(Math.max(...started)).toBe(120_000)
  })

  it('pauses every call for a Retry-After', async () => {
    const clock = new VirtualClock()
    const limiter = createQuotaLimiter({ perMinute: 2_000, now: () => clock.now, wait: clock.wait })
    await limiter.acquire()
    limiter.throttled(5_000)
    let at = -1
    void limiter.acquire().then(() => (at = clock.now))
    await clock.runUntil(() => at >= 0)
    expect(at).toBe(5_000)
  })

  it('probes back up when the quota grows (another tool stopped using it)', async () => {
    const clock = new VirtualClock()
    let quota = 200
    const run = startRun(
      clock,
      rollingQuota(clock, () => quota),
      3_000
    )
    await clock.runUntil(() => clock.now >= 90_000)
    const squeezed = run.limiter.limit
    expect(squeezed).toBeLessThanOrEqual(1.05 * 200)
    quota = 1_000
    await clock.runUntil(() => run.finishedAt >= 0)
    expect(run.limiter.limit).toBeGreaterThan(1.5 * squeezed)
    expect(run.throttled).toBeLessThanOrEqual(0.03 * 3_000)
  })
})
