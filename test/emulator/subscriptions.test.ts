import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, MINUTE, startEmulator, type Emulator, type ManualClock } from './index.js'
import { TestClient } from './test-client.js'

let clock: ManualClock
let emulator: Emulator
let client: TestClient

beforeEach(async () => {
  clock = createManualClock(new Date('2026-11-20T12:00:00Z'))
  emulator = await startEmulator({ now: clock.now })
  client = new TestClient(emulator)
  await client.login()
})

afterEach(async () => {
  await client.close()
  await emulator.close()
})

const general = { contentType: 'Audit.General', PublisherIdentifier: '33333333-3333-4333-8333-333333333333' }

describe('subscriptions', () => {
  it('starts, lists, rejects a second start, stops with an empty 200', async () => {
    const started = await client.api('POST', 'subscriptions/start', general)
    expect(started.status).toBe(200)
    expect(started.json).toEqual({ contentType: 'Audit.General', status: 'enabled', webhook: null })

    const listed = await client.api('GET', 'subscriptions/list')
    expect(listed.json).toEqual([{ contentType: 'Audit.General', status: 'enabled', webhook: null }])

    clock.advance(4_000)
    const again = await client.api('POST', 'subscriptions/start', general)
    expect(again.status).toBe(403)
    expect(again.text).toBe(
      '{"error":{"code":"429","message":"Too many frequent subscription start requests. Please retry again after 14m 56s."}}'
    )

    clock.advance(15 * MINUTE)
    const enabled = await client.api('POST', 'subscriptions/start', general)
    expect(enabled.status).toBe(400)
    expect(enabled.json).toEqual({
      error: { code: 'AF20024', message: 'The subscription is already enabled. No property change.' }
    })

    const stopped = await client.api('POST', 'subscriptions/stop', general)
    expect(stopped.status).toBe(200)
    expect(stopped.text).toBe('')
    expect((await client.api('GET', 'subscriptions/list')).json).toEqual([
      { contentType: 'Audit.General', status: 'disabled', webhook: null }
    ])
  })

  it('never throttles stop, and restarts after the cooldown', async () => {
    await client.api('POST', 'subscriptions/start', general)
    expect((await client.api('POST', 'subscriptions/stop', general)).status).toBe(200)
    expect((await client.api('POST', 'subscriptions/stop', general)).status).toBe(200)
    expect((await client.api('POST', 'subscriptions/start', general)).status).toBe(403)
    clock.advance(15 * MINUTE)
    expect((await client.api('POST', 'subscriptions/start', general)).status).toBe(200)
  })

  it('answers AF20024 for a subscription enabled by a test (no cooldown)', async () => {
    emulator.subscriptions.enable('Audit.SharePoint')
    const answer = await client.api('POST', 'subscriptions/start', { contentType: 'Audit.SharePoint' })
    expect(answer.json).toMatchObject({ error: { code: 'AF20024' } })
  })

  it('answers AF20022 without and AF20023 with a disabled subscription', async () => {
    const none = await client.api('GET', 'subscriptions/content', general)
    expect(none.status).toBe(400)
    expect(none.json).toEqual({
      error: { code: 'AF20022', message: 'No subscription found for the specified content type.' }
    })
    emulator.subscriptions.enable('Audit.General')
    emulator.subscriptions.disableByAdmin('Audit.General')
    const disabled = await client.api('GET', 'subscriptions/content', general)
    expect(disabled.json).toEqual({ error: { code: 'AF20023', message: 'The subscription was disabled.' } })
  })

  it('validates contentType (AF20001, AF20020)', async () => {
    expect((await client.api('POST', 'subscriptions/start')).json).toEqual({
      error: { code: 'AF20001', message: 'Missing parameter: contentType.' }
    })
    expect((await client.api('POST', 'subscriptions/start', { contentType: 'Audit.Nothing' })).json).toEqual({
      error: { code: 'AF20020', message: 'The specified content type is not valid.' }
    })
  })

  it('sends the real service headers, Date from the emulator clock', async () => {
    const answer = await client.api('GET', 'subscriptions/list')
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(answer.headers.get('cache-control')).toBe('no-cache')
    expect(answer.headers.get('pragma')).toBe('no-cache')
    expect(answer.headers.get('expires')).toBe('-1')
    expect(answer.headers.get('server')).toBe('Microsoft-IIS/8.5')
    expect(answer.headers.get('x-powered-by')).toBe('ASP.NET')
    expect(answer.headers.get('date')).toBe('Fri, 20 Nov 2026 12:00:00 GMT')
  })
})

describe('audit logging disabled', () => {
  it('fails start with the DataServiceException', async () => {
    const off = await startEmulator({ auditDisabled: true })
    const c = new TestClient(off)
    await c.login()
    const answer = await c.api('POST', 'subscriptions/start', { contentType: 'Audit.General' })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({
      error: {
        code: `StartSubscription [TenantId=${off.tenantId},ContentType=Audit.General] failed. Exception`,
        message: `Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${off.tenantId} does not exist.`
      }
    })
    await c.close()
    await off.close()
  })
})

describe('content made while stopped', () => {
  it('is never listable when contentRequiresSubscription is on', async () => {
    const strict = await startEmulator({ now: clock.now, contentRequiresSubscription: true })
    const c = new TestClient(strict)
    await c.login()
    strict.publish({
      contentType: 'Audit.General',
      contentCreated: new Date('2026-11-20T11:00:00Z'),
      records: [{ Id: 'a' }]
    })
    await c.api('POST', 'subscriptions/start', general)
    strict.publish({
      contentType: 'Audit.General',
      contentCreated: new Date('2026-11-20T12:00:00Z'),
      records: [{ Id: 'b' }]
    })
    const listed = await c.api('GET', 'subscriptions/content', {
      ...general,
      startTime: '2026-11-20T00:00',
      endTime: '2026-11-20T13:00'
    })
    expect((listed.json as { contentCreated: string }[]).map((i) => i.contentCreated)).toEqual([
      '2026-11-20T12:00:00.000Z'
    ])
    await c.close()
    await strict.close()
  })
})
