import { describe, expect, it } from 'vitest'
import type { AuditQuery } from '../../src/graph/audit-query-client.js'
import {
  DEFAULT_QUERY_LIMITS,
  runAuditQueries,
  type AuditQueryApi,
  type QueryLimits,
  type QueryRunInput
} from '../../src/graph/query-runner.js'
import { dailyQueryWindows, queryDisplayName, type QueryFilters } from '../../src/graph/query-windows.js'
import { ApiError } from '../../src/m365/api-error.js'
import type { TimeRange } from '../../src/record/time-range.js'
import { HOUR_MS, MINUTE_MS } from '../../src/util/duration.js'

const DAY1 = new Date('2026-11-01T00:00:00Z')
const days = (count: number): TimeRange[] =>
  dailyQueryWindows({ start: DAY1, end: new Date(DAY1.getTime() + count * 24 * HOUR_MS) })
const text = (window: TimeRange) =>
  `${window.start.toISOString().slice(0, 13)}/${window.end.toISOString().slice(0, 13)}`

/**
 * Graph's audit log queries in memory, on a clock the runner's sleeps move: a query runs for
 * `durationMs`, ends as `outcome` says, and holds `recordsOf(window)`.
 */
function fakeGraph(
  options: {
    durationMs?: number
    outcome?: (window: TimeRange, attempt: number) => 'succeeded' | 'failed' | 'cancelled' | 'limit'
    maxRunning?: number
    /** Refuses a submission (429 without Retry-After) while this says so. */
    refuse?: () => boolean
    retryAfterMs?: number
    failStatusPolls?: number
    /** Submissions that create their query but whose answer is lost (a 503). */
    lostAnswers?: number
  } = {}
) {
  let clock = Date.parse('2026-12-01T00:00:00Z')
  const queries: (AuditQuery & {
    window: TimeRange
    readyAt: number
    end: AuditQuery['status']
    limit: boolean
  })[] = []
  let lostAnswers = options.lostAnswers ?? 0
  const attempts = new Map<string, number>()
  const polls: { id: string; at: number }[] = []
  let failStatusPolls = options.failStatusPolls ?? 0
  const api: AuditQueryApi = {
    async submit(window: TimeRange, filters: QueryFilters) {
      const running = queries.filter((query) => query.readyAt > clock).length
      if (running >= (options.maxRunning ?? Infinity) || options.refuse?.())
        throw new ApiError('HTTP 429 TooManyRequests', 429, 'TooManyRequests', true, options.retryAfterMs)
      const attempt = (attempts.get(text(window)) ?? 0) + 1
      attempts.set(text(window), attempt)
      const outcome = options.outcome?.(window, attempt) ?? 'succeeded'
      const query = {
        id: `q${queries.length + 1}`,
        displayName: queryDisplayName(window, filters),
        window,
        status: 'notStarted' as const,
        recordCountLimitExceeded: false,
        readyAt: clock + (options.durationMs ?? 10 * MINUTE_MS),
        end: outcome === 'limit' ? ('succeeded' as const) : outcome,
        limit: outcome === 'limit'
      }
      queries.push(query)
      if (lostAnswers > 0) {
        lostAnswers--
        throw new ApiError('HTTP 503 ServiceUnavailable', 503, 'ServiceUnavailable', true)
      }
      return { ...query }
    },
    async status(id: string) {
      polls.push({ id, at: clock })
      if (failStatusPolls > 0) {
        failStatusPolls--
        throw new ApiError('HTTP 400 BadRequest', 400, 'BadRequest', true)
      }
      const query = queries.find((entry) => entry.id === id)
      if (!query) throw new ApiError(`HTTP 404 NotFound ${id}`, 404, 'NotFound', false)
      const done = clock >= query.readyAt
      return {
        ...query,
        status: done ? query.end : 'running',
        recordCountLimitExceeded: done && query.limit
      }
    },
    async list() {
      return queries.map((query) => ({ ...query, status: clock >= query.readyAt ? query.end : 'running' }))
    },
    async *records(id: string) {
      const query = queries.find((entry) => entry.id === id)!
      yield [{ id: `${id}-a` }, { id: `${id}-b` }]
      yield [{ id: `${id}-c`, window: text(query.window) }]
    }
  }
  const harvested: { window: string; records: number }[] = []
  const input = (
    overrides: Partial<Omit<QueryRunInput, 'limits'>> & { limits?: Partial<QueryLimits> } = {}
  ): QueryRunInput => ({
    windows: [],
    pending: [],
    filters: {},
    api,
    now: () => new Date(clock),
    sleep: async (ms) => void (clock += ms),
    harvest: async (window, pages) => {
      let records = 0
      for await (const page of pages) records += page.length
      harvested.push({ window: text(window), records })
    },
    ...overrides,
    limits: { ...DEFAULT_QUERY_LIMITS, ...overrides.limits }
  })
  return {
    api,
    queries,
    polls,
    harvested,
    input,
    advance: (ms: number) => void (clock += ms),
    now: () => clock
  }
}

describe('running the Graph audit log queries of a run', () => {
  it('submits each window once, no more at a time than allowed, polls with backoff and harvests every one', async () => {
    const graph = fakeGraph({ durationMs: 7 * MINUTE_MS })
    const windows = days(5)
    const result = await runAuditQueries(graph.input({ windows }))
    expect(result).toMatchObject({ failed: [], pending: [], deferred: [], submitted: 5, throttled: 0 })
    expect(result.collected.map(text)).toEqual(windows.map(text))
    expect(graph.harvested.map((entry) => entry.records)).toEqual([3, 3, 3, 3, 3])
    // Two at a time: each query was submitted once the one before the previous had ended.
    expect(graph.queries.map((query) => query.id)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5'])
    const times = graph.polls.filter((poll) => poll.id === 'q1').map((poll) => poll.at)
    const gaps = times.slice(1).map((at, index) => (at - times[index]!) / 1000)
    // From five seconds, doubling, up to two minutes: q1 runs seven minutes.
    expect(gaps).toEqual([5, 10, 20, 40, 80, 120, 120, 120])
    for (const query of graph.queries) {
      const overlapping = graph.queries.filter(
        (other) => other.readyAt > query.readyAt - 7 * MINUTE_MS && other.readyAt - 7 * MINUTE_MS < query.readyAt
      )
      expect(overlapping.length).toBeLessThanOrEqual(2)
    }
  })

  it('adopts the queries earlier runs left, and finds one whose id was lost by its name, submitting neither again', async () => {
    const graph = fakeGraph({ durationMs: 30 * MINUTE_MS })
    const windows = days(3)
    const filters = { operationFilters: ['LaunchPowerApp'] }
    const earlier = await graph.api.submit(windows[0]!, filters)
    const lost = await graph.api.submit(windows[1]!, filters)
    await graph.api.submit(windows[2]!, { operationFilters: ['DeletePowerApp'] })
    expect(lost.id).toBe('q2')
    const pending = [
      { id: earlier.id, start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z', submitted: 'x', resubmitted: 0 }
    ]
    const result = await runAuditQueries(graph.input({ windows, pending, filters, limits: { waitMs: 3 * HOUR_MS } }))
    expect(result.collected.map(text).sort()).toEqual(windows.map(text))
    // Only the third window was submitted: the other filters' query is not ours to take.
    expect(result.submitted).toBe(1)
    expect(graph.queries).toHaveLength(4)
  })

  it('submits a failed or cancelled query again, then records its window as failed', async () => {
    const windows = days(2)
    const graph = fakeGraph({
      outcome: (window, attempt) =>
        window.start.getTime() === windows[0]!.start.getTime() ? (attempt === 1 ? 'failed' : 'succeeded') : 'cancelled'
    })
    const result = await runAuditQueries(graph.input({ windows }))
    expect(result.collected.map(text)).toEqual([text(windows[0]!)])
    expect(result.failed).toEqual([
      { window: windows[1], code: 'QueryCancelled', reason: 'its Graph audit log query ended cancelled 3 times' }
    ])
    expect(result.submitted).toBe(5)
  })

  it('queries a window that hit the record-count limit in halves, and fails an hour that still does', async () => {
    const day = days(1)
    const graph = fakeGraph({
      outcome: (window) => {
        const hours = (window.end.getTime() - window.start.getTime()) / HOUR_MS
        // Hour 5 of the day is too busy for any query; otherwise six hours fit.
        if (window.start.getUTCHours() <= 5 && window.end.getUTCHours() > 5) return 'limit'
        return hours > 6 ? 'limit' : 'succeeded'
      }
    })
    const result = await runAuditQueries(graph.input({ windows: day, limits: { waitMs: 6 * HOUR_MS } }))
    expect(result.pending).toEqual([])
    expect(result.failed.map((entry) => text(entry.window))).toEqual(['2026-11-01T05/2026-11-01T06'])
    expect(result.failed[0]!.reason).toMatch(/an hour of it holds more records/)
    const covered = [...result.collected, ...result.failed.map((entry) => entry.window)].sort(
      (a, b) => a.start.getTime() - b.start.getTime()
    )
    expect(covered[0]!.start).toEqual(day[0]!.start)
    expect(covered.at(-1)!.end).toEqual(day[0]!.end)
    covered.slice(1).forEach((window, index) => expect(window.start).toEqual(covered[index]!.end))
  })

  it('stops waiting when the run’s time is up, harvesting what finished and handing back what still runs', async () => {
    const graph = fakeGraph({ durationMs: 50 * MINUTE_MS })
    const windows = days(4)
    const first = await runAuditQueries(graph.input({ windows, limits: { waitMs: 60 * MINUTE_MS } }))
    expect(first.collected.map(text)).toEqual(windows.slice(0, 2).map(text))
    expect(first.pending.map((query) => query.id)).toEqual(['q3', 'q4'])
    expect(first.deferred).toEqual([])
    graph.advance(2 * HOUR_MS)
    const next = await runAuditQueries(graph.input({ windows: windows.slice(2), pending: first.pending }))
    expect(next.collected.map(text)).toEqual(windows.slice(2).map(text))
    expect(next.submitted).toBe(0)
  })

  it('waits out throttling, keeps to its submission cap, and leaves the rest for the next run', async () => {
    const graph = fakeGraph({ maxRunning: 1, retryAfterMs: 90_000 })
    const windows = days(5)
    const result = await runAuditQueries(graph.input({ windows, limits: { inFlight: 3, submissionsPerRun: 3 } }))
    expect(result.collected.map(text)).toEqual(windows.slice(0, 3).map(text))
    expect(result.deferred.map(text)).toEqual(windows.slice(3).map(text))
    expect(result.submitted).toBe(3)
    expect(result.throttled).toBeGreaterThan(0)
  })

  it('polls again after a failing status poll, and a window whose records fail to read is failed alone', async () => {
    const graph = fakeGraph({ failStatusPolls: 3 })
    const windows = days(2)
    const input = graph.input({ windows })
    const result = await runAuditQueries({
      ...input,
      harvest: async (window, pages) => {
        if (window.start.getTime() === windows[0]!.start.getTime()) throw new Error('page 2 does not parse')
        return input.harvest(window, pages)
      }
    })
    expect(result.collected.map(text)).toEqual([text(windows[1]!)])
    expect(result.failed).toEqual([
      { window: windows[0], code: 'RecordsUnreadable', reason: 'reading its records failed: page 2 does not parse' }
    ])
  })

  it('does not take a finished query found by its name: the window is wanted again for what arrived since', async () => {
    const graph = fakeGraph({ durationMs: 10 * MINUTE_MS })
    const [window] = days(1)
    await graph.api.submit(window!, {})
    graph.advance(HOUR_MS)
    const result = await runAuditQueries(graph.input({ windows: [window!] }))
    expect(result.submitted).toBe(1)
    expect(graph.harvested).toEqual([{ window: text(window!), records: 3 }])
    expect(graph.queries.map((query) => query.id)).toEqual(['q1', 'q2'])
  })

  it('queries a window again when its pending query is gone or older than Purview keeps queries', async () => {
    const graph = fakeGraph()
    const [first, second] = days(2)
    const pending = [
      {
        id: 'deleted',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-02T00:00:00Z',
        submitted: '2026-11-30T00:00:00Z',
        resubmitted: 1
      },
      {
        id: 'old',
        start: '2026-11-02T00:00:00Z',
        end: '2026-11-03T00:00:00Z',
        submitted: '2026-10-01T00:00:00Z',
        resubmitted: 0
      }
    ]
    const result = await runAuditQueries(graph.input({ pending, limits: { waitMs: 3 * HOUR_MS } }))
    expect(result.collected.map(text).sort()).toEqual([text(first!), text(second!)])
    expect(graph.polls.filter((poll) => poll.id === 'deleted')).toHaveLength(1)
    expect(graph.polls.filter((poll) => poll.id === 'old')).toEqual([])
    expect(result.submitted).toBe(2)
  })

  it('waits out two refusals while nothing of its own runs, then stops at the third, keeping what waits as it is', async () => {
    const graph = fakeGraph({ maxRunning: 0 })
    const windows = days(2).map((window, index) => ({ ...window, resubmitted: index }))
    const started = graph.now()
    const result = await runAuditQueries(graph.input({ windows }))
    // 30 s, then 60 s without Retry-After (a quarter of the longest poll, doubling); no third wait.
    expect(graph.now() - started).toBe(90_000)
    expect(result).toMatchObject({ submitted: 0, throttled: 3, pending: [], collected: [] })
    expect(result.deferred).toEqual(windows)
  })

  it('goes on submitting once Graph takes queries again after a refusal', async () => {
    let refusals = 1
    const graph = fakeGraph({ refuse: () => refusals-- > 0 })
    const windows = days(2)
    const result = await runAuditQueries(graph.input({ windows }))
    expect(result.throttled).toBe(1)
    expect(result.collected.map(text)).toEqual(windows.map(text))
  })

  it('finds a query whose submission lost its answer by its name, instead of submitting it twice', async () => {
    const graph = fakeGraph({ lostAnswers: 1 })
    const windows = days(2)
    const result = await runAuditQueries(graph.input({ windows }))
    expect(result.collected.map(text)).toEqual(windows.map(text))
    expect(graph.queries).toHaveLength(2)
  })

  it('hands back the halves it did not submit as halves, when the run’s time is up', async () => {
    const graph = fakeGraph({
      outcome: (window) => (window.end.getTime() - window.start.getTime() > 6 * HOUR_MS ? 'limit' : 'succeeded')
    })
    const result = await runAuditQueries(
      graph.input({ windows: days(1), limits: { inFlight: 1, waitMs: 30 * MINUTE_MS } })
    )
    expect(result.collected).toEqual([])
    const hours = [
      ...result.deferred,
      ...result.pending.map((query) => ({ start: new Date(query.start), end: new Date(query.end) }))
    ].map((window) => (window.end.getTime() - window.start.getTime()) / HOUR_MS)
    expect(hours.reduce((sum, length) => sum + length, 0)).toBe(24)
    expect(Math.max(...hours)).toBeLessThan(24)
  })

  it('stops at a refusal that says what is wrong', async () => {
    const graph = fakeGraph()
    const input = graph.input({ windows: days(1) })
    const forbidden = new ApiError('HTTP 403 UnknownError App dont have any permissions', 403, 'UnknownError', false)
    await expect(
      runAuditQueries({ ...input, api: { ...input.api, submit: async () => Promise.reject(forbidden) } })
    ).rejects.toBe(forbidden)
  })

  it('stops the run when a status poll cannot sign in: that is no answer about the query', async () => {
    const graph = fakeGraph()
    const refused = new Error('Sign-in refused: AADSTS7000222 the client secret has expired')
    graph.api.status = async () => {
      throw refused
    }
    await expect(runAuditQueries(graph.input({ windows: days(1) }))).rejects.toBe(refused)
  })

  it('takes no finished query found by its name after a lost answer, and never counts one found by name as settled', async () => {
    const graph = fakeGraph({ lostAnswers: 2, durationMs: 10 * MINUTE_MS })
    const [day] = days(1)
    // An earlier run's query of the same window (its answer lost too), finished long ago.
    await graph.api.submit(day!, {}).catch(() => undefined)
    graph.advance(HOUR_MS)
    const result = await runAuditQueries(graph.input({ windows: [day!] }))
    // The lost answer's query is running: it is the one adopted, marked as found by its name.
    expect(graph.queries).toHaveLength(2)
    expect(result.collected).toHaveLength(1)
    expect(result.collected[0]?.foundByName).toBe(true)
    expect(graph.harvested.map((entry) => entry.window)).toEqual([text(day!)])
    expect(new Set(graph.polls.map((poll) => poll.id))).toEqual(new Set(['q2']))
  })

  it('tries a window that failed in an earlier run once, without submitting it again within the run', async () => {
    const graph = fakeGraph({ outcome: () => 'failed' })
    const [day] = days(1)
    const result = await runAuditQueries(graph.input({ windows: [{ ...day!, final: true }] }))
    expect(graph.queries).toHaveLength(1)
    expect(result.failed).toEqual([
      { window: day, code: 'QueryFailed', reason: 'its Graph audit log query ended failed again' }
    ])
  })

  it('does not queue a half twice when the window it came from is split while that half already waits', async () => {
    const graph = fakeGraph({
      outcome: (window) => (window.end.getTime() - window.start.getTime() > 12 * HOUR_MS ? 'limit' : 'succeeded')
    })
    const [day] = days(1)
    const secondHalf = { start: new Date(day!.start.getTime() + 12 * HOUR_MS), end: day!.end }
    const result = await runAuditQueries(graph.input({ windows: [day!, secondHalf], limits: { inFlight: 1 } }))
    expect(result.collected.map(text).sort()).toEqual(
      [text({ start: day!.start, end: secondHalf.start }), text(secondHalf)].sort()
    )
    expect(graph.queries.filter((query) => text(query.window) === text(secondHalf))).toHaveLength(1)
  })
})
