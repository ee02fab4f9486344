import { describe, expect, it } from 'vitest'
import { explainSubscriptionError } from '../../src/collect/subscriptions.js'
import { parseRetryAfter, withRetry } from '../../src/http/retry.js'
import {
  ApiError,
  classifyApiError,
  isTransient,
  parseErrorBody,
  retryAfterFromMessage
} from '../../src/m365/api-error.js'

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 1_000 }

describe('withRetry', () => {
  it('retries transient failures until success, honouring Retry-After', async () => {
    const delays: number[] = []
    let calls = 0
    const result = await withRetry(
      async () => {
        calls++
        if (calls === 1) throw new ApiError('throttled', 403, 'AF429', true, 20)
        if (calls === 2) throw new ApiError('busy', 500, 'AF50000', true)
        return 'ok'
      },
      classifyApiError,
      fast,
      (_, __, delay) => delays.push(delay)
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
    expect(delays[0]).toBe(20)
    expect(delays[1]).toBeLessThanOrEqual(2)
  })

  it('does not retry what another try cannot fix', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new ApiError('no subscription', 400, 'AF20022', false)
        },
        classifyApiError,
        fast
      )
    ).rejects.toThrow('no subscription')
    expect(calls).toBe(1)
  })

  it('gives up after the last attempt, and at once when Retry-After asks for too long', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new ApiError('down', 503, undefined, true)
        },
        classifyApiError,
        fast
      )
    ).rejects.toThrow('down')
    expect(calls).toBe(4)
    calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new ApiError('come back in 9 minutes', 403, '429', true, 540_000)
        },
        classifyApiError,
        fast
      )
    ).rejects.toThrow('9 minutes')
    expect(calls).toBe(1)
  })

  it('renews a revoked token once without using up an attempt: a revocation among transient faults does not lose the call', async () => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls++
        if (calls === 2) throw new ApiError('401 Unauthorized; retrying with a fresh token', 401, undefined, true, 0)
        if (calls <= 4) throw new ApiError('busy', 503, undefined, true)
        return 'ok'
      },
      classifyApiError,
      fast
    )
    expect(result).toBe('ok')
    expect(calls).toBe(5)
    // A second renewal counts as an attempt: a credential that keeps failing cannot loop.
    calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new ApiError('401 again', 401, undefined, true, 0)
        },
        classifyApiError,
        fast
      )
    ).rejects.toThrow('401 again')
    expect(calls).toBe(5)
  })

  it('retries network errors (fetch rejects with TypeError)', () => {
    expect(classifyApiError(new TypeError('fetch failed')).retryable).toBe(true)
    expect(classifyApiError(new Error('bug')).retryable).toBe(false)
  })

  it.each([
    [403, 'AF429', true],
    [429, undefined, true],
    [500, 'AF50000', true],
    [503, undefined, true],
    [408, undefined, true],
    [400, 'AF20055', false],
    [401, 'AF10001', false],
    [403, 'AF20010', false],
    [400, 'AF20022', false],
    [404, 'AF20050', false]
  ])('status %i code %s transient: %s', (status, code, transient) => {
    expect(isTransient(status, code)).toBe(transient)
  })

  it('reads AF bodies, the 401 shape and HTML pages', () => {
    expect(
      parseErrorBody('{"error":{"code":"AF20022","message":"No subscription found for the specified content type."}}')
    ).toEqual({
      code: 'AF20022',
      message: 'No subscription found for the specified content type.'
    })
    expect(parseErrorBody('{"Message":"Authorization has been denied for this request."}').message).toMatch(/denied/)
    expect(parseErrorBody('<html><head><title>Service Unavailable</title></head></html>').message).toBe(
      'Service Unavailable'
    )
    expect(parseErrorBody('')).toEqual({})
  })

  it('reads the wait out of the subscription-start throttle message', () => {
    expect(
      retryAfterFromMessage('Too many frequent subscription start requests. Please retry again after 8m 46s.')
    ).toBe(526_000)
    expect(retryAfterFromMessage('Please retry again after 45s.')).toBe(45_000)
    expect(retryAfterFromMessage('An internal error occurred.')).toBeUndefined()
  })

  it.each([
    ['3', 3000],
    ['0', 0],
    ['Wed, 22 Nov 2026 04:00:10 GMT', 10_000],
    ['soon', undefined],
    [null, undefined]
  ])('Retry-After %j is %j ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('2026-11-22T04:00:00Z'))).toBe(ms)
  })
})

describe('explaining a failed window', () => {
  it('follows the error code: a throttled call is never reported as a missing permission', () => {
    const throttled = explainSubscriptionError(
      new ApiError('list Audit.General …: HTTP 403 AF429 Too many requests. Method=ListContent', 403, 'AF429', true),
      'Audit.General'
    )
    expect(throttled.message).toMatch(
      /quota kept refusing calls for Audit\.General \(AF429, throttled\).*next run retries this window.*'api-quota'/
    )
    expect(throttled.message).not.toMatch(/ActivityFeed\.Read|permission/)
    const plain429 = explainSubscriptionError(
      new ApiError('download …: HTTP 429 Too Many Requests', 429, undefined, true),
      'Audit.General'
    )
    expect(plain429.message).toMatch(/HTTP 429, throttled/)
    const denied = explainSubscriptionError(
      new ApiError('list …: HTTP 403 AF10001 permission set', 403, 'AF10001', false),
      'DLP.All'
    )
    expect(denied.message).toMatch(/ActivityFeed\.Read \(and ActivityFeed\.ReadDlp for DLP\.All\)/)
    const startThrottle = explainSubscriptionError(
      new ApiError(
        'start subscription: HTTP 403 429 Too many frequent subscription start requests. Please retry again after 8m 46s.',
        403,
        '429',
        true
      ),
      'Audit.General'
    )
    expect(startThrottle.message).toMatch(/one start per 15 minutes/)
  })
})
