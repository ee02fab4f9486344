import { toRange, type PendingQuery, type QueryWindow } from '../branch/graph-ledger.js'
import { ApiError } from '../m365/api-error.js'
import { sameRange, type TimeRange } from '../record/time-range.js'
import { DAY_MS } from '../util/duration.js'
import { errorMessage } from '../util/error-message.js'
import { formatInstant, formatRange } from '../util/time.js'
import type { AuditQuery } from './audit-query-client.js'
import { halveQueryWindow, windowOfDisplayName, type QueryFilters } from './query-windows.js'

/** The calls the runner makes to Graph (an `AuditQueryClient`, or a test's fake). */
export interface AuditQueryApi {
  submit(window: TimeRange, filters: QueryFilters): Promise<AuditQuery>
  status(id: string): Promise<AuditQuery>
  list(): Promise<AuditQuery[]>
  records(id: string): AsyncIterable<unknown[]>
}

/** The bounds of one run's work with Graph; the defaults are in `DEFAULT_QUERY_LIMITS`. */
export interface QueryLimits {
  /** Queries of this action running at once: the tenant's allowance is shared with Purview's users. */
  inFlight: number
  /** Queries a run submits at most (the tenant has about 200 a day). */
  submissionsPerRun: number
  /** How long a run waits for queries to finish before it commits what finished. */
  waitMs: number
  /** First wait between status polls; it doubles up to `maxPollMs`. */
  firstPollMs: number
  maxPollMs: number
  /** Times a failed or cancelled query is submitted again before its window counts as failed. */
  resubmissions: number
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  inFlight: 2,
  submissionsPerRun: 50,
  waitMs: 60 * 60_000,
  firstPollMs: 5_000,
  maxPollMs: 120_000,
  resubmissions: 2
}

export interface QueryRunInput {
  /** Windows to collect, in order (oldest first is fairest). */
  windows: readonly QueryWindow[]
  /** Queries earlier runs left running, from the ledger: adopted, not submitted again. */
  pending: readonly PendingQuery[]
  filters: QueryFilters
  api: AuditQueryApi
  limits: QueryLimits
  now: () => Date
  sleep: (ms: number) => Promise<void>
  /**
   * Takes a succeeded query's records, page by page. It must keep them apart until it
   * returns (a window is never half-written): when it throws, nothing of the window counts
   * and the window is queried again by a later run.
   */
  harvest: (window: TimeRange, pages: AsyncIterable<unknown[]>) => Promise<void>
  log?: (message: string) => void
}

/** What a run did with Graph: the ledger records `collected` and `failed`, and keeps `pending`. */
export interface QueryRunResult {
  /**
   * Windows harvested completely, with when their query was submitted (what it can hold was
   * ingested by then); a query found by its name has no known submission time.
   */
  collected: (TimeRange & { submitted: Date; foundByName: boolean; selection?: string })[]
  /** Windows given up on this run, with a code for the ledger and the reason. */
  failed: { window: TimeRange; code: string; reason: string }[]
  /** Still running when the run stopped waiting: the next run adopts them. */
  pending: PendingQuery[]
  /**
   * Windows not submitted this run (the cap, throttling, a query gone): the ledger keeps them
   * as they are (halves stay halves) for the next run.
   */
  deferred: QueryWindow[]
  submitted: number
  throttled: number
}

/** Refusals of new queries in a row after which a run with nothing running stops waiting. */
const MAX_REFUSALS_IN_A_ROW = 3

/** How long Purview keeps a query (https://learn.microsoft.com/purview/audit-new-search). */
const QUERY_KEPT_MS = 30 * DAY_MS

/** A window waiting to be submitted, and how its query is retried. */
type Waiting = TimeRange & { resubmitted: number; final: boolean }

interface Tracked {
  query: PendingQuery
  window: TimeRange
  nextPollAt: number
  pollDelay: number
}

/**
 * Runs the Graph audit log queries of a run: adopts the queries earlier runs left, finds a
 * running query of ours whose id was lost (by its display name), submits the windows still
 * wanted within the bounds, polls with backoff, harvests what succeeded, halves a window
 * that hit the record-count limit, submits a failed or cancelled query again (bounded), and
 * stops waiting at `waitMs`, handing back what still runs and what it did not submit.
 */
export async function runAuditQueries(input: QueryRunInput): Promise<QueryRunResult> {
  return new QueryRun(input).run()
}

class QueryRun {
  private readonly result: QueryRunResult = {
    collected: [],
    failed: [],
    pending: [],
    deferred: [],
    submitted: 0,
    throttled: 0
  }
  private readonly running: Tracked[] = []
  private readonly waiting: Waiting[] = []
  private readonly started: number
  private readonly log: (message: string) => void
  /** Until when Graph takes no new query (it throttled, or a submission's outcome was unclear). */
  private refusingUntil = 0
  /** Refusals of new queries in a row. */
  private refusals = 0

  constructor(private readonly input: QueryRunInput) {
    this.started = input.now().getTime()
    this.log = input.log ?? (() => {})
  }

  async run(): Promise<QueryRunResult> {
    const { input, running, waiting, result } = this
    for (const query of input.pending) {
      const window = toRange(query)
      if (Date.parse(query.submitted) + QUERY_KEPT_MS <= this.started) {
        this.log(
          `Audit log query ${query.id} for ${formatRange(window)} is older than Purview keeps queries; querying again.`
        )
        waiting.push({ ...window, resubmitted: query.resubmitted, final: query.final ?? false })
      } else {
        // Queries of earlier runs may have finished long ago: polled at once.
        running.push(track(query, this.started, input.limits.firstPollMs))
      }
    }
    const wanted = input.windows.filter((window) => !this.covers(window))
    if (wanted.length > 0 && input.limits.submissionsPerRun > 0) await this.adoptLost(wanted)
    for (const window of input.windows)
      if (!this.covers(window))
        waiting.push({
          start: window.start,
          end: window.end,
          resubmitted: window.resubmitted ?? 0,
          final: window.final ?? false
        })

    while (running.length > 0 || waiting.length > 0) {
      await this.submitWhatFits()
      // Nothing of ours runs: what waits is the next run's when the cap is reached, or when
      // Graph kept refusing new queries (the day's allowance is likely spent).
      if (running.length === 0 && !this.mayWaitOutRefusal()) break
      if (this.input.now().getTime() - this.started >= input.limits.waitMs) break
      const due = running.filter((tracked) => tracked.nextPollAt <= input.now().getTime())
      if (due.length > 0) {
        for (const tracked of due) await this.poll(tracked)
        continue
      }
      const maySubmit = waiting.length > 0 && running.length < input.limits.inFlight && !this.capReached()
      const wake = Math.min(
        ...running.map((tracked) => tracked.nextPollAt),
        maySubmit ? this.refusingUntil : Infinity,
        this.started + input.limits.waitMs
      )
      // At least a millisecond: time moves on each turn, so the deadline ends any loop.
      await input.sleep(Math.max(1, wake - input.now().getTime()))
    }
    result.pending = running.map((tracked) => tracked.query)
    result.deferred = waiting.map(({ final, ...entry }) => ({ ...entry, ...(final ? { final } : {}) }))
    return result
  }

  /**
   * A query a run submitted and stopped before saving: found by its name and adopted while it
   * runs. A finished one is not taken: the window is wanted again because it was not settled,
   * and an old answer would hold none of what arrived since.
   */
  private async adoptLost(wanted: readonly TimeRange[]): Promise<void> {
    for (const query of await this.listQueries()) {
      const window = windowOfDisplayName(query.displayName, this.input.filters)
      if (!window || !wanted.some((entry) => sameRange(entry, window)) || this.covers(window)) continue
      if (query.status !== 'notStarted' && query.status !== 'running') continue
      this.running.push(
        track(
          this.pendingOf(query.id, window, { resubmitted: 0, foundByName: true }),
          this.started,
          this.input.limits.firstPollMs
        )
      )
      this.log(`Adopted audit log query ${query.id} for ${formatRange(window)}, submitted by an earlier run.`)
    }
  }

  /** Submits waiting windows while there is room, the run's cap allows and Graph takes queries. */
  private async submitWhatFits(): Promise<void> {
    const { input, running, waiting, result } = this
    while (
      waiting.length > 0 &&
      running.length < input.limits.inFlight &&
      !this.capReached() &&
      input.now().getTime() >= this.refusingUntil
    ) {
      const next = waiting[0]!
      let query: AuditQuery | undefined
      let foundByName = false
      try {
        query = await input.api.submit(next, input.filters)
      } catch (error) {
        // A refusal that says what is wrong (permission, auditing off, a bad window) stops the run.
        if (!(error instanceof ApiError) || !(error.status === 429 || error.retryable)) throw error
        if (error.status === 429) result.throttled++
        else {
          query = await this.submittedAnyway(next, error)
          foundByName = query !== undefined
        }
        if (!query) {
          // Without Retry-After: 1/4 of the longest poll, doubling (30 s, 1 min, 2 min by default).
          const backoff = Math.min(input.limits.maxPollMs, (input.limits.maxPollMs / 4) * 2 ** this.refusals)
          this.refusals++
          this.refusingUntil = input.now().getTime() + (error.retryAfterMs ?? backoff)
          this.log(`Graph took no new query for now (${errorMessage(error)}); the queries running go on.`)
          return
        }
      }
      waiting.shift()
      this.refusals = 0
      result.submitted++
      running.push(
        track(
          this.pendingOf(query.id, next, {
            resubmitted: next.resubmitted,
            final: next.final,
            foundByName
          }),
          input.now().getTime() + input.limits.firstPollMs,
          input.limits.firstPollMs
        )
      )
      this.log(`Submitted audit log query ${query.id} for ${formatRange(next)}.`)
    }
  }

  /**
   * After a submission whose answer was lost (a dropped connection, a 5xx, a body that did not
   * parse), the query may exist all the same: looked up by its name before the window is
   * submitted again, so the tenant's allowance is not spent twice.
   */
  private async submittedAnyway(window: TimeRange, error: unknown): Promise<AuditQuery | undefined> {
    this.log(
      `Submitting the audit log query for ${formatRange(window)} failed (${errorMessage(error)}); looking for it.`
    )
    return (await this.listQueries()).find((query) => {
      const named = windowOfDisplayName(query.displayName, this.input.filters)
      // Only a query still running: a finished one is an earlier run's answer, without what arrived since.
      return (
        named !== undefined && sameRange(named, window) && (query.status === 'notStarted' || query.status === 'running')
      )
    })
  }

  private async listQueries(): Promise<AuditQuery[]> {
    try {
      return await this.input.api.list()
    } catch (error) {
      // A sign-in that fails is not a listing that failed: it stops the run.
      if (!(error instanceof ApiError)) throw error
      this.log(`Could not list the audit log queries to find ones already submitted: ${errorMessage(error)}`)
      return []
    }
  }

  private async poll(tracked: Tracked): Promise<void> {
    const { input } = this
    let query: AuditQuery
    try {
      query = await input.api.status(tracked.query.id)
    } catch (error) {
      // A sign-in that fails is no answer about the query: it stops the run.
      if (!(error instanceof ApiError)) throw error
      if (!error.retryable) {
        // Gone (deleted, expired) or refused: its window is queried again.
        this.running.splice(this.running.indexOf(tracked), 1)
        this.waiting.push({
          ...tracked.window,
          resubmitted: tracked.query.resubmitted,
          final: tracked.query.final ?? false
        })
        this.log(
          `Audit log query ${tracked.query.id} cannot be read (${errorMessage(error)}); querying its window again.`
        )
        return
      }
      // The query runs on whatever a poll met: polled again later, or adopted by the next run.
      this.log(`Could not read the status of audit log query ${tracked.query.id}: ${errorMessage(error)}`)
      backOff(tracked, input.now().getTime(), input.limits)
      return
    }
    if (query.status === 'notStarted' || query.status === 'running' || query.status === 'unknownFutureValue') {
      backOff(tracked, input.now().getTime(), input.limits)
      return
    }
    this.running.splice(this.running.indexOf(tracked), 1)
    await this.finished(tracked, query)
  }

  private async finished(tracked: Tracked, query: AuditQuery): Promise<void> {
    const { window } = tracked
    const { result, input, waiting } = this
    if (query.status === 'failed' || query.status === 'cancelled') {
      if (!tracked.query.final && tracked.query.resubmitted < input.limits.resubmissions) {
        waiting.unshift({ ...window, resubmitted: tracked.query.resubmitted + 1, final: false })
        this.log(`Audit log query ${query.id} for ${formatRange(window)} ended ${query.status}; submitting it again.`)
      } else {
        // A window that failed in an earlier run is tried once a run: it does not spend the allowance again and again.
        const reason = tracked.query.final
          ? `its Graph audit log query ended ${query.status} again`
          : `its Graph audit log query ended ${query.status} ${tracked.query.resubmitted + 1} times`
        result.failed.push({ window, code: query.status === 'failed' ? 'QueryFailed' : 'QueryCancelled', reason })
      }
      return
    }
    if (query.recordCountLimitExceeded) {
      const halves = halveQueryWindow(window)
      if (halves) {
        // A half already running or waiting (a window an earlier run split) is not queued twice.
        waiting.unshift(
          ...halves.filter((half) => !this.covers(half)).map((half) => ({ ...half, resubmitted: 0, final: false }))
        )
        this.log(
          `Audit log query ${query.id} for ${formatRange(window)} hit its record-count limit; querying it in halves.`
        )
      } else {
        result.failed.push({
          window,
          code: 'RecordCountLimitExceeded',
          reason: 'an hour of it holds more records than a Graph audit log query returns'
        })
      }
      return
    }
    try {
      await input.harvest(window, input.api.records(query.id))
      result.collected.push({
        ...window,
        submitted: new Date(tracked.query.submitted),
        foundByName: tracked.query.foundByName ?? false,
        ...(tracked.query.selection === undefined ? {} : { selection: tracked.query.selection })
      })
    } catch (error) {
      result.failed.push({
        window,
        code: 'RecordsUnreadable',
        reason: `reading its records failed: ${errorMessage(error)}`
      })
    }
  }

  /**
   * Whether a run with nothing running waits for Graph to take queries again: after a refusal
   * or two (too many queries at once: Purview's users share them), but not a third in a row,
   * nor past the run's wait.
   */
  private mayWaitOutRefusal(): boolean {
    const { input } = this
    return (
      this.waiting.length > 0 &&
      !this.capReached() &&
      this.refusals > 0 &&
      this.refusals < MAX_REFUSALS_IN_A_ROW &&
      this.refusingUntil < this.started + input.limits.waitMs
    )
  }

  private capReached(): boolean {
    return this.result.submitted >= this.input.limits.submissionsPerRun
  }

  private covers(window: TimeRange): boolean {
    return (
      this.running.some((tracked) => sameRange(tracked.window, window)) ||
      this.waiting.some((entry) => sameRange(entry, window))
    )
  }

  private pendingOf(
    id: string,
    window: TimeRange,
    retry: { resubmitted: number; final?: boolean; foundByName?: boolean }
  ): PendingQuery {
    return {
      id,
      start: formatInstant(window.start),
      end: formatInstant(window.end),
      submitted: formatInstant(this.input.now()),
      resubmitted: retry.resubmitted,
      ...(retry.final ? { final: true } : {}),
      ...(retry.foundByName ? { foundByName: true } : {})
    }
  }
}

function track(query: PendingQuery, firstPollAt: number, pollDelay: number): Tracked {
  return { query, window: toRange(query), nextPollAt: firstPollAt, pollDelay }
}

function backOff(tracked: Tracked, now: number, limits: QueryLimits): void {
  tracked.nextPollAt = now + tracked.pollDelay
  tracked.pollDelay = Math.min(limits.maxPollMs, tracked.pollDelay * 2)
}
