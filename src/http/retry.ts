import { setTimeout as sleep } from 'node:timers/promises'

/** How hard to try. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number
  /** First backoff; doubles each attempt, with full jitter. */
  baseDelayMs: number
  /** Longest backoff, and the longest Retry-After honoured; a longer one fails at once. */
  maxDelayMs: number
}

/** A failure that may succeed when tried again, with the server's wish for when. */
export interface RetryableFailure {
  retryable: boolean
  /**
   * Refused for quota reasons: retried after Retry-After, or at once (a quota limiter decides
   * when the call goes out), without using up an attempt, up to THROTTLED_RETRIES times.
   */
  throttled?: boolean
  /**
   * Not a failure of the service but a credential renewed (a 401 answered with a fresh token,
   * once per call): retried at once without using up an attempt.
   */
  renewed?: boolean
  retryAfterMs?: number
}

/** How often one call may be throttled before it fails: its window is retried by the next run. */
export const THROTTLED_RETRIES = 30

/** The default for Microsoft and GitHub calls: 6 attempts over about a minute at worst. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 }

/**
 * Runs `task` until it succeeds, it fails with an error `classify` calls permanent, or the
 * attempts run out. Waits Retry-After when the server sent one, else exponential backoff
 * with full jitter (so parallel downloads that failed together do not retry together).
 */
export async function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryableFailure,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void = () => {}
): Promise<T> {
  let throttles = 0
  let renewals = 0
  for (let attempt = 1; ;) {
    try {
      return await task(attempt)
    } catch (error) {
      const failure = classify(error)
      if (failure.renewed && failure.retryable && renewals < 1) {
        renewals++
        onRetry(error, attempt, 0)
        continue
      }
      if (failure.throttled && failure.retryable && throttles < THROTTLED_RETRIES) {
        throttles++
        const wait = failure.retryAfterMs ?? 0
        if (wait > policy.maxDelayMs) throw error
        onRetry(error, attempt, wait)
        if (wait > 0) await sleep(wait)
        continue
      }
      if (!failure.retryable || attempt >= policy.attempts) throw error
      const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      const delay = failure.retryAfterMs ?? backoff
      if (delay > policy.maxDelayMs) throw error
      onRetry(error, attempt, delay)
      attempt++
      await sleep(delay)
    }
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
