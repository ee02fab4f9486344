import type { TimeRange } from '../record/time-range.js'
import { errorMessage } from '../util/error-message.js'
import { formatInstant } from '../util/time.js'
import type { AuditQuery } from './audit-query-client.js'
import { ApiError } from '../m365/api-error.js'
import { halveQueryWindow, windowOfDisplayName, type QueryFilters } from './query-windows.js'

/** A query submitted by this run or an earlier one, as the ledger keeps it between runs. */
export interface PendingQuery {
  id: string
  start: string
  end: string
  submitted: string
  /** Times this window's query ended failed or cancelled and was submitted again. */
  resubmitted: number
}

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
  windows: readonly TimeRange[]
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
  collected: TimeRange[]
  failed: { window: TimeRange; reason: string }[]
  /** Still running when the run stopped waiting: the next run adopts them. */
  pending: PendingQuery[]
  /** Windows not submitted this run (the cap, or throttling): the next run plans them again. */
  deferred: TimeRange[]
  submitted: number
  throttled: number
}

interface Tracked {
  query: PendingQuery
  window: TimeRange
  nextPollAt: number
  pollDelay: number
}

/**
 * Runs the Graph audit log queries of a run: adopts the queries earlier runs left, finds a
 * query of ours whose id was lost (by its display name), submits the windows still wanted
 * within the bounds, polls with backoff, harvests what succeeded, halves a window that hit
 * the record-count limit, submits a failed or cancelled query again (bounded), and stops
 * waiting at `waitMs`, handing back what still runs.
 */
export async function runAuditQueries(input: QueryRunInput): Promise<QueryRunResult> {
  const { api, limits, filters } = input
  const log = input.log ?? (() => {})
  const started = input.now().getTime()
  const result: QueryRunResult = { collected: [], failed: [], pending: [], deferred: [], submitted: 0, throttled: 0 }
  // Queries of earlier runs may have finished long ago: polled at once.
  const running: Tracked[] = input.pending.map((query) => track(query, started, limits.firstPollMs))
  const waiting: { window: TimeRange; resubmitted: number }[] = []
  const covered = (window: TimeRange) =>
    running.some((tracked) => sameWindow(tracked.window, window)) ||
    waiting.some((entry) => sameWindow(entry.window, window))

  // A query submitted by a run that stopped before saving its id: found by name, not submitted twice.
  const wanted = input.windows.filter((window) => !covered(window))
  if (wanted.length > 0 && limits.submissionsPerRun > 0) {
    const known = await api.list().catch((error: unknown) => {
      log(`Could not list the audit log queries to find ones already submitted: ${errorMessage(error)}`)
      return []
    })
    for (const query of known) {
      const window = windowOfDisplayName(query.displayName, filters)
      if (!window || !wanted.some((entry) => sameWindow(entry, window)) || covered(window)) continue
      if (query.status === 'failed' || query.status === 'cancelled') continue
      const adopted: PendingQuery = {
        id: query.id,
        ...windowText(window),
        submitted: formatInstant(input.now()),
        resubmitted: 0
      }
      running.push(track(adopted, started, limits.firstPollMs))
      log(`Adopted audit log query ${query.id} for ${describe(window)}, submitted by an earlier run.`)
    }
  }
  for (const window of input.windows) if (!covered(window)) waiting.push({ window, resubmitted: 0 })

  let throttledUntil = 0
  while (running.length > 0 || waiting.length > 0) {
    const now = input.now().getTime()
    // Submit while there is room, the run's cap allows and the service did not just refuse.
    while (
      waiting.length > 0 &&
      running.length < limits.inFlight &&
      result.submitted < limits.submissionsPerRun &&
      now >= throttledUntil
    ) {
      const next = waiting[0]!
      try {
        const query = await api.submit(next.window, filters)
        waiting.shift()
        result.submitted++
        const pending = {
          id: query.id,
          ...windowText(next.window),
          submitted: formatInstant(input.now()),
          resubmitted: next.resubmitted
        }
        running.push(track(pending, input.now().getTime() + limits.firstPollMs, limits.firstPollMs))
        log(`Submitted audit log query ${query.id} for ${describe(next.window)}.`)
      } catch (error) {
        // A refusal that says what is wrong (permission, auditing off, a bad window) stops the run.
        if (!(error instanceof ApiError) || !(error.status === 429 || error.retryable)) throw error
        if (error.status === 429) result.throttled++
        throttledUntil = input.now().getTime() + (error.retryAfterMs ?? limits.maxPollMs)
        log(`Graph took no new query for now (${errorMessage(error)}); the queries running go on.`)
        break
      }
    }
    if (running.length === 0) {
      // Nothing to wait for: what is left waits for the next run (cap reached, or throttled with nothing running).
      if (result.submitted >= limits.submissionsPerRun || now >= throttledUntil) break
    }
    if (input.now().getTime() - started >= limits.waitMs) break

    const due = running.filter((tracked) => tracked.nextPollAt <= input.now().getTime())
    if (due.length === 0) {
      const maySubmit =
        waiting.length > 0 && running.length < limits.inFlight && result.submitted < limits.submissionsPerRun
      const wake = Math.min(
        ...running.map((tracked) => tracked.nextPollAt),
        maySubmit ? throttledUntil : Infinity,
        started + limits.waitMs
      )
      // At least a millisecond: time moves on each turn, so the deadline ends any loop.
      await input.sleep(Math.max(1, wake - input.now().getTime()))
      continue
    }
    for (const tracked of due) {
      let query: AuditQuery
      try {
        query = await api.status(tracked.query.id)
      } catch (error) {
        // The query runs on whatever a poll met: poll it again later, or the next run adopts it.
        log(`Could not read the status of audit log query ${tracked.query.id}: ${errorMessage(error)}`)
        backOff(tracked, input.now().getTime(), limits)
        continue
      }
      if (query.status === 'notStarted' || query.status === 'running' || query.status === 'unknownFutureValue') {
        backOff(tracked, input.now().getTime(), limits)
        continue
      }
      running.splice(running.indexOf(tracked), 1)
      if (query.status === 'failed' || query.status === 'cancelled') {
        if (tracked.query.resubmitted < limits.resubmissions) {
          waiting.unshift({ window: tracked.window, resubmitted: tracked.query.resubmitted + 1 })
          log(`Audit log query ${query.id} for ${describe(tracked.window)} ended ${query.status}; submitting it again.`)
        } else {
          result.failed.push({
            window: tracked.window,
            reason: `its Graph audit log query ended ${query.status} ${tracked.query.resubmitted + 1} times`
          })
        }
        continue
      }
      if (query.recordCountLimitExceeded) {
        const halves = halveQueryWindow(tracked.window)
        if (halves) {
          waiting.unshift(...halves.map((window) => ({ window, resubmitted: 0 })))
          log(
            `Audit log query ${query.id} for ${describe(tracked.window)} hit its record-count limit; querying it in halves.`
          )
        } else {
          result.failed.push({
            window: tracked.window,
            reason: 'an hour of it holds more records than a Graph audit log query returns'
          })
        }
        continue
      }
      try {
        await input.harvest(tracked.window, api.records(query.id))
        result.collected.push(tracked.window)
      } catch (error) {
        result.failed.push({ window: tracked.window, reason: `reading its records failed: ${errorMessage(error)}` })
      }
    }
  }
  result.pending = running.map((tracked) => tracked.query)
  result.deferred = waiting.map((entry) => entry.window)
  return result
}

function track(query: PendingQuery, firstPollAt: number, pollDelay: number): Tracked {
  return {
    query,
    window: { start: new Date(query.start), end: new Date(query.end) },
    nextPollAt: firstPollAt,
    pollDelay
  }
}

function backOff(tracked: Tracked, now: number, limits: QueryLimits): void {
  tracked.nextPollAt = now + tracked.pollDelay
  tracked.pollDelay = Math.min(limits.maxPollMs, tracked.pollDelay * 2)
}

function windowText(window: TimeRange): { start: string; end: string } {
  return { start: formatInstant(window.start), end: formatInstant(window.end) }
}

function sameWindow(a: TimeRange, b: TimeRange): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime()
}

function describe(window: TimeRange): string {
  return `${formatInstant(window.start)}..${formatInstant(window.end)}`
}
