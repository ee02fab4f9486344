import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, startEmulator, type Emulator, type FaultRule, type ManualClock } from './index.js'
import { TestClient } from './test-client.js'

const PUBLISHER = '33333333-3333-4333-8333-333333333333'
let clock: ManualClock
let emulator: Emulator
let client: TestClient
let blobId: string

beforeAll(async () => {
  clock = createManualClock(new Date('2026-11-20T12:00:00Z'))
  emulator = await startEmulator({ now: clock.now })
  emulator.subscriptions.enable('Audit.General')
  const blob = emulator.publish({
    contentType: 'Audit.General',
    contentCreated: new Date('2026-11-20T11:00:00Z'),
    records: [{ Id: 'one', Note: 'x'.repeat(50) }]
  })
  blobId = blob.contentId
  client = new TestClient(emulator)
  await client.login()
})

beforeEach(() => {
  emulator.faults.clear()
  emulator.requests.clear()
})

afterAll(async () => {
  await client.close()
  await emulator.close()
})

const getBlob = (query: Record<string, string> = {}) => client.api('GET', `audit/${blobId}`, query)

describe('fault kinds', () => {
  it('throttle: 403 AF429 naming the method and the publisher, with Retry-After', async () => {
    emulator.faults.add({ route: 'blob', kind: 'throttle', times: 1, retryAfterSeconds: 7 })
    const answer = await getBlob({ PublisherIdentifier: PUBLISHER })
    expect(answer.status).toBe(403)
    expect(answer.json).toEqual({
      error: { code: 'AF429', message: `Too many requests. Method=GetBlob, PublisherId=${PUBLISHER}` }
    })
    expect(answer.headers.get('retry-after')).toBe('7')
    expect((await getBlob()).status).toBe(200)
    expect(emulator.requests.entries.map((e) => e.fault)).toEqual(['throttle', undefined])
  })

  it('throttle: the zero GUID when PublisherIdentifier is missing', async () => {
    emulator.faults.add({ route: 'blob', kind: 'throttle' })
    expect((await getBlob()).json).toMatchObject({
      error: { message: 'Too many requests. Method=GetBlob, PublisherId=00000000-0000-0000-0000-000000000000' }
    })
  })

  it.each<[FaultRule['kind'], number, RegExp]>([
    ['throttle-429', 429, /"AF429"/],
    [
      'internal-error',
      500,
      /^\{"error":\{"code":"AF50000","message":"An internal server error occurred\. Retry the request\."\}\}$/
    ],
    ['unavailable', 503, /Service Unavailable/],
    ['timeout', 408, /Request Timeout/],
    ['invalid-token', 401, /Authorization has been denied/],
    ['expired', 400, /AF20051/],
    ['missing', 404, /AF20050/]
  ])('%s answers %i', async (kind, status, body) => {
    emulator.faults.add({ route: 'blob', kind, times: 1 })
    const answer = await getBlob()
    expect(answer.status).toBe(status)
    expect(answer.text).toMatch(body)
  })

  it('unavailable is HTML, not JSON', async () => {
    emulator.faults.add({ route: 'content', kind: 'unavailable', times: 1 })
    const answer = await client.api('GET', 'subscriptions/content', { contentType: 'Audit.General' })
    expect(answer.headers.get('content-type')).toBe('text/html')
    expect(answer.json).toBeUndefined()
  })

  it('error-object: 200 with an error object where an array was due', async () => {
    emulator.faults.add({ route: 'content', kind: 'error-object', times: 1 })
    const answer = await client.api('GET', 'subscriptions/content', { contentType: 'Audit.General' })
    expect(answer.status).toBe(200)
    expect(Array.isArray(answer.json)).toBe(false)
    expect(answer.json).toMatchObject({ error: { code: 'AF50000' } })
  })

  it('truncated: 200 whose JSON is cut in the middle', async () => {
    emulator.faults.add({ route: 'blob', kind: 'truncated', times: 1 })
    const answer = await getBlob()
    expect(answer.status).toBe(200)
    expect(answer.text.length).toBeGreaterThan(0)
    expect(() => JSON.parse(answer.text)).toThrow()
    expect((await getBlob()).json).toEqual([{ Id: 'one', Note: 'x'.repeat(50) }])
  })

  it('huge: a 200 of exactly the bytes asked, with or without its Content-Length, as valid JSON', async () => {
    for (const sized of [true, false]) {
      emulator.faults.add({ route: 'blob', kind: 'huge', bytes: 3 * 1024 * 1024 + 5, sized, times: 1 })
      const answer = await getBlob()
      expect(answer.status).toBe(200)
      expect(Buffer.byteLength(answer.text)).toBe(3 * 1024 * 1024 + 5)
      expect(answer.json).toEqual([])
      expect(answer.headers.get('content-length'), `sized: ${sized}`).toBe(sized ? String(3 * 1024 * 1024 + 5) : null)
    }
    expect((await getBlob()).json).toEqual([{ Id: 'one', Note: 'x'.repeat(50) }])
  })

  it('reset: the connection drops without an answer', async () => {
    emulator.faults.add({ route: 'blob', kind: 'reset', times: 1 })
    await expect(getBlob()).rejects.toThrow()
    expect(emulator.requests.entries[0]).toMatchObject({ route: 'blob', status: 0, fault: 'reset' })
    expect((await getBlob()).status).toBe(200)
  })

  it('slow: the normal answer after the delay', async () => {
    emulator.faults.add({ route: 'blob', kind: 'slow', delayMs: 120, times: 1 })
    const started = performance.now()
    const answer = await getBlob()
    expect(answer.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(110)
  })

  it('applies to the token endpoint too', async () => {
    emulator.faults.add({ route: 'token', kind: 'unavailable', times: 1 })
    expect((await client.tokenRequest()).status).toBe(503)
    expect((await client.tokenRequest()).status).toBe(200)
  })
})

describe('fault selection', () => {
  it('every: fires on every N-th matching request', async () => {
    const fault = emulator.faults.add({ route: 'blob', kind: 'internal-error', every: 3 })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await getBlob()).status)
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500])
    expect(fault.fired).toBe(2)
  })

  it('match: fires only for requests the predicate picks', async () => {
    emulator.faults.add({
      route: '*',
      kind: 'internal-error',
      match: (req) => req.query.get('publisheridentifier') === 'bad'
    })
    expect((await getBlob({ PublisherIdentifier: 'bad' })).status).toBe(500)
    expect((await getBlob({ PublisherIdentifier: PUBLISHER })).status).toBe(200)
  })

  it('probability: seeded, so the same seed fails the same requests', async () => {
    const pattern = async (seed: number) => {
      const e = await startEmulator({ seed, now: clock.now })
      const c = new TestClient(e)
      await c.login()
      e.faults.add({ route: 'list', kind: 'internal-error', probability: 0.5 })
      const out: number[] = []
      for (let i = 0; i < 16; i++) out.push((await c.api('GET', 'subscriptions/list')).status)
      await c.close()
      await e.close()
      return out
    }
    const a = await pattern(7)
    expect(await pattern(7)).toEqual(a)
    expect(a).toContain(500)
    expect(a).toContain(200)
  })

  it('limitStreaks: no target faults more times in a row than the limit', async () => {
    emulator.faults.add({ route: 'blob', kind: 'internal-error' })
    emulator.faults.limitStreaks(2)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await getBlob()).status)
    expect(statuses).toEqual([500, 500, 200, 500, 500, 200])
  })

  it('remove: a removed rule stops firing', async () => {
    const fault = emulator.faults.add({ route: 'blob', kind: 'internal-error' })
    expect((await getBlob()).status).toBe(500)
    fault.remove()
    expect((await getBlob()).status).toBe(200)
  })
})

describe('tenant quota', () => {
  it('throttles past the per-minute budget and refills with the emulator clock', async () => {
    const e = await startEmulator({ now: clock.now, throttle: { requestsPerMinute: 3, retryAfterSeconds: 20 } })
    const c = new TestClient(e)
    await c.login()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++)
      statuses.push((await c.api('GET', 'subscriptions/list', { PublisherIdentifier: PUBLISHER })).status)
    expect(statuses).toEqual([200, 200, 200, 403])
    const last = await c.api('GET', 'subscriptions/list')
    expect(last.json).toMatchObject({
      error: {
        code: 'AF429',
        message: 'Too many requests. Method=ListSubscriptions, PublisherId=00000000-0000-0000-0000-000000000000'
      }
    })
    expect(last.headers.get('retry-after')).toBe('20')
    clock.advance(20_000)
    expect((await c.api('GET', 'subscriptions/list')).status).toBe(200)
    await c.close()
    await e.close()
  })
})
