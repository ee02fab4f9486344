import {
  mergeRanges,
  toRange,
  uncoveredParts,
  type GraphLedger,
  type PendingQuery,
  type QueryWindow
} from '../branch/graph-ledger.js'
import type { FailedWindow } from '../branch/ledger.js'
import type { SourceScopes } from '../plan/sources.js'
import type { ContentType } from '../record/content-types.js'
import { filterDigest, type RecordFilter } from '../record/filter.js'
import { sameRange, type TimeRange } from '../record/time-range.js'
import { sha256Prefix } from '../util/digest.js'
import { HOUR_MS } from '../util/duration.js'
import { floorToMinute } from '../util/time.js'
import { dailyQueryWindows, isQueryWindowSettled } from './query-windows.js'

/** The Graph work of a run: windows to submit (the ledger's first) and queries to adopt. */
export interface GraphPlan {
  windows: QueryWindow[]
  pending: PendingQuery[]
  /** The range the inputs asked Graph for, if any. */
  range: TimeRange | undefined
  /** How many of `windows` earlier runs left: waiting, failed, or harvested before they settled. */
  carried: number
}

/** What a plan needs besides the inputs' range and the ledger. */
export interface GraphPlanContext {
  now: Date
  /** `selectionOf` the run's content types and filters. */
  selection: string
  /** How long after its end a window has settled (GRAPH_SETTLE_MS unless a test says). */
  settleMs: number
}

/**
 * What a run harvests for, as the ledger remembers it: the content types kept and the
 * filters. A window collected for one selection is not collected for another (a user who adds
 * a content type or drops a filter gets those records queried).
 */
export function selectionOf(contentTypes: readonly ContentType[], filter: RecordFilter): string {
  return sha256Prefix(JSON.stringify([[...contentTypes].sort(), filterDigest(filter)]), 6, 'hex')
}

/**
 * Plans a run's Graph queries from the ledger. First what earlier runs left: windows waiting
 * to be submitted, windows harvested before they settled (once they have, a UTC day at a
 * time), and windows that failed (each tried once a run, less often as its failures add up,
 * only where nothing else covers it). Then one window per UTC day of what the inputs ask for
 * that nothing collected, harvested, running or carried covers. A scheduled run (`source:
 * graph`) asks for its look-back and everything since the last window it harvested.
 */
export function planGraphQueries(
  asked: SourceScopes['graph'],
  ledger: GraphLedger | undefined,
  context: GraphPlanContext
): GraphPlan {
  const now = floorToMinute(context.now)
  const mine = (ranges: GraphLedger['collected'] | undefined) =>
    (ranges ?? []).filter((range) => range.selection === context.selection).map(toRange)
  const collected = mine(ledger?.collected)
  const unsettled = mine(ledger?.unsettled)
  const pending = ledger?.pending ?? []
  const running = pending.map(toRange)
  const queued = (ledger?.queued ?? [])
    .map((entry): QueryWindow => ({ ...toRange(entry), ...retryOf(entry) }))
    .filter((window) => uncoveredParts(window, [...collected, ...running]).length > 0)
    .filter((window, index, all) => all.findIndex((other) => sameRange(other, window)) === index)
  const due = mergeRanges(
    unsettled
      .filter((window) => isQueryWindowSettled(window, now, context.settleMs))
      .map((window) => ({ start: window.start.toISOString(), end: window.end.toISOString() }))
  )
    .map(toRange)
    .flatMap((range) => uncoveredParts(range, [...running, ...queued]))
    .flatMap(dailyQueryWindows)
  const taken = [...collected, ...unsettled, ...running, ...queued, ...due]
  const failures = (ledger?.failed ?? []).map((failure) => ({ failure, window: toRange(failure) }))
  const failed = failures
    .filter(({ failure }) => retryIsDue(failure, context.now))
    .flatMap(({ window }) => uncoveredParts(window, taken))
    .map((window): QueryWindow => ({ ...window, final: true }))
  const carried = [...queued, ...due, ...failed].sort((a, b) => a.start.getTime() - b.start.getTime())
  const range = askedRange(asked, [...collected, ...unsettled], now)
  // A failed window waiting out its backoff is not asked for again as a fresh one either.
  const fresh = range
    ? uncoveredParts(range, [...taken, ...failures.map(({ window }) => window)]).flatMap(dailyQueryWindows)
    : []
  return { windows: [...carried, ...fresh], pending: [...pending], range, carried: carried.length }
}

/**
 * Whether a window that failed is tried again now: the next run after one failure, then after
 * as many hours as it failed times, a day at most. A window that fails for good (an hour over
 * the record-count limit) costs a query a day, not one a run.
 */
function retryIsDue(failure: FailedWindow, now: Date): boolean {
  const last = Date.parse(failure.lastFailure)
  if (!Number.isFinite(last) || failure.attempts <= 1) return true
  return now.getTime() - last >= Math.min(failure.attempts - 1, 24) * HOUR_MS
}

function askedRange(asked: SourceScopes['graph'], harvested: readonly TimeRange[], now: Date): TimeRange | undefined {
  if (!asked) return undefined
  if (asked.kind === 'range') {
    const end = asked.range.end < now ? asked.range.end : now
    return asked.range.start < end ? { start: asked.range.start, end } : undefined
  }
  const lookbackStart = now.getTime() - asked.lookbackMs
  const lastHarvested = Math.max(...harvested.map((window) => window.end.getTime()), -Infinity)
  return {
    start: new Date(Math.min(lookbackStart, Number.isFinite(lastHarvested) ? lastHarvested : lookbackStart)),
    end: now
  }
}

function retryOf(entry: { resubmitted?: number; final?: boolean }): Pick<QueryWindow, 'resubmitted' | 'final'> {
  return {
    ...(entry.resubmitted ? { resubmitted: entry.resubmitted } : {}),
    ...(entry.final ? { final: true } : {})
  }
}
