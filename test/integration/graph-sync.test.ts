/**
 * Runs with `source: graph` and `source: auto`, in process, against the emulator's Management
 * API and its Graph audit log query API: history older than the Management API's 7 days,
 * exactly once on the branch whichever source served each record.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { graphPartEnd, oldestListableStart } from '../../src/plan/sources.js'
import { expectBranchHoldsServedBetween } from '../e2e/assertions.js'
import { branchUsageFiles, expectedUsageFiles } from '../e2e/usage-expectations.js'
import { E2E_TEST_BUDGET_MS } from '../e2e/budgets.js'
import { BRANCH, startWorld, type World } from '../e2e/world.js'
import { runInProcess } from './in-process.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

/** Polls and retries in milliseconds: queries take a fraction of a second on the emulator here. */
const FAST = {
  [TEST_HOOKS.graphPollMs]: '10',
  [TEST_HOOKS.graphRetryMs]: '5'
}

function hourFloor(ms: number): Date {
  return new Date(Math.floor(ms / HOUR) * HOUR)
}

/** `days` of traffic up to the last full hour, in two content types; the inputs of a backfill of it. */
function history(world: World, days: number): { inputs: Record<string, string>; from: Date; to: Date } {
  const to = hourFloor(Date.now() - HOUR)
  const from = new Date(to.getTime() - days * DAY)
  world.emulator.generate({
    contentTypes: ['Audit.General', 'Audit.Exchange'],
    from,
    to,
    blobsPerHour: 1,
    recordsPerBlob: [1, 3]
  })
  return { inputs: { start: from.toISOString(), end: to.toISOString() }, from, to }
}

function graphRequests(world: World): number {
  return world.emulator.requests.filter((entry) => entry.route.startsWith('graph-')).length
}

function managementRequests(world: World): number {
  return world.emulator.requests.filter(
    (entry) => !entry.route.startsWith('graph-') && entry.route !== 'token' && entry.route !== 'openid'
  ).length
}

describe('source: auto and graph', () => {
  it(
    'auto: 20 days back land exactly once, the Management API for its 7 days and Graph for the rest; a re-run queries nothing',
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 30 } })
      const { inputs: range, from, to } = history(world, 20)
      const inputs = {
        ...range,
        source: 'auto',
        'graph-url': world.emulator.graphUrl,
        'content-types': 'Audit.General',
        segment: '24h'
      }
      const first = await runInProcess(world, inputs, { env: FAST })
      expect(first.failed, first.log.join('\n')).toBeUndefined()
      expect(await expectBranchHoldsServedBetween(world, ['Audit.General'], from, to)).toBeGreaterThan(500)
      // 13 days and the overlap's day, one query a UTC day (the first and last cut at the range).
      // One query a UTC day of Graph's part: the 13 days past the Management API's reach and
      // the day of overlap, the first and last cut at the range's ends.
      const asked = /Graph audit log queries: (\S+) to (\S+);/.exec(first.log.join('\n'))
      const [askedStart, askedEnd] = [Date.parse(asked?.[1] ?? ''), Date.parse(asked?.[2] ?? '')]
      expect(askedStart).toBe(from.getTime())
      expect(askedEnd - Date.now()).toBeGreaterThan(-(6 * DAY + HOUR))
      const utcDays = Math.floor((askedEnd - 1) / DAY) - Math.floor(askedStart / DAY) + 1
      const queries = world.emulator.graphQueries.length
      expect(queries).toBe(utcDays)
      expect(first.log.join('\n')).toMatch(/Graph: \d+ queries submitted/)

      const requestsBefore = graphRequests(world)
      const graphEndBefore = graphPartEnd(oldestListableStart(new Date())).getTime()
      const again = await runInProcess(world, inputs, { env: FAST })
      expect(again.failed, again.log.join('\n')).toBeUndefined()
      // Graph's part ends on a midnight: the same all day (a re-run across 23:55 UTC reaches a day further).
      if (graphPartEnd(oldestListableStart(new Date())).getTime() === graphEndBefore) {
        expect(world.emulator.graphQueries.length, 'no query for days already collected').toBe(queries)
        expect(graphRequests(world)).toBe(requestsBefore)
      } else expect(world.emulator.graphQueries.length).toBe(queries + 1)
      expect(await expectBranchHoldsServedBetween(world, ['Audit.General'], from, to)).toBeGreaterThan(500)
    },
    E2E_TEST_BUDGET_MS
  )

  it(
    'graph: an app with only AuditLogsQuery.Read.All collects a backfill without a Management API call',
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 30, roles: [] } })
      const { inputs: range, from, to } = history(world, 3)
      const record = await runInProcess(
        world,
        {
          ...range,
          source: 'graph',
          'graph-url': world.emulator.graphUrl,
          'content-types': 'Audit.General, Audit.Exchange'
        },
        { env: FAST }
      )
      expect(record.failed, record.log.join('\n')).toBeUndefined()
      expect(managementRequests(world)).toBe(0)
      expect(
        await expectBranchHoldsServedBetween(world, ['Audit.General', 'Audit.Exchange'], from, to)
      ).toBeGreaterThan(100)
      const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
      expect(ledger.graph.collected.length).toBeGreaterThan(0)
      expect(ledger.graph.pending).toEqual([])
      expect(Object.keys(ledger.contentTypes)).toEqual([])
      expect(BRANCH).toBe('audit-data')
    },
    E2E_TEST_BUDGET_MS
  )

  it(
    'graph: a 5-day backfill under faults is exact within a few runs; failed windows open the issue, which closes once they land',
    async () => {
      world = await startWorld({
        emulator: { graphQueryDurationMs: 30, graphRecordCountLimit: 60, graphDuplicateRate: 0.05, seed: 7 }
      })
      const { emulator } = world
      const { inputs: range, from, to } = history(world, 5)
      const inputs = {
        ...range,
        source: 'graph',
        'graph-url': emulator.graphUrl,
        'content-types': 'Audit.General, Audit.Exchange'
      }
      let failedOnce = false
      emulator.graph.queryOutcome = () => (failedOnce ? 'succeeded' : ((failedOnce = true), 'failed'))
      emulator.faults.add({ route: 'graph-create', kind: 'throttle-429', times: 1 })
      // The first window's pages fail every retry (6 tries): the window fails, and lands in a later run.
      emulator.faults.add({ route: 'graph-records', kind: 'unavailable', times: 6 })
      emulator.faults.add({ route: 'graph-records', kind: 'unavailable', every: 5 })
      emulator.faults.add({ route: 'graph-records', kind: 'throttle-429', every: 7 })
      emulator.faults.add({ route: 'graph-records', kind: 'truncated', times: 9 })
      emulator.faults.add({ route: 'graph-status', kind: 'bad-request', every: 3 })
      const runs = []
      for (let attempt = 0; attempt < 4; attempt++) {
        const record = await runInProcess(world, inputs, { env: FAST })
        runs.push(record)
        const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
        const graph = ledger.graph ?? {}
        if ((graph.failed ?? []).length + (graph.queued ?? []).length + (graph.pending ?? []).length === 0) break
      }
      expect(
        await expectBranchHoldsServedBetween(world, ['Audit.General', 'Audit.Exchange'], from, to)
      ).toBeGreaterThan(200)
      // The limit halved days, a failed query was submitted again, and 429 without Retry-After was waited out.
      expect(
        emulator.graphQueries.some(
          (query) => query.filterEndDateTime.getTime() - query.filterStartDateTime.getTime() < DAY
        )
      ).toBe(true)
      expect(emulator.graphQueries.some((query) => query.status === 'failed')).toBe(true)
      expect(runs.at(-1)?.failed).toBeUndefined()
      expect(runs.length).toBeGreaterThan(1)
      expect(runs[0]?.failed).toMatch(/Graph audit log query window\(s\) failed after retries/)
      expect(runs[0]?.log.join('\n')).toMatch(/Graph took no new query for now .*HTTP 429/)
      // A window whose pages kept failing was recorded, reported with a backfill command, and recovered by a later run.
      const issues = world.github.issues
      expect(issues).toHaveLength(1)
      expect(issues[0]?.body).toMatch(/Graph audit log query/)
      expect(issues[0]?.body).toMatch(/gh workflow run/)
      expect(issues[0]?.state).toBe('closed')
    },
    E2E_TEST_BUDGET_MS
  )

  it(
    'graph: a query slower than the run is left running, adopted by the next run and harvested then, never submitted twice',
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 8_000 } })
      const { emulator } = world
      const { inputs: range, from, to } = history(world, 1)
      const inputs = { ...range, source: 'graph', 'graph-url': emulator.graphUrl, 'content-types': 'Audit.General' }
      const env = { ...FAST, [TEST_HOOKS.graphWaitMs]: '300' }
      const first = await runInProcess(world, inputs, { env })
      expect(first.failed, first.log.join('\n')).toBeUndefined()
      // One query a UTC day the range touches: two, or one when it starts at midnight.
      const utcDays = Math.floor((to.getTime() - 1) / DAY) - Math.floor(from.getTime() / DAY) + 1
      const submitted = emulator.graphQueries.length
      expect(submitted).toBe(utcDays)
      const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
      expect(ledger.graph.pending).toHaveLength(utcDays)
      expect(first.summary).toMatch(new RegExp(`${utcDays} still running`))

      // Until the service says they finished (a loaded machine must not make the first run see them done).
      while (!emulator.graphQueries.every((query) => query.status === 'succeeded'))
        await new Promise((resolve) => setTimeout(resolve, 100))
      const second = await runInProcess(world, inputs, { env })
      expect(second.failed, second.log.join('\n')).toBeUndefined()
      expect(emulator.graphQueries.length, 'adopted, not submitted again').toBe(submitted)
      expect(await expectBranchHoldsServedBetween(world, ['Audit.General'], from, to)).toBeGreaterThan(10)
      const after = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
      expect(after.graph.pending ?? []).toEqual([])
    },
    E2E_TEST_BUDGET_MS
  )

  it('refuses a Graph source where Graph has no audit log queries, and a Management API start past 7 days, before any request', async () => {
    world = await startWorld()
    const gccHigh = await runInProcess(world, { source: 'auto', cloud: 'gcc-high', authority: '', audience: '' })
    expect(gccHigh.failed).toMatch(/not served in cloud 'gcc-high'.*Microsoft support confirmed/)
    const old = new Date(Date.now() - 20 * DAY).toISOString().slice(0, 10)
    const tooOld = await runInProcess(world, { start: old })
    expect(tooOld.failed).toMatch(/source: auto.*AuditLogsQuery\.Read\.All.*'import'/)
    expect(world.emulator.requests.length).toBe(0)
    expect(await world.head()).toBeUndefined()
  })

  it(
    'stops before committing when the app lacks the Graph permission, and says which permission and who consents',
    async () => {
      world = await startWorld({ emulator: { graphRoles: [] } })
      const { inputs: range } = history(world, 2)
      const record = await runInProcess(
        world,
        { ...range, source: 'graph', 'graph-url': world.emulator.graphUrl },
        { env: FAST }
      )
      expect(record.failed).toMatch(/HTTP 403.*AuditLogsQuery\.Read\.All.*admin consent/)
      expect(await world.head()).toBeUndefined()
      expect(record.summary).toMatch(/running Microsoft Graph audit log queries/)
    },
    E2E_TEST_BUDGET_MS
  )

  it(
    "graph: the CoE's Graph mode (launches and deletions of apps) gives exact records and usage files, filtered by Graph and here",
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 30, roles: [] } })
      const { emulator } = world
      const { inputs: range, from, to } = history(world, 3)
      const record = await runInProcess(
        world,
        { ...range, source: 'graph', 'graph-url': emulator.graphUrl, operations: 'LaunchPowerApp, DeletePowerApp' },
        { env: FAST }
      )
      expect(record.failed, record.log.join('\n')).toBeUndefined()
      expect(managementRequests(world)).toBe(0)
      // Graph filtered by operation; both operations and the record types of both schemas came back.
      expect(emulator.graphQueries.every((query) => query.filters.operationFilters.length === 2)).toBe(true)
      const inRange = emulator
        .servedRecords('Audit.General')
        .filter((served) => {
          const at = Date.parse(`${String(served.CreationTime)}Z`)
          return at >= from.getTime() && at < to.getTime()
        })
        .filter((served) => served.Operation === 'LaunchPowerApp' || served.Operation === 'DeletePowerApp')
      expect(new Set(inRange.map((served) => served.RecordType))).toEqual(new Set([45, 256]))
      expect(inRange.some((served) => served.Operation === 'DeletePowerApp')).toBe(true)
      const rows = await world.branchRows()
      expect(rows.map((entry) => entry.row.Id).sort()).toEqual(
        inRange.map((served) => String(served.Id).toLowerCase()).sort()
      )
      expect(await branchUsageFiles(world)).toEqual(expectedUsageFiles(inRange))
    },
    E2E_TEST_BUDGET_MS
  )

  it(
    'graph, scheduled: windows harvested before they settled are queried once more when they have, finding what arrived late',
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 30 } })
      const { emulator } = world
      const { to } = history(world, 2)
      const inputs = { source: 'graph', 'graph-url': emulator.graphUrl, lookback: '1d' }
      const first = await runInProcess(world, inputs, { env: FAST })
      expect(first.failed, first.log.join('\n')).toBeUndefined()
      const asked = /Graph audit log queries: (\S+) to (\S+);/.exec(first.log.join('\n'))
      const start = new Date(asked?.[1] ?? '')
      const afterFirst = emulator.graphQueries.length
      // The look-back's day, a query a UTC day it touches (yesterday's part and today's), nothing settled yet.
      const askedEnd = Date.parse(asked?.[2] ?? '')
      expect(afterFirst).toBe(Math.floor((askedEnd - 1) / DAY) - Math.floor(start.getTime() / DAY) + 1)
      const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
      expect(ledger.graph.collected).toEqual([])
      expect(ledger.graph.unsettled).toHaveLength(1)

      // Content published since carries events of the hours already harvested.
      const late = emulator
        .generate({ contentTypes: ['Audit.General'], from: to, to: new Date(), blobsPerHour: 12 })
        .flatMap((blob) => blob.records)
        .filter((record) => Date.parse(`${String(record.CreationTime)}Z`) < Date.parse(asked?.[2] ?? ''))
      expect(late.length, 'late events in windows already harvested').toBeGreaterThan(0)
      const second = await runInProcess(world, inputs, { env: FAST })
      expect(second.failed, second.log.join('\n')).toBeUndefined()
      // Only the minutes since the last run: one query, two if UTC midnight passed between the runs.
      const crossedMidnight = Math.floor(askedEnd / DAY) !== Math.floor(Date.now() / DAY)
      expect(emulator.graphQueries.length, 'only the minutes since the last run').toBeLessThanOrEqual(
        afterFirst + (crossedMidnight ? 2 : 1)
      )

      // Once settled, the harvested windows are queried again, a UTC day at a time, and done.
      const settledNow = { ...FAST, [TEST_HOOKS.graphSettleMs]: '0' }
      const third = await runInProcess(world, inputs, { env: settledNow })
      expect(third.failed, third.log.join('\n')).toBeUndefined()
      const settled = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
      expect(settled.graph.collected).toHaveLength(1)
      expect(settled.graph.unsettled).toEqual([])
      expect(settled.graph.collected[0].start).toBe(asked?.[1])
      // Up to where the last run asked (its minute): a record of the minute under way is the next run's.
      const lastAsked = /Graph audit log queries: \S+ to (\S+);/.exec(third.log.join('\n'))
      const askedUntil = new Date(lastAsked?.[1] ?? '')
      expect(await expectBranchHoldsServedBetween(world, ['Audit.General'], start, askedUntil)).toBeGreaterThan(10)
      const queries = emulator.graphQueries.length
      const last = await runInProcess(world, { ...inputs, 'dry-run': 'true' }, { env: settledNow })
      // Collected up to the minute of the last run: only minutes since then are left to query.
      expect(last.log.join('\n')).toMatch(/Would ask Graph audit log queries for .*; [01] windows? to query, 0 queries/)
      expect(emulator.graphQueries.length).toBe(queries)
    },
    E2E_TEST_BUDGET_MS
  )
})
