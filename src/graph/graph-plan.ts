import { uncoveredParts, type GraphLedger, type PendingQuery, type QueryWindow } from '../branch/graph-ledger.js'
import type { SourceScopes } from '../plan/sources.js'
import type { TimeRange } from '../record/time-range.js'
import { MINUTE_MS } from '../util/duration.js'
import { dailyQueryWindows } from './query-windows.js'

/** The Graph work of a run: windows to submit (the ledger's first) and queries to adopt. */
export interface GraphPlan {
  windows: QueryWindow[]
  pending: PendingQuery[]
  /** The range the inputs asked Graph for, if any. */
  range: TimeRange | undefined
  /** How many of `windows` earlier runs left waiting or failed. */
  carried: number
}

/**
 * Plans a run's Graph queries from the ledger: windows earlier runs failed on or left
 * waiting come first, then one window per UTC day of what the inputs ask for that no settled
 * collected window, running query or carried window covers. A scheduled run (`source:
 * graph`) asks for its look-back and everything since the last collected window, so a
 * window collected before it settled is queried again until it has.
 */
export function planGraphQueries(asked: SourceScopes['graph'], ledger: GraphLedger | undefined, now: Date): GraphPlan {
  const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS)
  const pending = ledger?.pending ?? []
  const collected = (ledger?.collected ?? []).map(toRange)
  const carried = [...(ledger?.failed ?? []), ...(ledger?.queued ?? [])]
    .map((entry): QueryWindow => ({
      ...toRange(entry),
      ...('resubmitted' in entry && entry.resubmitted ? { resubmitted: entry.resubmitted } : {})
    }))
    .filter((window) => uncoveredParts(window, collected).length > 0)
    .filter((window, index, all) => all.findIndex((other) => sameRange(other, window)) === index)
    .filter((window) => !pending.some((query) => sameRange(toRange(query), window)))
    .sort((a, b) => a.start.getTime() - b.start.getTime())
  const range = askedRange(asked, collected, minute)
  const taken = [...collected, ...pending.map(toRange), ...carried]
  const fresh = range ? uncoveredParts(range, taken).flatMap(dailyQueryWindows) : []
  return { windows: [...carried, ...fresh], pending: [...pending], range, carried: carried.length }
}

function askedRange(asked: SourceScopes['graph'], collected: readonly TimeRange[], now: Date): TimeRange | undefined {
  if (!asked) return undefined
  if (asked.kind === 'range') return asked.range.start < asked.range.end ? asked.range : undefined
  const lookbackStart = now.getTime() - asked.lookbackMs
  const lastCollected = collected.at(-1)?.end.getTime() ?? lookbackStart
  return { start: new Date(Math.min(lookbackStart, lastCollected)), end: now }
}

function toRange(entry: { start: string; end: string }): TimeRange {
  return { start: new Date(entry.start), end: new Date(entry.end) }
}

function sameRange(a: TimeRange, b: TimeRange): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime()
}
