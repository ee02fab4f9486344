import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, startEmulator, type Emulator, type ManualClock } from './index.js'
import { TestClient } from './test-client.js'

const DENIED = { Message: 'Authorization has been denied for this request.' }
let clock: ManualClock
let emulator: Emulator
let client: TestClient

beforeAll(async () => {
  clock = createManualClock(new Date('2026-11-20T12:00:00Z'))
  emulator = await startEmulator({ now: clock.now })
  client = new TestClient(emulator)
})

beforeEach(async () => {
  clock.set(new Date('2026-11-20T12:00:00Z'))
  await client.login()
})

afterAll(async () => {
  await client.close()
  await emulator.close()
})

async function expectDenied(c: TestClient = client): Promise<void> {
  const answer = await c.api('GET', 'subscriptions/list')
  expect(answer.status).toBe(401)
  expect(answer.json).toEqual(DENIED)
  expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
}

describe('API authorisation', () => {
  it('accepts a fresh token', async () => {
    expect((await client.api('GET', 'subscriptions/list')).status).toBe(200)
  })

  it('denies a request without or with a garbage token', async () => {
    const anonymous = new TestClient(emulator)
    await expectDenied(anonymous)
    anonymous.token = 'abc.def.ghi'
    await expectDenied(anonymous)
    await anonymous.close()
  })

  it('denies every issued token after revokeTokens, until a new one is fetched', async () => {
    const before = emulator.issuedTokens
    emulator.revokeTokens()
    await expectDenied()
    await client.login()
    expect(emulator.issuedTokens).toBe(before + 1)
    expect((await client.api('GET', 'subscriptions/list')).status).toBe(200)
  })

  it('denies a token once the emulator clock passes its expiry', async () => {
    clock.advance(3598_000)
    expect((await client.api('GET', 'subscriptions/list')).status).toBe(200)
    clock.advance(1_000)
    await expectDenied()
  })

  it('denies a token for another audience', async () => {
    const other = new TestClient(emulator)
    other.token = emulator.mintAccessToken({ aud: 'https://graph.microsoft.com' })
    await expectDenied(other)
    await other.close()
  })

  it('answers AF20010 when the token tenant differs from the URL tenant', async () => {
    const other = '44444444-4444-4444-8444-444444444444'
    const answer = await client.api('GET', `${emulator.url}/api/v1.0/${other}/activity/feed/subscriptions/list`)
    expect(answer.status).toBe(401)
    expect(answer.json).toEqual({
      error: {
        code: 'AF20010',
        message: `The tenant ID passed in the URL (${other}) does not match the tenant ID passed in the access token (${emulator.tenantId}).`
      }
    })
  })

  it('answers AF20013 for a tenant that is not a GUID', async () => {
    const answer = await client.api(
      'GET',
      `${emulator.url}/api/v1.0/contoso.onmicrosoft.com/activity/feed/subscriptions/list`
    )
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: { code: 'AF20013' } })
  })

  it('answers AF10001 without the ActivityFeed.Read role', async () => {
    const noRole = await startEmulator({ now: clock.now, roles: ['ServiceHealth.Read'] })
    const c = new TestClient(noRole)
    await c.login()
    const answer = await c.api('GET', 'subscriptions/list')
    expect(answer.status).toBe(401)
    expect(answer.json).toEqual({
      error: {
        code: 'AF10001',
        message:
          'The permission set (ServiceHealth.Read) sent in the request did not include the expected permission ActivityFeed.Read.'
      }
    })
    await c.close()
    await noRole.close()
  })

  it('answers 405 for the wrong method and 404 for an unknown path', async () => {
    expect((await client.api('GET', 'subscriptions/start', { contentType: 'Audit.General' })).status).toBe(405)
    expect((await client.api('GET', 'subscriptions/whatever')).status).toBe(404)
  })
})
