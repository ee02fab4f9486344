import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Paces calls to an API whose quota is counted over a rolling minute and shared with callers
 * we cannot see (other jobs of a matrix, other tools using the same PublisherIdentifier).
 *
 * It starts from the documented quota and never lets more calls than its current limit start
 * within any 60 seconds. A throttled call pauses every call briefly (for its Retry-After
 * when the service sends one). Throttling that persists (several refusals with no success
 * between them) means the quota is used up: the limit drops to what actually got through in
 * the last minute, the share others left us. A lone refusal among successes is only a
 * hiccup and changes nothing. After a quiet spell in which the limit was what held calls
 * back, the limit creeps up again to find room that others freed.
 */
export interface QuotaLimiter {
  /** Waits until one more call fits the rolling minute, and counts it. */
  acquire(): Promise<void>
  /** The service refused a call for quota reasons. */
  throttled(retryAfterMs?: number): void
  /** A call got through. */
  succeeded(): void
  /** Calls allowed per rolling minute now. */
  readonly limit: number
}

export interface QuotaLimiterOptions {
  /** Where to start: the tenant's quota, or the share of it this action may use. */
  perMinute: number
  /** The limit never drops below this. */
  floor?: number
  now?: () => number
  wait?: (ms: number) => Promise<unknown>
}

const WINDOW_MS = 60_000
/** Refusals in a row (no success between them) that mean the quota is used up. */
const PERSISTENT_THROTTLING = 3
/** The pause after a refusal without Retry-After; it doubles with each refusal in a row. */
const FIRST_PAUSE_MS = 250
const MAX_PAUSE_MS = 2_000
/**
 * Probe upwards by this share of the limit after PROBE_AFTER_MS without being throttled,
 * while the limit is what holds calls back; each probe that goes unpunished doubles the
 * next one (up to half the limit), so that freed room is found in minutes, and a throttle
 * starts over from the small step.
 */
const FIRST_PROBE_STEP = 0.02
const MAX_PROBE_STEP = 0.5
const PROBE_AFTER_MS = 20_000

export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  const now = options.now ?? Date.now
  const wait = options.wait ?? sleep
  const floor = Math.max(1, options.floor ?? 10)
  const ceiling = Math.max(floor, options.perMinute)
  let limit = ceiling
  const started: number[] = []
  const succeeded: number[] = []
  let pausedUntil = 0
  let lastChange = now()
  let probeStep = FIRST_PROBE_STEP
  let refusalsInARow = 0
  let queue: Promise<void> = Promise.resolve()

  const prune = (times: number[], at: number): void => {
    let drop = 0
    while (drop < times.length && times[drop]! <= at - WINDOW_MS) drop++
    if (drop > 0) times.splice(0, drop)
  }

  const take = async (): Promise<void> => {
    for (;;) {
      const at = now()
      prune(started, at)
      if (pausedUntil > at) {
        await wait(pausedUntil - at)
        continue
      }
      if (started.length < Math.floor(limit)) {
        started.push(at)
        return
      }
      // Held back by the limit: if that has lasted a while without throttling, try a bit more.
      if (limit < ceiling && at - lastChange >= PROBE_AFTER_MS) {
        limit = Math.min(ceiling, limit + Math.max(1, limit * probeStep))
        probeStep = Math.min(MAX_PROBE_STEP, probeStep * 2)
        lastChange = at
        continue
      }
      await wait(started[0]! + WINDOW_MS - at)
    }
  }

  return {
    acquire() {
      // One waiter at a time, in arrival order, so that the window's arithmetic stays exact.
      const turn = queue.then(take)
      queue = turn.catch(() => undefined)
      return turn
    },
    throttled(retryAfterMs) {
      const at = now()
      refusalsInARow++
      const pause =
        retryAfterMs !== undefined && retryAfterMs > 0
          ? retryAfterMs
          : Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (refusalsInARow - 1))
      pausedUntil = Math.max(pausedUntil, at + pause)
      if (refusalsInARow < PERSISTENT_THROTTLING) return
      prune(succeeded, at)
      limit = Math.min(limit, Math.max(floor, succeeded.length))
      probeStep = FIRST_PROBE_STEP
      lastChange = at
    },
    succeeded() {
      refusalsInARow = 0
      succeeded.push(now())
      if (succeeded.length > 4 * ceiling) prune(succeeded, now())
    },
    get limit() {
      return Math.floor(limit)
    }
  }
}

/** The Management API's documented baseline: 2,000 calls a minute per tenant. */
export const DOCUMENTED_QUOTA_PER_MINUTE = 2_000
