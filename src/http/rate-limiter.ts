import { setTimeout as sleep } from 'node:timers/promises'

/** Waits for permission to send one request. */
export interface RateLimiter {
  acquire(): Promise<void>
}

/**
 * A token bucket: `burst` requests at once, refilled at `perMinute`. The Management API's
 * quota is about 2,000 requests per minute per tenant, shared by every publisher; staying
 * below it keeps throttling (403 AF429) the exception rather than the rule.
 */
export function createRateLimiter(options: {
  perMinute: number
  burst: number
  now?: () => number
  wait?: (ms: number) => Promise<unknown>
}): RateLimiter {
  const now = options.now ?? Date.now
  const wait = options.wait ?? sleep
  const perMs = options.perMinute / 60_000
  let tokens = options.burst
  let updated = now()
  let queue: Promise<void> = Promise.resolve()

  const take = async (): Promise<void> => {
    const time = now()
    tokens = Math.min(options.burst, tokens + (time - updated) * perMs)
    updated = time
    if (tokens < 1) {
      await wait(Math.ceil((1 - tokens) / perMs))
      tokens = Math.min(options.burst, tokens + (now() - updated) * perMs)
      updated = now()
    }
    tokens -= 1
  }

  return {
    acquire() {
      // One waiter at a time, in arrival order, so the bucket's arithmetic stays exact.
      const turn = queue.then(take)
      queue = turn.catch(() => undefined)
      return turn
    }
  }
}

/** The default for a run: 1,800 a minute with a burst of 200, so no minute exceeds 2,000. */
export const TENANT_QUOTA = { perMinute: 1_800, burst: 200 } as const
