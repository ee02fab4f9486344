import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, DAY, MINUTE, startEmulator, type Emulator, type ManualClock } from './index.js'
import { TestClient } from './test-client.js'

interface ListItem {
  contentType: string
  contentId: string
  contentUri: string
  contentCreated: string
  contentExpiration: string
}

const NOW = new Date('2026-11-20T12:00:00Z')
const PUBLISHER = '33333333-3333-4333-8333-333333333333'
let clock: ManualClock
let emulator: Emulator
let client: TestClient

beforeAll(async () => {
  clock = createManualClock(NOW)
  emulator = await startEmulator({ now: clock.now, pageSize: 3 })
  emulator.subscriptions.enable('Audit.General')
  emulator.subscriptions.enable('Audit.SharePoint')
  // Ten blobs, one every 30 minutes from 06:00 to 10:30; one at exactly 11:00; one in the future.
  for (let i = 0; i < 10; i++) {
    emulator.publish({
      contentType: 'Audit.General',
      contentCreated: new Date(Date.UTC(2026, 10, 20, 6, 30 * i)),
      records: [{ Id: `r${i}`, CreationTime: '2026-11-20T05:00:00' }]
    })
  }
  emulator.publish({
    contentType: 'Audit.General',
    contentCreated: new Date('2026-11-20T11:00:00Z'),
    records: [{ Id: 'edge' }]
  })
  emulator.publish({
    contentType: 'Audit.General',
    contentCreated: new Date('2026-11-20T12:30:00Z'),
    records: [{ Id: 'future' }]
  })
  emulator.publish({
    contentType: 'Audit.SharePoint',
    contentCreated: new Date('2026-11-20T07:00:00Z'),
    records: [{ Id: 'sp' }]
  })
  client = new TestClient(emulator)
  await client.login()
})

beforeEach(async () => {
  clock.set(NOW)
  // Tokens follow the emulator clock; a test that moved it needs a fresh one.
  await client.login()
  emulator.requests.clear()
})

afterAll(async () => {
  await client.close()
  await emulator.close()
})

const list = (query: Record<string, string>) =>
  client.api('GET', 'subscriptions/content', { contentType: 'Audit.General', ...query })

async function listAll(query: Record<string, string>): Promise<{ items: ListItem[]; pages: number }> {
  let answer = await list(query)
  const items: ListItem[] = []
  let pages = 1
  for (;;) {
    expect(answer.status).toBe(200)
    items.push(...(answer.json as ListItem[]))
    const next = answer.headers.get('NextPageUri')
    if (!next) return { items, pages }
    answer = await client.api('GET', next)
    pages++
  }
}

describe('listing', () => {
  it('selects start <= contentCreated < end, ordered, with absolute contentUri and 7-day expiration', async () => {
    const answer = await list({
      startTime: '2026-11-20T07:00:00',
      endTime: '2026-11-20T08:00:00',
      PublisherIdentifier: PUBLISHER
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('nextpageuri')).toBeNull()
    const items = answer.json as ListItem[]
    expect(items.map((i) => i.contentCreated)).toEqual(['2026-11-20T07:00:00.000Z', '2026-11-20T07:30:00.000Z'])
    const first = items[0]!
    expect(first.contentType).toBe('Audit.General')
    expect(first.contentId).toMatch(/^\d{23}\$\d{23}\$audit_general\$Audit_General(\$[a-z]{2}\d{4})?$/)
    expect(first.contentUri).toBe(`${emulator.apiRoot}/audit/${first.contentId}`)
    expect(first.contentExpiration).toBe('2026-11-27T07:00:00.000Z')
  })

  it('never lists blobs from the future, even inside the window, nor other content types', async () => {
    const { items } = await listAll({ startTime: '2026-11-20T11:00', endTime: '2026-11-20T13:00' })
    expect(items.map((i) => i.contentCreated)).toEqual(['2026-11-20T11:00:00.000Z'])
    clock.advance(40 * MINUTE)
    const later = await listAll({ startTime: '2026-11-20T11:00', endTime: '2026-11-20T13:00' })
    expect(later.items).toHaveLength(2)
  })

  it('accepts every documented time format and lower-case parameter names', async () => {
    const forms = [
      ['2026-11-20', '2026-11-20T12:00'],
      ['2026-11-20T06:00', '2026-11-20T12:00:00'],
      ['2026-11-20T06:00:00.0000000Z', '2026-11-20T12:00:00.1234567Z'],
      ['2026-11-20T07:00:00+01:00', '2026-11-20T08:00:00-04:00']
    ]
    for (const [start, end] of forms) {
      const answer = await client.api('GET', 'subscriptions/content', {
        contenttype: 'Audit.General',
        starttime: start!,
        endtime: end!
      })
      expect(answer.status, `${start} .. ${end}`).toBe(200)
    }
    expect(emulator.requests.listWindows().map((w) => w.start?.toISOString())).toContain('2026-11-20T06:00:00.000Z')
  })

  it('lists the last 24 hours when both times are omitted', async () => {
    const { items } = await listAll({})
    expect(items).toHaveLength(11)
  })

  it('allows an end in the future', async () => {
    expect((await list({ startTime: '2026-11-20T11:00', endTime: '2026-11-21T10:00' })).status).toBe(200)
  })
})

describe('window rules', () => {
  const rule55 =
    'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to  end time and start time no more than 7 days in the past.'

  it.each([
    ['more than 24 h', '2026-11-19T06:00:00', '2026-11-20T06:00:01'],
    ['start equal to end', '2026-11-20T06:00', '2026-11-20T06:00'],
    ['start after end', '2026-11-20T07:00', '2026-11-20T06:00'],
    ['start older than 7 days and the grace hour', '2026-11-13T10:59:59', '2026-11-13T12:00:00']
  ])('answers AF20055 for %s', async (_name, start, end) => {
    const answer = await list({ startTime: start, endTime: end })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({ error: { code: 'AF20055', message: `${rule55} StartTime:${start}, EndTime:${end}` } })
  })

  it('accepts exactly 24 h and a start 7 days + 59 minutes back', async () => {
    expect((await list({ startTime: '2026-11-19T06:00:00', endTime: '2026-11-20T06:00:00' })).status).toBe(200)
    expect((await list({ startTime: '2026-11-13T11:01', endTime: '2026-11-13T12:00' })).status).toBe(200)
  })

  it('answers AF20030 when only one time is given', async () => {
    const answer = await list({ startTime: '2026-11-20T06:00' })
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: { code: 'AF20030' } })
    expect((await list({ endTime: '2026-11-20T06:00' })).json).toMatchObject({ error: { code: 'AF20030' } })
  })

  it('answers AF20002 for a time it cannot parse', async () => {
    expect((await list({ startTime: '20/11/2026', endTime: '2026-11-20T06:00' })).json).toMatchObject({
      error: { code: 'AF20002' }
    })
  })

  it('applies the 7-day rule in UTC whatever TZ the tests run in', async () => {
    clock.set(new Date('2026-11-20T00:30:00Z'))
    await client.login()
    expect((await list({ startTime: '2026-11-12T23:31', endTime: '2026-11-13T00:00' })).status).toBe(200)
    expect((await list({ startTime: '2026-11-12T23:29', endTime: '2026-11-13T00:00' })).status).toBe(400)
  })
})

describe('paging', () => {
  it('pages with an absolute NextPageUri that repeats the window, until no header', async () => {
    const first = await list({
      startTime: '2026-11-20T06:00:00',
      endTime: '2026-11-20T12:00:00',
      PublisherIdentifier: PUBLISHER
    })
    const next = first.headers.get('NextPageUri')!
    const url = new URL(next)
    expect(url.origin).toBe(emulator.url)
    expect(url.pathname).toBe(`/api/v1/${emulator.tenantId}/activity/feed/subscriptions/content`)
    expect(url.searchParams.get('startTime')).toBe('2026-11-20T06:00:00')
    expect(url.searchParams.get('endTime')).toBe('2026-11-20T12:00:00')
    expect(url.searchParams.get('PublisherIdentifier')).toBe(PUBLISHER)
    expect(url.searchParams.get('nextPage')).toMatch(/\S/)

    const { items, pages } = await listAll({ startTime: '2026-11-20T06:00:00', endTime: '2026-11-20T12:00:00' })
    expect(pages).toBe(4)
    expect(items).toHaveLength(11)
    expect(new Set(items.map((i) => i.contentId)).size).toBe(11)
    expect(items.map((i) => i.contentCreated)).toEqual([...items.map((i) => i.contentCreated)].sort())
    const follows = emulator.requests.nextPageFollowCounts()
    expect([...follows.values()]).toEqual([1, 1, 1])
  })

  it('serves the same page twice for the same nextPage (idempotent)', async () => {
    const first = await list({ startTime: '2026-11-20T06:00', endTime: '2026-11-20T12:00' })
    const next = first.headers.get('NextPageUri')!
    const a = await client.api('GET', next)
    const b = await client.api('GET', next)
    expect(a.text).toBe(b.text)
    expect(emulator.requests.nextPageFollowCounts().get(new URL(next).searchParams.get('nextPage')!)).toBe(2)
  })

  it('accepts nextpage in lower case and answers AF20031 for a bad one', async () => {
    const first = await list({ startTime: '2026-11-20T06:00', endTime: '2026-11-20T12:00' })
    const token = new URL(first.headers.get('NextPageUri')!).searchParams.get('nextPage')!
    const lower = await list({ starttime: '2026-11-20T06:00', endtime: '2026-11-20T12:00', nextpage: token })
    expect(lower.status).toBe(200)
    const bad = await list({ startTime: '2026-11-20T06:00', endTime: '2026-11-20T12:00', nextPage: 'garbage' })
    expect(bad.status).toBe(400)
    expect(bad.json).toEqual({ error: { code: 'AF20031', message: 'Invalid nextPage Input: garbage.' } })
  })

  it('carries the implicit 24 h window in NextPageUri when times were omitted', async () => {
    const first = await list({})
    const url = new URL(first.headers.get('NextPageUri')!)
    expect(url.searchParams.get('startTime')).toBe('2026-11-19T12:00:00.000Z')
    expect(url.searchParams.get('endTime')).toBe('2026-11-20T12:00:00.000Z')
  })
})

describe('blobs', () => {
  const blobPath = (id: string) => `audit/${id}`

  it('serves the records as a JSON array and logs the fetch', async () => {
    const blob = emulator.blobs('Audit.SharePoint')[0]!
    const answer = await client.api('GET', blobPath(blob.contentId), { PublisherIdentifier: PUBLISHER })
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual([{ Id: 'sp' }])
    expect(emulator.requests.blobFetchCounts().get(blob.contentId)).toBe(1)
    expect(emulator.requests.byRoute('blob')[0]).toMatchObject({
      publisherId: PUBLISHER,
      contentId: blob.contentId,
      status: 200
    })
  })

  it('answers AF20050 for an unknown id, AF20052 for a malformed one, AF20051 once expired', async () => {
    const unknown = '20261120060000000000000$20261120060000000000000$audit_general$Audit_General'
    const missing = await client.api('GET', blobPath(unknown))
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({
      error: { code: 'AF20050', message: `The specified content (${unknown}) does not exist.` }
    })

    const malformed = await client.api('GET', blobPath('not-a-content-id'))
    expect(malformed.status).toBe(400)
    expect(malformed.json).toMatchObject({ error: { code: 'AF20052' } })

    const blob = emulator.blobs('Audit.SharePoint')[0]!
    clock.set(new Date(blob.contentExpiration.getTime() + 1))
    await client.login()
    const expired = await client.api('GET', blobPath(blob.contentId))
    expect(expired.json).toMatchObject({ error: { code: 'AF20051' } })
    expect((expired.json as { error: { message: string } }).error.message).toContain(blob.contentId)
  })

  it('does not serve a blob before its contentCreated', async () => {
    const future = emulator.blobs('Audit.General').find((b) => b.records[0]?.['Id'] === 'future')!
    expect((await client.api('GET', blobPath(future.contentId))).status).toBe(404)
  })

  it('honours a custom contentExpiration', async () => {
    const blob = emulator.publish({
      contentType: 'Audit.General',
      contentCreated: new Date(NOW.getTime() - DAY),
      contentExpiration: new Date(NOW.getTime() + 19 * DAY),
      records: []
    })
    const answer = await list({ startTime: '2026-11-19T11:00', endTime: '2026-11-19T13:00' })
    expect((answer.json as ListItem[]).find((i) => i.contentId === blob.contentId)?.contentExpiration).toBe(
      '2026-12-09T12:00:00.000Z'
    )
  })

  it('accepts the /api/v1/ root and percent-encoded $', async () => {
    const blob = emulator.blobs('Audit.SharePoint')[0]!
    const url = `${emulator.url}/api/v1/${emulator.tenantId}/activity/feed/audit/${encodeURIComponent(blob.contentId)}`
    expect((await client.api('GET', url)).status).toBe(200)
  })
})

describe('request log', () => {
  it('records route, lower-cased query, window, publisher and status', async () => {
    await list({ StartTime: '2026-11-20T06:00', EndTime: '2026-11-20T07:00', PublisherIdentifier: PUBLISHER })
    await client.api('GET', 'subscriptions/list')
    const [content, subs] = emulator.requests.entries
    expect(content).toMatchObject({
      method: 'GET',
      route: 'content',
      status: 200,
      contentType: 'Audit.General',
      startTime: '2026-11-20T06:00',
      endTime: '2026-11-20T07:00',
      publisherId: PUBLISHER,
      query: { contenttype: 'Audit.General', starttime: '2026-11-20T06:00' }
    })
    expect(content?.at.toISOString()).toBe(NOW.toISOString())
    expect(subs).toMatchObject({ route: 'list', status: 200 })
    expect(emulator.requests.withoutPublisherId().map((e) => e.route)).toEqual(['list'])
    expect(emulator.requests.listWindows()).toEqual([
      {
        status: 200,
        contentType: 'Audit.General',
        startTime: '2026-11-20T06:00',
        endTime: '2026-11-20T07:00',
        start: new Date('2026-11-20T06:00:00Z'),
        end: new Date('2026-11-20T07:00:00Z')
      }
    ])
  })
})
