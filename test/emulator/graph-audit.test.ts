import { afterEach, describe, expect, it } from 'vitest'
import {
  createManualClock,
  DAY,
  HOUR,
  MINUTE,
  startEmulator,
  toGraphAuditLogRecord,
  type ContentType,
  type Emulator,
  type EmulatorOptions,
  type ManualClock
} from './index.js'
import { classifyGraph } from './graph-api.js'
import { jwtPayload, TestClient, type Answer } from './test-client.js'

const NOW = new Date('2026-11-20T12:00:00Z')
const QUERIES = '/beta/security/auditLog/queries'
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const WINDOW = { filterStartDateTime: '2026-11-20T00:00:00Z', filterEndDateTime: '2026-11-20T12:00:00Z' }

interface GraphQueryJson {
  id: string
  status: string
  displayName: string | null
  approximateReturnedRecordCount?: number
  isRecordCountLimitExceeded?: boolean
  recordCountLimit?: number
}
interface RecordsPage {
  '@odata.context': string
  value: Record<string, unknown>[]
  '@odata.nextLink'?: string
}

/** One emulator per test: queries, throttling counters and the clock start clean. */
class World {
  token = ''

  private constructor(
    readonly clock: ManualClock,
    readonly emulator: Emulator,
    readonly client: TestClient
  ) {}

  static async start(options: EmulatorOptions = {}): Promise<World> {
    const clock = createManualClock(NOW)
    const emulator = await startEmulator({ now: clock.now, ...options })
    const world = new World(clock, emulator, new TestClient(emulator))
    open.push(world)
    world.token = await world.graphToken()
    return world
  }

  async graphToken(): Promise<string> {
    const answer = await this.client.tokenRequest({ scope: `${this.emulator.graphUrl}/.default` })
    expect(answer.status, answer.text).toBe(200)
    return (answer.json as { access_token: string }).access_token
  }

  call(
    method: string,
    target: string,
    init: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}
  ): Promise<Answer> {
    const token = init.token === undefined ? this.token : init.token
    const url = target.startsWith('https:') ? target : `${this.emulator.graphUrl}${target}`
    return this.client.send(method, url, {
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers
      },
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) })
    })
  }

  create(body: Record<string, unknown> = {}): Promise<Answer> {
    return this.call('POST', QUERIES, { body: { displayName: 'q', ...WINDOW, ...body } })
  }

  /** Creates a query and returns its id (the create must succeed). */
  async submit(body: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.create(body)
    expect(answer.status, answer.text).toBe(201)
    return (answer.json as GraphQueryJson).id
  }

  async status(id: string): Promise<GraphQueryJson> {
    const answer = await this.call('GET', `${QUERIES}/${id}`)
    expect(answer.status, answer.text).toBe(200)
    return answer.json as GraphQueryJson
  }

  /** Every record of a finished query, following nextLink verbatim. */
  async allRecords(id: string, top?: number): Promise<{ records: Record<string, unknown>[]; pages: number }> {
    let target: string | undefined = `${QUERIES}/${id}/records${top === undefined ? '' : `?$top=${top}`}`
    const records: Record<string, unknown>[] = []
    let pages = 0
    while (target !== undefined) {
      const answer = await this.call('GET', target)
      expect(answer.status, answer.text).toBe(200)
      const page = answer.json as RecordsPage
      records.push(...page.value)
      pages++
      target = page['@odata.nextLink']
    }
    return { records, pages }
  }

  publish(contentType: ContentType, contentCreated: string, records: Record<string, unknown>[], compact = false) {
    return this.emulator.publish({ contentType, contentCreated: new Date(contentCreated), records, compact })
  }

  async close(): Promise<void> {
    await this.client.close()
    await this.emulator.close()
  }
}

const open: World[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()))
})

let serial = 0
/** A record in the Management API's shape; `at` is its CreationTime (UTC, no zone). */
function record(at: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  serial++
  return {
    CreationTime: at,
    Id: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    Operation: 'LaunchPowerApp',
    OrganizationId: '33333333-3333-4333-8333-333333333333',
    RecordType: 256,
    UserKey: 'bbcfc3c5-0000-4000-8000-000000000002',
    UserType: 0,
    Workload: 'PowerPlatform',
    UserId: 'rob@contoso.example',
    ...fields
  }
}

const ids = (records: Record<string, unknown>[]) => records.map((r) => r['id'])
const compare = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)

describe('tokens and permissions', () => {
  it('issues Graph tokens for the Graph origin with the Graph roles, by scope (v2) and by resource (v1)', async () => {
    const w = await World.start()
    expect(jwtPayload(w.token)).toMatchObject({ aud: w.emulator.graphUrl, roles: ['AuditLogsQuery.Read.All'] })
    const v1 = await w.client.tokenRequest({ scope: undefined, resource: `${w.emulator.graphUrl}/` }, '/oauth2/token')
    expect(v1.status, v1.text).toBe(200)
    expect(jwtPayload((v1.json as { access_token: string }).access_token)).toMatchObject({
      aud: w.emulator.graphUrl,
      roles: ['AuditLogsQuery.Read.All']
    })
    const management = jwtPayload(await w.client.login())
    expect(management).toMatchObject({ aud: w.emulator.url, roles: ['ActivityFeed.Read'] })
    expect(w.emulator.graphUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(w.emulator.graphUrl).not.toBe(w.emulator.url)
    expect((await w.call('GET', QUERIES)).status).toBe(200)
  })

  it('refuses a Management token on Graph with 401 Invalid audience, and a missing one as empty', async () => {
    const w = await World.start()
    const management = await w.client.login()
    const answer = await w.call('GET', QUERIES, { token: management })
    expect(answer.status).toBe(401)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm=""/)
    expect(answer.json).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: 'Access token validation failure. Invalid audience.',
        innerError: {
          date: '2026-11-20T12:00:00',
          'request-id': expect.stringMatching(GUID),
          'client-request-id': expect.stringMatching(GUID)
        }
      }
    })
    const none = await w.call('GET', QUERIES, { token: null })
    expect(none.status).toBe(401)
    expect(none.json).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' }
    })
    w.clock.advance(HOUR)
    expect((await w.call('GET', QUERIES)).json).toMatchObject({
      error: { message: 'Lifetime validation failed, the token is expired.' }
    })
  })

  it('has the Management API refuse a Graph token as it refuses any bad token', async () => {
    const w = await World.start()
    w.client.token = w.token
    const answer = await w.client.api('GET', 'subscriptions/list')
    expect(answer.status).toBe(401)
    expect(answer.json).toEqual({ Message: 'Authorization has been denied for this request.' })
  })

  it('accepts graphResource aliases on Graph only', async () => {
    const w = await World.start({ graphResource: 'https://graph.microsoft.com' })
    const answer = await w.client.tokenRequest({ scope: 'https://graph.microsoft.com/.default' })
    const token = (answer.json as { access_token: string }).access_token
    expect(jwtPayload(token)).toMatchObject({ aud: 'https://graph.microsoft.com', roles: ['AuditLogsQuery.Read.All'] })
    expect((await w.call('GET', QUERIES, { token })).status).toBe(200)
    w.client.token = token
    expect((await w.client.api('GET', 'subscriptions/list')).status).toBe(401)
  })

  it('answers 403 UnknownError "dont have any permissions" without AuditLogsQuery.Read.All, echoing client-request-id', async () => {
    const w = await World.start({ graphRoles: ['AuditLog.Read.All'] })
    expect(jwtPayload(w.token)['roles']).toEqual(['AuditLog.Read.All'])
    const answer = await w.call('POST', QUERIES, {
      body: { displayName: 'q', ...WINDOW },
      headers: { 'client-request-id': 'corr-42' }
    })
    expect(answer.status).toBe(403)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.headers.get('client-request-id')).toBe('corr-42')
    const body = answer.json as { error: { innerError: Record<string, string> } }
    expect(body).toEqual({
      error: {
        code: 'UnknownError',
        message: `{"message":"App:${w.emulator.clientId} dont have any permissions"}`,
        innerError: {
          date: '2026-11-20T12:00:00',
          'request-id': answer.headers.get('request-id'),
          'client-request-id': 'corr-42'
        }
      }
    })
    const minted = w.emulator.mintAccessToken({ aud: w.emulator.graphUrl, roles: [] })
    expect((await w.call('GET', QUERIES, { token: minted })).status).toBe(403)
  })
})

describe('routes', () => {
  it.each([
    ['POST', '/beta/security/auditLog/queries', 'graph-create'],
    ['GET', '/beta/security/auditLog/queries/', 'graph-list'],
    ['GET', '/v1.0/security/auditLog/queries/abc', 'graph-status'],
    ['DELETE', '/beta/security/auditLog/queries/abc', 'graph-delete'],
    ['GET', '/beta/security/auditLog/queries/abc/records', 'graph-records'],
    ['GET', '/beta/security/auditLog', 'graph-unknown'],
    ['GET', '/beta/security/auditLog/queries/abc/records/x', 'graph-unknown']
  ])('classifies %s %s as %s', (method, path, route) => {
    expect(classifyGraph(method, path).route).toBe(route)
  })

  it('answers v1.0 with a bare 404 unless graphV1Served', async () => {
    const w = await World.start()
    const answer = await w.call('POST', '/v1.0/security/auditLog/queries', { body: WINDOW })
    expect(answer.status).toBe(404)
    expect(answer.json).toMatchObject({ error: { code: 'UnknownError', message: '' } })
    expect(w.emulator.graphQueries).toHaveLength(0)
    w.emulator.graph.v1Served = true
    const served = await w.call('POST', '/v1.0/security/auditLog/queries', { body: WINDOW })
    expect(served.status).toBe(201)
    expect(served.json).toMatchObject({
      '@odata.context': `${w.emulator.graphUrl}/v1.0/$metadata#security/auditLog/queries/$entity`
    })
  })

  it('answers unknown segments with 404 BadRequest and other methods with 405', async () => {
    const w = await World.start()
    const unknown = await w.call('GET', '/beta/security/auditLogs/queries')
    expect(unknown.status).toBe(404)
    expect(unknown.json).toMatchObject({
      error: { code: 'BadRequest', message: "Resource not found for the segment 'auditLogs'." }
    })
    const id = await w.submit()
    expect((await w.call('GET', `${QUERIES}/${id}/recordz`)).json).toMatchObject({
      error: { message: "Resource not found for the segment 'recordz'." }
    })
    expect((await w.call('PATCH', `${QUERIES}/${id}`, { body: {} })).status).toBe(405)
    expect((await w.call('PUT', QUERIES, { body: {} })).status).toBe(405)
    expect((await w.call('POST', `${QUERIES}/${id}/records`, { body: {} })).status).toBe(405)
    expect((await w.call('GET', '/v2.0/security/auditLog/queries')).json).toMatchObject({
      error: { code: 'BadRequest', message: 'Invalid version: v2.0' }
    })
    // Fixed segments ignore case, as Graph's do.
    expect((await w.call('GET', `/beta/Security/auditlog/Queries/${id}`)).status).toBe(200)
    expect(w.emulator.requests.countByRoute()).toEqual(
      new Map([
        ['token', 1],
        ['graph-unknown', 3],
        ['graph-create', 1],
        ['graph-status', 2],
        ['graph-list', 1],
        ['graph-records', 1]
      ])
    )
  })
})

describe('creating a query', () => {
  it('answers 201 with the query object: echoed window, filters as arrays, notStarted', async () => {
    const w = await World.start()
    const answer = await w.create({
      displayName: 'm365-audit-sync 2026-11-20',
      filterStartDateTime: '2026-11-20T00:00:00.000Z',
      filterEndDateTime: '2026-11-20T13:00:00+01:00',
      recordTypeFilters: ['powerAppsApp', 'PowerAppsPlan'],
      serviceFilter: 'PowerApps',
      operationFilters: ['LaunchPowerApp']
    })
    expect(answer.status).toBe(201)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/)
    expect(answer.json).toEqual({
      '@odata.context': `${w.emulator.graphUrl}/beta/$metadata#security/auditLog/queries/$entity`,
      id: expect.stringMatching(GUID),
      displayName: 'm365-audit-sync 2026-11-20',
      filterStartDateTime: '2026-11-20T00:00:00Z',
      filterEndDateTime: '2026-11-20T12:00:00Z',
      recordTypeFilters: ['PowerAppsApp', 'PowerAppsPlan'],
      keywordFilter: null,
      serviceFilters: ['PowerApps'],
      operationFilters: ['LaunchPowerApp'],
      userPrincipalNameFilters: [],
      ipAddressFilters: [],
      objectIdFilters: [],
      administrativeUnitIdFilters: [],
      status: 'notStarted'
    })
    const both = await w.create({ serviceFilters: ['Exchange', 'PowerApps'], serviceFilter: 'PowerApps' })
    expect(both.json).toMatchObject({ serviceFilters: ['Exchange', 'PowerApps'] })
  })

  it.each<[string, unknown]>([
    ['no start', { displayName: 'q', filterEndDateTime: WINDOW.filterEndDateTime }],
    ['no end', { displayName: 'q', filterStartDateTime: WINDOW.filterStartDateTime }],
    ['an unparseable date', { ...WINDOW, filterStartDateTime: 'yesterday' }],
    ['an impossible date', { ...WINDOW, filterStartDateTime: '2026-02-30T00:00:00Z' }],
    [
      'end before start',
      { filterStartDateTime: WINDOW.filterEndDateTime, filterEndDateTime: WINDOW.filterStartDateTime }
    ],
    ['a filter that is not a list', { ...WINDOW, operationFilters: 'LaunchPowerApp' }],
    ['a body that is not JSON', '{"filterStartDateTime":'],
    ['a JSON array', [WINDOW]]
  ])('answers 400 Invalid request data for %s', async (_name, body) => {
    const w = await World.start()
    const answer = await w.call('POST', QUERIES, { body })
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: { code: 'BadRequest', message: 'Invalid request data' } })
    expect(w.emulator.graphQueries).toHaveLength(0)
  })

  it('answers AuditingDisabledTenant while auditing is off, tenant-wide', async () => {
    const w = await World.start()
    w.emulator.auditingEnabled = false
    const answer = await w.create()
    expect(answer.status).toBe(400)
    const error = (answer.json as { error: { code: string; message: string } }).error
    expect(error.code).toBe('UnknownError')
    expect(JSON.parse(error.message)).toMatchObject({ Status: 'AuditingDisabledTenant' })
    await w.client.login()
    const start = await w.client.api('POST', 'subscriptions/start', { contentType: 'Audit.General' })
    expect(start.text).toContain('DataServiceException')
    w.emulator.auditingEnabled = true
    expect((await w.create()).status).toBe(201)
    const off = await World.start({ auditingEnabled: false })
    expect((await off.create()).status).toBe(400)
  })
})

describe('throttling', () => {
  it('answers 429 while graphConcurrentQueries are unfinished, without Retry-After by default', async () => {
    const w = await World.start({ graphConcurrentQueries: 2 })
    await w.submit()
    w.clock.advance(30_000)
    await w.submit()
    const refused = await w.create()
    expect(refused.status).toBe(429)
    expect(refused.json).toMatchObject({ error: { code: 'TooManyRequests' } })
    expect(refused.headers.get('retry-after')).toBeNull()
    // The first finishes at 2 minutes; deleting one frees its slot too.
    w.clock.set(new Date(NOW.getTime() + 2 * MINUTE))
    expect((await w.create()).status).toBe(201)
    expect((await w.create()).status).toBe(429)
    const second = w.emulator.graphQueries[1]!
    expect((await w.call('DELETE', `${QUERIES}/${second.id}`)).status).toBe(204)
    expect((await w.create()).status).toBe(201)
  })

  it('answers 429 past graphDailySubmissions in a rolling 24 h, with graphRetryAfterSeconds when set', async () => {
    const w = await World.start({
      graphDailySubmissions: 3,
      graphQueryDurationMs: 0,
      graphRetryAfterSeconds: 30,
      // Outlives the day the test spans.
      tokenLifetimeSeconds: (2 * DAY) / 1000
    })
    for (let i = 0; i < 3; i++) {
      await w.submit()
      w.clock.advance(HOUR)
    }
    const refused = await w.create()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('30')
    w.emulator.graph.retryAfterSeconds = undefined
    expect((await w.create()).headers.get('retry-after')).toBeNull()
    // 24 h after the first submission, its slot is free again.
    w.clock.set(new Date(NOW.getTime() + DAY + 1))
    expect((await w.create()).status).toBe(201)
    expect((await w.create()).status).toBe(429)
  })
})

describe('a query’s life on the emulator clock', () => {
  it('is notStarted for a tenth of its duration, running until it ends, then succeeded with counts', async () => {
    const w = await World.start()
    w.publish('Audit.General', '2026-11-20T10:00:00Z', [record('2026-11-20T09:00:00'), record('2026-11-20T09:30:00')])
    const id = await w.submit()
    const seen: string[] = []
    for (const ms of [0, 11_999, 12_000, 119_999, 120_000]) {
      w.clock.set(new Date(NOW.getTime() + ms))
      seen.push((await w.status(id)).status)
    }
    expect(seen).toEqual(['notStarted', 'notStarted', 'running', 'running', 'succeeded'])
    const done = await w.call('GET', `${QUERIES}/${id}`)
    expect(done.json).toMatchObject({
      '@odata.context': `${w.emulator.graphUrl}/beta/$metadata#security/auditLog/queries/$entity`,
      id,
      status: 'succeeded',
      approximateReturnedRecordCount: 2,
      isRecordCountLimitExceeded: false,
      recordCountLimit: 1_000_000
    })
    expect(done.json).not.toHaveProperty('value')
    const view = w.emulator.graphQueries[0]!
    expect(view).toMatchObject({ id, status: 'succeeded', deleted: false, displayName: 'q' })
    expect(view.submittedAt).toEqual(NOW)
    expect(view.completedAt).toEqual(new Date(NOW.getTime() + 2 * MINUTE))
    expect(view.filterStartDateTime).toEqual(new Date(WINDOW.filterStartDateTime))
  })

  it('keeps the count fields off until it succeeded', async () => {
    const w = await World.start()
    const id = await w.submit()
    expect(Object.keys(await w.status(id))).not.toContain('approximateReturnedRecordCount')
  })

  it('takes graphQueryDurationMs, a number or a function of the window and the record count', async () => {
    const w = await World.start()
    w.publish('Audit.General', '2026-11-20T10:00:00Z', [record('2026-11-20T09:00:00'), record('2026-11-20T09:30:00')])
    const inputs: unknown[] = []
    w.emulator.graph.queryDurationMs = (input) => {
      inputs.push(input)
      return input.recordCount * 10 * MINUTE
    }
    const id = await w.submit()
    expect(inputs).toEqual([
      {
        filterStartDateTime: new Date(WINDOW.filterStartDateTime),
        filterEndDateTime: new Date(WINDOW.filterEndDateTime),
        recordCount: 2
      }
    ])
    w.clock.advance(20 * MINUTE - 1)
    expect((await w.status(id)).status).toBe('running')
    w.clock.advance(1)
    expect((await w.status(id)).status).toBe('succeeded')
  })

  it('ends failed or cancelled as graphQueryOutcome says, asked once when it finishes', async () => {
    const w = await World.start()
    const failing = await w.submit({ displayName: 'fail me' })
    const cancelled = await w.submit({ displayName: 'cancel me' })
    const fine = await w.submit({ displayName: 'fine' })
    const asked: string[] = []
    w.emulator.graph.queryOutcome = (query) => {
      asked.push(query.displayName ?? '')
      return query.displayName === 'fail me' ? 'failed' : query.displayName === 'cancel me' ? 'cancelled' : 'succeeded'
    }
    w.clock.advance(5 * MINUTE)
    expect((await w.status(failing)).status).toBe('failed')
    expect((await w.status(failing)).status).toBe('failed')
    expect((await w.status(cancelled)).status).toBe('cancelled')
    expect((await w.status(fine)).status).toBe('succeeded')
    expect(asked).toEqual(['fail me', 'cancel me', 'fine'])
    const records = await w.call('GET', `${QUERIES}/${failing}/records`)
    expect(records.status).toBe(400)
    expect(records.json).toMatchObject({ error: { code: 'BadRequest', message: expect.stringContaining('failed') } })
  })
})

describe('records', () => {
  it('refuses records before the query succeeded (400 BadRequest), then serves them', async () => {
    const w = await World.start()
    w.publish('Audit.General', '2026-11-20T10:00:00Z', [record('2026-11-20T09:00:00')])
    const id = await w.submit()
    w.clock.advance(MINUTE)
    const early = await w.call('GET', `${QUERIES}/${id}/records`)
    expect(early.status).toBe(400)
    expect(early.json).toMatchObject({
      error: { code: 'BadRequest', message: expect.stringMatching(/not complete.*running/) }
    })
    w.clock.advance(MINUTE)
    const page = await w.call('GET', `${QUERIES}/${id}/records`)
    expect(page.status).toBe(200)
    expect(page.json).toMatchObject({
      '@odata.context': `${w.emulator.graphUrl}/beta/$metadata#security/auditLog/queries('${id}')/records`
    })
    expect((page.json as RecordsPage).value).toHaveLength(1)
    expect(page.json).not.toHaveProperty('@odata.nextLink')
  })

  it('serves each record in Graph’s wire shape: PascalCase enums, crossed user fields, annotated auditData', async () => {
    const w = await World.start()
    const source = {
      CreationTime: '2026-07-17T08:28:17',
      Id: 'd87d2977-96b6-4c65-aa44-032f7e314400',
      Operation: 'LaunchPowerApp',
      OrganizationId: '4b8c18bd-0000-4000-8000-000000000001',
      RecordType: 256,
      UserKey: 'bbcfc3c5-0000-4000-8000-000000000002',
      UserType: 0,
      Workload: 'PowerApps',
      ClientIP: '2001:db8::1038',
      UserId: 'rob@contoso.example',
      ExtendedProperties: [{ Name: 'UserAgent', Value: 'Mozilla/5.0 "quoted", line\nbreak' }]
    }
    w.clock.set(new Date('2026-07-17T12:00:00Z'))
    w.token = await w.graphToken()
    w.publish('Audit.General', '2026-07-17T09:00:00Z', [source])
    const id = await w.submit({
      filterStartDateTime: '2026-07-17T00:00:00Z',
      filterEndDateTime: '2026-07-18T00:00:00Z'
    })
    w.clock.advance(2 * MINUTE)
    const expected = {
      id: source.Id,
      createdDateTime: '2026-07-17T08:28:17Z',
      auditLogRecordType: 'PowerPlatformAdministratorActivity',
      operation: 'LaunchPowerApp',
      organizationId: source.OrganizationId,
      userType: 'Regular',
      userId: source.UserKey,
      userPrincipalName: source.UserId,
      service: 'PowerApps',
      objectId: null,
      clientIp: null,
      administrativeUnits: [''],
      auditData: {
        '@odata.type': '#microsoft.graph.security.defaultAuditData',
        CreationTime: '2026-07-17T08:28:17Z',
        Id: source.Id,
        Operation: 'LaunchPowerApp',
        OrganizationId: source.OrganizationId,
        'RecordType@odata.type': '#Int64',
        RecordType: 256,
        UserKey: source.UserKey,
        'UserType@odata.type': '#Int64',
        UserType: 0,
        Workload: 'PowerApps',
        ClientIP: source.ClientIP,
        UserId: source.UserId,
        'ExtendedProperties@odata.type': '#Collection(microsoft.graph.security.defaultAuditData)',
        ExtendedProperties: [
          {
            '@odata.type': '#microsoft.graph.security.defaultAuditData',
            Name: 'UserAgent',
            Value: 'Mozilla/5.0 "quoted", line\nbreak'
          }
        ]
      }
    }
    const { records } = await w.allRecords(id)
    expect(records).toEqual([expected])
    // Key order matters to a streaming reader: auditData keeps the record's order.
    expect(JSON.stringify(records[0])).toBe(JSON.stringify(expected))
    expect(toGraphAuditLogRecord(source)).toEqual(expected)
  })

  it('names user and record types as Graph does, unknown numbers as digits', () => {
    const names = [0, 1, 2, 3, 4, 5, 6, 7, 8, 99].map(
      (n) => toGraphAuditLogRecord(record('2026-11-20T00:00:00', { UserType: n }))['userType']
    )
    expect(names).toEqual([
      'Regular',
      'Reserved',
      'Admin',
      'DcAdmin',
      'System',
      'Application',
      'ServicePrincipal',
      'CustomPolicy',
      'SystemPolicy',
      '99'
    ])
    const types = [15, 1, 2, 6, 4, 45, 256, 25, 30, 11, 4242].map(
      (n) => toGraphAuditLogRecord(record('2026-11-20T00:00:00', { RecordType: n }))['auditLogRecordType']
    )
    expect(types).toEqual([
      'AzureActiveDirectoryStsLogon',
      'ExchangeAdmin',
      'ExchangeItem',
      'SharePointFileOperation',
      'SharePoint',
      'PowerAppsApp',
      'PowerPlatformAdministratorActivity',
      'MicrosoftTeams',
      'MicrosoftFlow',
      'ComplianceDLPSharePoint',
      '4242'
    ])
    const nested = toGraphAuditLogRecord(
      record('2026-11-20T00:00:00', { Members: [{ Role: 1, UPN: 'a' }], Tags: ['x'] })
    )
    expect(nested['auditData']).toMatchObject({
      'Members@odata.type': '#Collection(microsoft.graph.security.defaultAuditData)',
      Members: [
        { '@odata.type': '#microsoft.graph.security.defaultAuditData', 'Role@odata.type': '#Int64', Role: 1, UPN: 'a' }
      ],
      'Tags@odata.type': '#Collection(String)',
      Tags: ['x']
    })
  })

  it('returns exactly the feed’s distinct records of the window, every content type, in time order', async () => {
    const w = await World.start()
    const from = new Date('2026-11-19T00:00:00Z')
    w.emulator.generate({
      from,
      to: new Date('2026-11-20T00:00:00Z'),
      contentTypes: ['Audit.General', 'Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'DLP.All'],
      blobsPerHour: 1,
      recordsPerBlob: [2, 4],
      duplicateRate: 0.2
    })
    const id = await w.submit({
      filterStartDateTime: '2026-11-19T06:00:00Z',
      filterEndDateTime: '2026-11-19T18:00:00Z'
    })
    w.clock.advance(2 * MINUTE)
    const inWindow = (r: Record<string, unknown>) => {
      const at = String(r['CreationTime'])
      return at >= '2026-11-19T06:00:00' && at < '2026-11-19T18:00:00'
    }
    const expected = w.emulator
      .servedRecords()
      .filter(inWindow)
      .sort((a, b) => compare(a['CreationTime'], b['CreationTime']) || compare(a['Id'], b['Id']))
      .map(toGraphAuditLogRecord)
    expect(expected.length).toBeGreaterThan(50)
    const { records } = await w.allRecords(id, 1000)
    expect(records).toEqual(expected)
    expect((await w.status(id)).approximateReturnedRecordCount).toBe(expected.length)
  })

  it('pages with $top and an absolute nextLink, 100 by default and at most 1000', async () => {
    const w = await World.start()
    const many = Array.from({ length: 150 }, (_, i) =>
      record(`2026-11-20T08:${String(Math.floor(i / 3)).padStart(2, '0')}:0${i % 3}`)
    )
    w.publish('Audit.General', '2026-11-20T10:00:00Z', many)
    const id = await w.submit()
    w.clock.advance(2 * MINUTE)
    const first = (await w.call('GET', `${QUERIES}/${id}/records?$top=40`)).json as RecordsPage
    expect(first.value).toHaveLength(40)
    expect(first['@odata.nextLink']).toMatch(
      new RegExp(
        `^${w.emulator.graphUrl.replaceAll('.', '\\.')}/beta/security/auditLog/queries/${id}/records\\?\\$top=40&\\$skiptoken=[A-Za-z0-9_-]+$`
      )
    )
    const paged = await w.allRecords(id, 40)
    expect(paged.pages).toBe(4)
    expect(ids(paged.records)).toEqual(many.map((r) => r['Id']))
    const byDefault = (await w.call('GET', `${QUERIES}/${id}/records`)).json as RecordsPage
    expect(byDefault.value).toHaveLength(100)
    expect(byDefault['@odata.nextLink']).toContain('$top=100&')
    const tooMany = await w.call('GET', `${QUERIES}/${id}/records?$top=1001`)
    expect(tooMany.status).toBe(400)
    expect(tooMany.json).toMatchObject({ error: { code: 'BadRequest', message: expect.stringContaining("'1000'") } })
    expect((await w.call('GET', `${QUERIES}/${id}/records?$top=1000`)).status).toBe(200)
    expect((await w.call('GET', `${QUERIES}/${id}/records?$skiptoken=garbage`)).status).toBe(400)
    expect(w.emulator.requests.byRoute('graph-records').every((e) => e.queryId === id)).toBe(true)
  })

  it('finds only records ingested when the query completed; a later query finds the late one', async () => {
    const w = await World.start()
    const early = record('2026-11-20T09:00:00')
    const late = record('2026-11-20T09:30:00')
    w.publish('Audit.General', '2026-11-20T11:00:00Z', [early])
    const first = await w.submit()
    // Published now, but its blob appears at 12:05, after the first query completes at 12:02.
    w.publish('Audit.General', '2026-11-20T12:05:00Z', [late])
    w.clock.set(new Date('2026-11-20T12:10:00Z'))
    expect(ids((await w.allRecords(first)).records)).toEqual([early['Id']])
    const second = await w.submit()
    w.clock.advance(2 * MINUTE)
    expect(ids((await w.allRecords(second)).records)).toEqual([early['Id'], late['Id']])
    // The first query's result does not change once taken.
    expect(ids((await w.allRecords(first)).records)).toEqual([early['Id']])
  })

  it('selects start <= CreationTime < end and applies the filters without regard to case', async () => {
    const w = await World.start()
    const launch = record('2026-11-20T00:00:00')
    const legacy = record('2026-11-20T01:00:00', { RecordType: 45, Workload: 'PowerApps' })
    const teams = record('2026-11-20T02:00:00', {
      RecordType: 25,
      Workload: 'MicrosoftTeams',
      Operation: 'MemberAdded'
    })
    const file = record('2026-11-20T03:00:00', { RecordType: 6, Workload: 'SharePoint', Operation: 'FileAccessed' })
    const atEnd = record('2026-11-20T12:00:00')
    const before = record('2026-11-19T23:59:59')
    w.publish('Audit.General', '2026-11-20T11:00:00Z', [launch, legacy, teams, atEnd, before])
    w.publish('Audit.SharePoint', '2026-11-20T11:00:00Z', [file])
    const run = async (filters: Record<string, unknown>) => {
      const id = await w.submit(filters)
      w.clock.advance(2 * MINUTE)
      return ids((await w.allRecords(id)).records)
    }
    expect(await run({})).toEqual([launch, legacy, teams, file].map((r) => r['Id']))
    expect(await run({ operationFilters: ['launchpowerapp'] })).toEqual([launch['Id'], legacy['Id']])
    expect(await run({ recordTypeFilters: ['powerAppsApp'] })).toEqual([legacy['Id']])
    expect(await run({ recordTypeFilters: ['SharePointFileOperation', 'MicrosoftTeams'] })).toEqual([
      teams['Id'],
      file['Id']
    ])
    expect(await run({ serviceFilter: 'sharepoint' })).toEqual([file['Id']])
    expect(await run({ serviceFilters: ['PowerApps', 'PowerPlatform'], operationFilters: ['LaunchPowerApp'] })).toEqual(
      [launch['Id'], legacy['Id']]
    )
    expect(await run({ userPrincipalNameFilters: ['nobody@contoso.example'] })).toEqual([])
  })

  it('returns a record in DLP.All and another content type once, and reads compact blobs', async () => {
    const w = await World.start()
    const dlp = record('2026-11-20T05:00:00', { RecordType: 11, Operation: 'DLPRuleMatch', Workload: 'SharePoint' })
    const packed = record('2026-11-20T06:00:00')
    w.publish('Audit.SharePoint', '2026-11-20T10:00:00Z', [dlp])
    w.publish('DLP.All', '2026-11-20T10:05:00Z', [{ ...dlp }])
    w.publish('Audit.General', '2026-11-20T10:10:00Z', [packed, packed], true)
    expect(w.emulator.blobs('Audit.General')[0]!.records).toEqual([])
    const id = await w.submit()
    w.clock.advance(2 * MINUTE)
    expect(ids((await w.allRecords(id)).records)).toEqual([dlp['Id'], packed['Id']])
  })

  it('cuts at graphRecordCountLimit: succeeded, flagged, the earliest records, the real count', async () => {
    const w = await World.start({ graphRecordCountLimit: 3 })
    const five = [4, 2, 0, 3, 1].map((h) => record(`2026-11-20T0${h}:00:00`))
    w.publish('Audit.General', '2026-11-20T10:00:00Z', five)
    const id = await w.submit()
    w.clock.advance(2 * MINUTE)
    expect(await w.status(id)).toMatchObject({
      status: 'succeeded',
      isRecordCountLimitExceeded: true,
      approximateReturnedRecordCount: 5,
      recordCountLimit: 3
    })
    expect(ids((await w.allRecords(id)).records)).toEqual([five[2], five[4], five[1]].map((r) => r!['Id']))
  })

  it('repeats records with graphDuplicateRate, the same way for the same seed', async () => {
    const results: unknown[][] = []
    for (let i = 0; i < 2; i++) {
      const w = await World.start({ graphDuplicateRate: 0.5, seed: 9 })
      serial = 0
      w.publish(
        'Audit.General',
        '2026-11-20T10:00:00Z',
        Array.from({ length: 40 }, () => record('2026-11-20T08:00:00'))
      )
      const id = await w.submit()
      w.clock.advance(2 * MINUTE)
      const { records } = await w.allRecords(id, 7)
      expect(new Set(ids(records)).size).toBe(40)
      expect(records.length).toBeGreaterThan(45)
      expect((await w.status(id)).approximateReturnedRecordCount).toBe(40)
      results.push(ids(records))
    }
    expect(results[1]).toEqual(results[0])
  })
})

describe('listing and deleting', () => {
  it('lists every query, with its displayName and current status', async () => {
    const w = await World.start()
    const a = await w.submit({ displayName: 'first' })
    w.clock.advance(MINUTE)
    const b = await w.submit({ displayName: 'second' })
    w.clock.advance(MINUTE)
    const answer = await w.call('GET', QUERIES)
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      '@odata.context': `${w.emulator.graphUrl}/beta/$metadata#security/auditLog/queries`,
      value: [
        expect.objectContaining({ id: a, displayName: 'first', status: 'succeeded' }),
        expect.objectContaining({ id: b, displayName: 'second', status: 'running' })
      ]
    })
  })

  it('deletes with 204; the query is then gone from the API but kept in graphQueries', async () => {
    const w = await World.start()
    const id = await w.submit()
    const deleted = await w.call('DELETE', `${QUERIES}/${id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    const gone = await w.call('GET', `${QUERIES}/${id}`)
    expect(gone.status).toBe(404)
    expect(gone.json).toMatchObject({ error: { code: 'NotFound' } })
    expect((await w.call('DELETE', `${QUERIES}/${id}`)).status).toBe(404)
    expect((await w.call('GET', QUERIES)).json).toMatchObject({ value: [] })
    expect(w.emulator.graphQueries).toMatchObject([{ id, deleted: true }])
    expect(w.emulator.requests.byRoute('graph-delete').map((e) => e.status)).toEqual([204, 404])
  })

  it('answers 404 NotFound for an unknown id', async () => {
    const w = await World.start()
    const answer = await w.call('GET', `${QUERIES}/168ec429-084b-a489-90d8-504a87846305/records`)
    expect(answer.status).toBe(404)
    expect(answer.json).toMatchObject({ error: { code: 'NotFound' } })
  })
})

describe('faults on the Graph routes', () => {
  async function finished(w: World): Promise<string> {
    w.publish('Audit.General', '2026-11-20T10:00:00Z', [record('2026-11-20T09:00:00'), record('2026-11-20T09:10:00')])
    const id = await w.submit()
    w.clock.advance(2 * MINUTE)
    return id
  }

  it.each<[string, 'unavailable' | 'internal-error' | 'throttle-429', number | undefined, number, string]>([
    ['503 with Retry-After', 'unavailable', 5, 503, 'ServiceUnavailable'],
    ['500 without Retry-After', 'internal-error', undefined, 500, 'InternalServerError'],
    ['429 with Retry-After', 'throttle-429', 2, 429, 'TooManyRequests'],
    ['429 without Retry-After', 'throttle-429', undefined, 429, 'TooManyRequests']
  ])('make a records page answer %s, in Graph’s error shape', async (_name, kind, retry, status, code) => {
    const w = await World.start()
    const id = await finished(w)
    w.emulator.faults.add({
      route: 'graph-records',
      kind,
      times: 1,
      ...(retry === undefined ? {} : { retryAfterSeconds: retry })
    })
    const answer = await w.call('GET', `${QUERIES}/${id}/records`)
    expect(answer.status).toBe(status)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.json).toMatchObject({ error: { code, innerError: { date: '2026-11-20T12:02:00' } } })
    expect(answer.headers.get('retry-after')).toBe(retry === undefined ? null : String(retry))
    expect((await w.call('GET', `${QUERIES}/${id}/records`)).status).toBe(200)
    expect(w.emulator.requests.byRoute('graph-records').map((e) => [e.status, e.fault])).toEqual([
      [status, kind],
      [200, undefined]
    ])
  })

  it('make a status poll answer 400, and leave the other routes alone', async () => {
    const w = await World.start()
    const id = await finished(w)
    w.emulator.faults.add({ route: 'graph-status', kind: 'bad-request', times: 1 })
    const answer = await w.call('GET', `${QUERIES}/${id}`)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: { code: 'BadRequest' } })
    expect((await w.status(id)).status).toBe('succeeded')
  })

  it('drop the connection, or cut a page’s JSON in the middle', async () => {
    const w = await World.start()
    const id = await finished(w)
    w.emulator.faults.add({ route: 'graph-records', kind: 'reset', times: 1 })
    await expect(w.call('GET', `${QUERIES}/${id}/records`)).rejects.toThrow()
    w.emulator.faults.add({ route: 'graph-records', kind: 'truncated', times: 1 })
    const cut = await w.call('GET', `${QUERIES}/${id}/records`)
    expect(cut.status).toBe(200)
    expect(cut.text).toMatch(/^\{"@odata\.context"/)
    expect(() => JSON.parse(cut.text)).toThrow()
    expect((await w.allRecords(id)).records).toHaveLength(2)
    expect(w.emulator.requests.byRoute('graph-records').map((e) => e.fault)).toEqual(['reset', 'truncated', undefined])
  })

  it('reach create and list too', async () => {
    const w = await World.start()
    w.emulator.faults.add({ route: ['graph-create', 'graph-list'], kind: 'throttle', every: 2 })
    expect((await w.create()).status).toBe(201)
    expect((await w.create()).status).toBe(429)
    expect((await w.call('GET', QUERIES)).status).toBe(200)
    expect((await w.call('GET', QUERIES)).status).toBe(429)
    expect(w.emulator.graphQueries).toHaveLength(1)
  })
})
