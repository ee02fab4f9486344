import { afterEach, describe, expect, it } from 'vitest'
import { Agent, setGlobalDispatcher, getGlobalDispatcher } from 'undici'
import { ActivityClient } from '../../src/m365/activity-client.js'
import { ApiError } from '../../src/m365/api-error.js'
import { ensureSubscriptions } from '../../src/collect/subscriptions.js'
import { startEmulator, type Emulator } from '../emulator/index.js'

let emulator: Emulator | undefined
const original = getGlobalDispatcher()

afterEach(async () => {
  setGlobalDispatcher(original)
  await emulator?.close()
  emulator = undefined
})

async function setUp(
  options: Parameters<typeof startEmulator>[0] = {},
  clientOptions: { maxBodyBytes?: number } = {}
): Promise<{ emulator: Emulator; client: ActivityClient }> {
  emulator = await startEmulator(options)
  // The client uses the global fetch; trust the emulator's throwaway certificate for this test.
  setGlobalDispatcher(new Agent({ connect: { ca: emulator.caCertPem } }))
  const token = emulator.mintAccessToken()
  const client = new ActivityClient({
    audience: emulator.url,
    tenantId: emulator.tenantId,
    publisherId: emulator.tenantId,
    tokens: { getToken: async () => token },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 50 },
    ...clientOptions
  })
  return { emulator, client }
}

describe('ActivityClient against the emulator', () => {
  it('treats AF20024 (already enabled) as success, and starts only missing subscriptions', async () => {
    const { emulator, client } = await setUp({ subscriptionStartCooldownMinutes: 0 })
    expect(await client.startSubscription('Audit.General')).toBe('started')
    expect(await client.startSubscription('Audit.General')).toBe('already-enabled')
    const outcomes = await ensureSubscriptions(client, ['Audit.General', 'Audit.Exchange'])
    expect([...outcomes]).toEqual([
      ['Audit.General', 'enabled'],
      ['Audit.Exchange', 'started']
    ])
    expect(emulator.requests.byRoute('start').map((e) => e.status)).toEqual([200, 400, 200])
  })

  it('does not hammer a throttled subscription start; a run carries on without it', async () => {
    const { emulator, client } = await setUp()
    expect(await client.startSubscription('Audit.General')).toBe('started')
    emulator.subscriptions.disableByAdmin('Audit.General')
    const outcomes = await ensureSubscriptions(client, ['Audit.General'])
    expect(outcomes.get('Audit.General')).toBe('start-throttled')
    expect(emulator.requests.byRoute('start').map((e) => e.status)).toEqual([200, 403])
  })

  it('follows NextPageUri verbatim to the last page and carries PublisherIdentifier everywhere', async () => {
    const { emulator, client } = await setUp({ pageSize: 2 })
    emulator.subscriptions.enable('Audit.General')
    const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000)
    const end = new Date(start.getTime() + 2 * 3_600_000)
    const published = emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 5 })
    const pages = []
    for await (const page of client.listContent('Audit.General', { start, end })) pages.push(page)
    expect(pages).toHaveLength(5)
    expect(pages.flat().map((blob) => blob.contentId)).toEqual(published.map((blob) => blob.contentId))
    const content = await client.fetchBlob(pages[0]![0]!, ({ bytes, records }) => ({
      count: records.count,
      text: bytes.toString('utf8')
    }))
    expect(content.count).toBe(published[0]!.records.length)
    expect(JSON.parse(content.text)).toEqual(published[0]!.records)
    expect(emulator.requests.withoutPublisherId()).toEqual([])
    for (const count of emulator.requests.nextPageFollowCounts().values()) expect(count).toBe(1)
  })

  it('refuses a body larger than its cap at once, without retrying or holding it, and goes on with the next call', async () => {
    const { emulator, client } = await setUp({}, { maxBodyBytes: 2_000 })
    emulator.subscriptions.enable('Audit.General')
    const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000)
    const end = new Date(start.getTime() + 3_600_000)
    // Five records of about a kilobyte each: past the cap.
    emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 1, recordsPerBlob: 5 })
    const listed = async () => {
      const blobs = []
      for await (const page of client.listContent('Audit.General', { start, end })) blobs.push(...page)
      return blobs
    }
    const [blob] = await listed()
    const refused = await client.fetchBlob(blob!, () => 0).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ApiError)
    expect((refused as ApiError).code).toBe('ResponseTooLarge')
    expect((refused as ApiError).retryable).toBe(false)
    expect((refused as ApiError).message).toMatch(/larger than 2000 bytes, which no content blob or listing is/)
    expect(emulator.requests.byRoute('blob')).toHaveLength(1)
    // The connection was let go: the client goes on.
    expect(await listed()).toHaveLength(1)

    // A body that says nothing of its size (chunked) is refused once it passes the cap.
    emulator.faults.add({ route: 'blob', kind: 'huge', bytes: 50_000, sized: false, times: 1 })
    const chunked = await client.fetchBlob(blob!, () => 0).catch((error: unknown) => error)
    expect(chunked).toBeInstanceOf(ApiError)
    expect((chunked as ApiError).code).toBe('ResponseTooLarge')
    expect((chunked as ApiError).retryable).toBe(false)
    expect(emulator.requests.byRoute('blob')).toHaveLength(2)
    expect(await listed()).toHaveLength(1)
  })

  it('refuses to send the token to another host named by a response', async () => {
    const { emulator, client } = await setUp()
    emulator.subscriptions.enable('Audit.General')
    const start = new Date(Date.now() - 2 * 3_600_000)
    const [blob] = emulator.generate({
      contentTypes: ['Audit.General'],
      from: start,
      to: new Date(start.getTime() + 600_000),
      blobsPerHour: 6
    })
    const count = await client.fetchBlob(
      {
        contentType: blob!.contentType,
        contentId: blob!.contentId,
        contentUri: 'https://attacker.example/steal',
        contentCreated: blob!.contentCreated.toISOString(),
        contentExpiration: blob!.contentExpiration.toISOString()
      },
      (content) => content.records.count
    )
    expect(count).toBe(blob!.records.length)
    expect(emulator.requests.byRoute('blob').at(-1)?.contentId).toBe(blob!.contentId)
  })
})
