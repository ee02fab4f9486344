import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici'
import { AuditQueryClient } from '../../src/graph/audit-query-client.js'
import { auditDataOf } from '../../src/graph/graph-record.js'
import { DEFAULT_QUERY_LIMITS, runAuditQueries, type QueryRunResult } from '../../src/graph/query-runner.js'
import { dailyQueryWindows } from '../../src/graph/query-windows.js'
import { auditRecordRow } from '../../src/record/record-row.js'
import { ApiError } from '../../src/m365/api-error.js'
import type { TimeRange } from '../../src/record/time-range.js'
import { CSV_FORMAT } from '../../src/snapshot/format/csv.js'
import { createManualClock, DAY, HOUR, MINUTE, startEmulator, type Emulator } from '../emulator/index.js'

let emulator: Emulator | undefined
const original = getGlobalDispatcher()

afterEach(async () => {
  setGlobalDispatcher(original)
  await emulator?.close()
  emulator = undefined
})

const FROM = new Date('2026-11-01T00:00:00Z')

/** A client whose tokens the emulator mints on its clock (hours pass in these tests), with the given roles. */
function clientOf(emulator: Emulator, roles?: string[]): AuditQueryClient {
  const { graphUrl } = emulator
  return new AuditQueryClient({
    graphUrl,
    tokens: { getToken: async () => emulator.mintAccessToken({ aud: graphUrl, ...(roles ? { roles } : {}) }) },
    retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 50 }
  })
}

/**
 * Three days of traffic in every content type, queried a month later (all of it ingested):
 * the emulator's clock is the runner's, so a query that takes minutes takes no real time.
 */
async function setUp(options: Parameters<typeof startEmulator>[0] = {}) {
  const clock = createManualClock(new Date(FROM.getTime() + 30 * DAY))
  emulator = await startEmulator({ now: clock.now, seed: 5, ...options })
  setGlobalDispatcher(new Agent({ connect: { ca: emulator.caCertPem } }))
  const served = emulator.generate({
    contentTypes: ['Audit.General', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.SharePoint'],
    from: FROM,
    to: new Date(FROM.getTime() + 3 * DAY),
    blobsPerHour: 2,
    recordsPerBlob: [2, 6]
  })
  const range = { start: FROM, end: new Date(FROM.getTime() + 3 * DAY) }
  const inRange = (time: string) => {
    const at = Date.parse(`${time}Z`)
    return at >= range.start.getTime() && at < range.end.getTime()
  }
  const expected = new Set(
    served
      .flatMap((blob) => blob.records.filter((record) => inRange(String(record['CreationTime']))))
      .map((record) => String(record['Id']).toLowerCase())
  )
  const client = clientOf(emulator)
  /** Each harvested record once per query result, normalised and turned into a row as import does. */
  const landed = new Map<string, { type: string; time: string }>()
  /** Rows harvested, repeats included: the spool and the day merge keep one per Id downstream. */
  const harvested = { rows: 0 }
  const run = (windows: readonly TimeRange[], pending: QueryRunResult['pending'] = []) =>
    runAuditQueries({
      windows,
      pending,
      filters: {},
      api: client,
      limits: { ...DEFAULT_QUERY_LIMITS, waitMs: 6 * HOUR },
      now: clock.now,
      sleep: async (ms) => clock.advance(ms),
      harvest: async (_window, pages) => {
        // Kept apart until the window's last page: a window is never half-written.
        const rows: { id: string; type: string; time: string }[] = []
        for await (const page of pages) {
          for (const value of page) {
            const audit = auditDataOf(value)
            if ('bad' in audit) throw new Error(audit.bad)
            const row = auditRecordRow(audit.record, CSV_FORMAT.fromFields)
            if (row.kind !== 'row') throw new Error(`not a row: ${JSON.stringify(row)}`)
            rows.push({ id: row.row.id, type: row.type, time: row.row.time })
          }
        }
        for (const row of rows) landed.set(row.id, row)
        harvested.rows += rows.length
      }
    })
  return { emulator, clock, client, range, expected, landed, harvested, run }
}

describe('Graph audit log queries against the emulator', () => {
  it('collects three days exactly, one query a day, every record in its content type and time', async () => {
    const { emulator, range, expected, landed, run } = await setUp()
    const result = await run(dailyQueryWindows(range))
    expect(result).toMatchObject({ failed: [], pending: [], deferred: [], submitted: 3 })
    expect(new Set(landed.keys())).toEqual(expected)
    expect(new Set([...landed.values()].map((row) => row.type))).toEqual(
      new Set(['Audit.General', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.SharePoint'])
    )
    expect([...landed.values()].every((row) => row.time.endsWith('Z') && !row.time.endsWith('ZZ'))).toBe(true)
    expect(emulator.graphQueries.map((query) => query.displayName)).toEqual(
      dailyQueryWindows(range).map((window) => expect.stringContaining(window.start.toISOString().slice(0, 19)))
    )
  })

  it('is exact under faults: record-count limit, failed queries, failing pages and polls, 429 without Retry-After, duplicates', async () => {
    const { emulator, range, expected, landed, harvested, run } = await setUp({
      graphRecordCountLimit: 120,
      graphDuplicateRate: 0.05,
      graphQueryDurationMs: 7 * MINUTE
    })
    let failedOnce = false
    emulator.graph.queryOutcome = () => (failedOnce ? 'succeeded' : ((failedOnce = true), 'failed'))
    emulator.faults.add({ route: 'graph-records', kind: 'unavailable', every: 5 })
    emulator.faults.add({ route: 'graph-records', kind: 'throttle-429', every: 7 })
    emulator.faults.add({ route: 'graph-records', kind: 'truncated', times: 2 })
    emulator.faults.add({ route: 'graph-status', kind: 'bad-request', every: 3 })
    let result = await run(dailyQueryWindows(range))
    // A window whose page kept failing is queried again by the next run, and lands then.
    for (let runs = 1; result.failed.length > 0 && runs < 4; runs++)
      result = await run(result.failed.map((entry) => entry.window))
    expect(result.failed).toEqual([])
    expect(new Set(landed.keys())).toEqual(expected)
    // Graph's repeats reached the harvest (and are left to the spool's merge by Id).
    expect(harvested.rows).toBeGreaterThan(expected.size)
    // The limit made the runner halve days; the failed query was submitted again.
    expect(emulator.graphQueries.length).toBeGreaterThan(4)
    expect(emulator.graphQueries.some((query) => query.status === 'failed')).toBe(true)
    expect(
      emulator.graphQueries.some(
        (query) => query.filterEndDateTime.getTime() - query.filterStartDateTime.getTime() < DAY
      )
    ).toBe(true)
  })

  it('harvests in a later run a query slower than the run, without submitting it again', async () => {
    const { emulator, clock, range, expected, landed, run } = await setUp({ graphQueryDurationMs: 8 * HOUR })
    const windows = dailyQueryWindows(range)
    const first = await run(windows)
    expect(first.collected).toEqual([])
    expect(first.pending).toHaveLength(2)
    expect(first.deferred).toHaveLength(1)
    clock.advance(HOUR)
    // The run lost the id of the second query (it stopped before saving it): found by its name
    // while it still runs.
    const second = await run(first.deferred.concat(windows[1]!), first.pending.slice(0, 1))
    expect(second.submitted).toBe(1)
    clock.advance(9 * HOUR)
    const third = await run([], second.pending)
    expect([...first.collected, ...second.collected, ...third.collected]).toHaveLength(3)
    expect(emulator.graphQueries).toHaveLength(3)
    expect(new Set(landed.keys())).toEqual(expected)
  })

  it('says what to do when the app lacks the permission, or auditing is off', async () => {
    const { emulator, client, range } = await setUp()
    const window = dailyQueryWindows(range)[0]!
    const refused = await clientOf(emulator, [])
      .submit(window, {})
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ApiError)
    expect((refused as ApiError).message).toMatch(/HTTP 403 .*AuditLogsQuery\.Read\.All.*admin consent/)
    expect((refused as ApiError).retryable).toBe(false)

    emulator.auditingEnabled = false
    const off = await client.submit(window, {}).catch((error: unknown) => error)
    expect((off as ApiError).message).toMatch(/Audit logging is off in the tenant: turn it on in Microsoft Purview/)
  })

  it('tries a submission Graph throttles once, and explains it as throttling', async () => {
    const { emulator, client, range } = await setUp()
    emulator.graph.concurrentQueries = 0
    const refused = await client.submit(dailyQueryWindows(range)[0]!, {}).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ApiError)
    expect(refused).toMatchObject({ status: 429, retryable: true })
    expect((refused as ApiError).message).not.toMatch(/permission|consent/)
    expect(emulator.requests.graphRequests().filter((entry) => entry.route === 'graph-create')).toHaveLength(1)
  })
})

describe('the Graph client’s own guards', () => {
  /** A plain HTTP Graph root answering each path with what `pages` says; it records every request. */
  async function graphRoot(pages: Record<string, string>) {
    const seen: { path: string; authorization: string | undefined }[] = []
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization })
      const body = pages[(req.url ?? '').split('?')[0]!]
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(body ?? '{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  }

  it('never follows a next page to another host, and refuses a body past its cap', async () => {
    const records = '/beta/security/auditLog/queries/q1/records'
    const root = await graphRoot({
      [records]: JSON.stringify({ value: [{ id: 'a' }], '@odata.nextLink': 'https://attacker.example/beta/next' }),
      '/beta/security/auditLog/queries/q2/records': JSON.stringify({ value: ['x'.repeat(4096)] })
    })
    try {
      const client = new AuditQueryClient({
        graphUrl: root.url,
        tokens: { getToken: async () => 'graph-token-not-for-others' },
        retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        maxBodyBytes: 1024
      })
      const pages: unknown[][] = []
      const followed = (async () => {
        for await (const page of client.records('q1')) pages.push(page)
      })()
      await expect(followed).rejects.toThrow(/next page is on another host; refusing to send the token there/)
      expect(pages).toEqual([[{ id: 'a' }]])
      const big = (async () => {
        for await (const page of client.records('q2')) pages.push(page)
      })()
      await expect(big).rejects.toThrow(/larger than 1024 bytes/)
      // Refused without trying again: one request each, every one to the Graph root.
      expect(root.seen.map((request) => request.path.split('?')[0])).toEqual([
        records,
        '/beta/security/auditLog/queries/q2/records'
      ])
    } finally {
      await root.close()
    }
  })
})
