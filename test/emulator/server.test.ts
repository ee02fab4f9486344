import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classify } from './server.js'
import { startEmulator, type Emulator } from './index.js'
import { TestClient } from './test-client.js'

const run = promisify(execFile)
let emulator: Emulator
let client: TestClient

beforeAll(async () => {
  emulator = await startEmulator({ now: () => new Date('2026-11-20T12:00:00Z') })
  client = new TestClient(emulator)
  await client.login()
})

afterAll(async () => {
  await client.close()
  await emulator.close()
})

describe('classify', () => {
  it.each([
    ['/t/v2.0/.well-known/openid-configuration', 'openid'],
    ['/t/oauth2/v2.0/token', 'token'],
    ['/t/oauth2/token', 'token'],
    ['/api/v1.0/t/activity/feed/subscriptions/start', 'start'],
    ['/api/v1/t/activity/feed/Subscriptions/Content', 'content'],
    ['/api/v1.0/t/activity/feed/subscriptions/notifications', 'notifications'],
    ['/api/v1.0/t/activity/feed/audit/a$b$c', 'blob'],
    ['/api/v1.0/t/activity/feed/resources/dlpSensitiveTypes', 'dlp'],
    ['/api/v2.0/t/activity/feed/subscriptions/list', 'unknown']
  ])('%s → %s', (path, route) => {
    expect(classify(path).route).toBe(route)
  })
})

describe('other routes', () => {
  it('lists notifications like content, with notification fields', async () => {
    emulator.subscriptions.enable('Audit.Exchange')
    emulator.publish({ contentType: 'Audit.Exchange', contentCreated: new Date('2026-11-20T10:00:00Z'), records: [] })
    const answer = await client.api('GET', 'subscriptions/notifications', { contentType: 'Audit.Exchange' })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject([
      { contentType: 'Audit.Exchange', notificationStatus: 'Success', notificationSent: '2026-11-20T10:00:00.000Z' }
    ])
  })

  it('lists DLP sensitive types', async () => {
    const answer = await client.api('GET', 'resources/dlpSensitiveTypes')
    expect(answer.json).toContainEqual({ id: '50842eb7-edc8-4019-85dd-5a5c1f2bb085', name: 'CreditCardNumber' })
  })
})

describe('TLS', () => {
  it('lets a child process trust the emulator through NODE_EXTRA_CA_CERTS=caCertPath', async () => {
    const script = `fetch(process.argv[1]).then(r => console.log(r.status), e => { console.error(e.cause?.code ?? e); process.exit(1) })`
    const target = `${emulator.authority}/v2.0/.well-known/openid-configuration`
    const { stdout } = await run(process.execPath, ['-e', script, target], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caCertPath }
    })
    expect(stdout.trim()).toBe('200')
  })

  it('is refused by a client that does not trust the certificate', async () => {
    const { Agent, fetch } = await import('undici')
    const agent = new Agent({ connect: { ca: [] } })
    await expect(fetch(`${emulator.url}/x`, { dispatcher: agent })).rejects.toThrow()
    await agent.close()
  })
})
