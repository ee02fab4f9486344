import type { TimeRange } from '../record/time-range.js'
import { compareText as compare } from '../util/compare.js'
import { DAY_MS } from '../util/duration.js'
import { formatInstant, parseInstant } from '../util/time.js'
import type { FailedWindow } from './ledger.js'

/**
 * What earlier runs did with Microsoft Graph audit log queries, kept in the ledger beside
 * the Management API's content types: queries outlive runs (they take minutes to hours, a
 * job at most 6 hours), so the next run adopts what is running, submits what waits and
 * retries what failed, and never queries a settled window twice.
 */
export interface GraphLedger {
  /**
   * Windows whose records were harvested from a query submitted after they settled
   * (everything in them was ingested): never queried again. Sorted, merged where they touch.
   */
  collected: StoredRange[]
  /** Queries still running when a run stopped waiting for them. */
  pending: PendingQuery[]
  /** Windows not submitted yet (a run's cap, throttling, a query gone): halves stay halves. */
  queued: QueuedWindow[]
  /** Windows whose queries failed (after resubmissions); every run queries them again. */
  failed: FailedWindow[]
  /** Queries submitted per run over the last 24 hours: the tenant's allowance is counted per rolling day. */
  submissions: { at: string; count: number }[]
}

/** A range as the ledger writes it. */
export interface StoredRange {
  start: string
  end: string
}

/** A query submitted by this run or an earlier one, as the ledger keeps it between runs. */
export interface PendingQuery extends StoredRange {
  id: string
  /** When it was submitted (or, for one found by its name, first seen): Purview keeps queries 30 days. */
  submitted: string
  /** Times this window's query ended failed or cancelled and was submitted again. */
  resubmitted: number
}

/** A window waiting to be submitted. */
export interface QueuedWindow extends StoredRange {
  resubmitted?: number
}

/** A window to query, with the times its query already ended failed or cancelled. */
export interface QueryWindow extends TimeRange {
  resubmitted?: number
}

/** What one run did with Graph, for the ledger. */
export interface GraphLedgerUpdate {
  /** Windows harvested completely; `settled` ones are never queried again. */
  collected: (TimeRange & { settled: boolean })[]
  failed: { window: TimeRange; code: string; reason: string }[]
  /** Queries left running: the next run adopts them (replaces what the ledger had). */
  pending: PendingQuery[]
  /** Windows left for the next run (replaces what the ledger had). */
  queued: QueryWindow[]
  /** Queries this run submitted. */
  submitted: number
}

export function emptyGraphLedger(): GraphLedger {
  return { collected: [], pending: [], queued: [], failed: [], submissions: [] }
}

/** The Graph section of a ledger file, keeping only entries that parse (a hand edit loses no more than itself). */
export function readGraphLedger(value: unknown): GraphLedger | undefined {
  if (!value || typeof value !== 'object') return undefined
  const entry = value as Record<string, unknown>
  const list = (key: string): Record<string, unknown>[] =>
    Array.isArray(entry[key])
      ? (entry[key] as unknown[]).filter(
          (item): item is Record<string, unknown> =>
            !!item && typeof item === 'object' && isRange(item as Record<string, unknown>)
        )
      : []
  return {
    collected: mergeRanges(list('collected').map((item) => ({ start: String(item.start), end: String(item.end) }))),
    pending: list('pending')
      .filter((item) => typeof item.id === 'string' && typeof item.submitted === 'string')
      .map((item) => ({
        id: String(item.id),
        start: String(item.start),
        end: String(item.end),
        submitted: String(item.submitted),
        resubmitted: typeof item.resubmitted === 'number' ? item.resubmitted : 0
      })),
    queued: list('queued').map((item) => ({
      start: String(item.start),
      end: String(item.end),
      ...(typeof item.resubmitted === 'number' && item.resubmitted > 0 ? { resubmitted: item.resubmitted } : {})
    })),
    failed: list('failed').map((item) => ({ ...(item as unknown as FailedWindow) })),
    submissions: (Array.isArray(entry.submissions) ? (entry.submissions as unknown[]) : []).flatMap((item) => {
      const { at, count } = (item ?? {}) as { at?: unknown; count?: unknown }
      return typeof at === 'string' && parseInstant(at) && typeof count === 'number' && count > 0 ? [{ at, count }] : []
    })
  }
}

function isRange(item: Record<string, unknown>): boolean {
  const start = typeof item.start === 'string' ? parseInstant(item.start) : undefined
  const end = typeof item.end === 'string' ? parseInstant(item.end) : undefined
  return !!start && !!end && start < end
}

/** The Graph section as stable JSON: sorted, so unchanged state gives unchanged bytes. */
export function renderGraphLedger(graph: GraphLedger): GraphLedger {
  const byTime = <T extends StoredRange>(a: T, b: T) => compare(a.start, b.start) || compare(a.end, b.end)
  return {
    collected: mergeRanges(graph.collected),
    pending: [...graph.pending].sort(byTime),
    queued: [...graph.queued].sort(byTime),
    failed: [...graph.failed].sort(byTime),
    submissions: [...graph.submissions].sort((a, b) => compare(a.at, b.at))
  }
}

/** Whether the section holds anything; an empty one is left out of the file. */
export function isGraphLedgerEmpty(graph: GraphLedger): boolean {
  return (
    graph.collected.length +
      graph.pending.length +
      graph.queued.length +
      graph.failed.length +
      graph.submissions.length ===
    0
  )
}

/**
 * Applies a run's Graph work (to a copy): collected settled windows are remembered, the
 * pending queries and queued windows are the run's, a failed window is recorded (or its
 * count raised) and one that a collected window covers is recovered. Returns what recovered.
 */
export function applyGraphUpdate(
  graph: GraphLedger,
  update: GraphLedgerUpdate,
  now: Date
): { graph: GraphLedger; recovered: FailedWindow[] } {
  const stamp = formatInstant(now)
  const collected = update.collected.map(toStored)
  const harvested = update.collected.map((window) => ({ start: window.start.getTime(), end: window.end.getTime() }))
  const recovered: FailedWindow[] = []
  const failed = graph.failed.filter((failure) => {
    const start = Date.parse(failure.start)
    const end = Date.parse(failure.end)
    const covered = harvested.some((window) => window.start <= start && window.end >= end)
    if (covered) recovered.push(failure)
    return !covered
  })
  for (const failure of update.failed) {
    const start = formatInstant(failure.window.start)
    const end = formatInstant(failure.window.end)
    const known = failed.find((existing) => existing.start === start && existing.end === end)
    if (known)
      Object.assign(known, {
        code: failure.code,
        message: failure.reason,
        attempts: known.attempts + 1,
        lastFailure: stamp
      })
    else
      failed.push({
        start,
        end,
        code: failure.code,
        message: failure.reason,
        attempts: 1,
        firstFailure: stamp,
        lastFailure: stamp
      })
  }
  return {
    graph: {
      collected: mergeRanges([...graph.collected, ...collected.filter((_, index) => update.collected[index]?.settled)]),
      pending: update.pending.map((query) => ({ ...query })),
      queued: update.queued.map((window) => ({
        ...toStored(window),
        ...(window.resubmitted ? { resubmitted: window.resubmitted } : {})
      })),
      failed,
      submissions: [
        ...graph.submissions.filter((entry) => Date.parse(entry.at) > now.getTime() - DAY_MS),
        ...(update.submitted > 0 ? [{ at: stamp, count: update.submitted }] : [])
      ]
    },
    recovered
  }
}

/** Queries that may still be submitted within `perDay` in the 24 hours before `now`. */
export function submissionsLeft(graph: GraphLedger | undefined, perDay: number, now: Date): number {
  const used = (graph?.submissions ?? [])
    .filter((entry) => Date.parse(entry.at) > now.getTime() - DAY_MS)
    .reduce((sum, entry) => sum + entry.count, 0)
  return Math.max(0, perDay - used)
}

function toStored(range: TimeRange): StoredRange {
  return { start: formatInstant(range.start), end: formatInstant(range.end) }
}

/** Ranges sorted and merged where they touch or overlap. */
export function mergeRanges(ranges: readonly StoredRange[]): StoredRange[] {
  const sorted = ranges
    .map((range) => ({ start: Date.parse(range.start), end: Date.parse(range.end) }))
    .filter((range) => range.start < range.end)
    .sort((a, b) => a.start - b.start || a.end - b.end)
  const merged: { start: number; end: number }[] = []
  for (const range of sorted) {
    const last = merged.at(-1)
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end)
    else merged.push({ ...range })
  }
  return merged.map((range) => ({
    start: formatInstant(new Date(range.start)),
    end: formatInstant(new Date(range.end))
  }))
}

/** The parts of `range` that none of `taken` covers, in time order. */
export function uncoveredParts(range: TimeRange, taken: readonly TimeRange[]): TimeRange[] {
  let parts: TimeRange[] = [range]
  for (const cut of taken) {
    parts = parts.flatMap((part) => {
      if (cut.end <= part.start || cut.start >= part.end) return [part]
      const left = cut.start > part.start ? [{ start: part.start, end: cut.start }] : []
      const right = cut.end < part.end ? [{ start: cut.end, end: part.end }] : []
      return [...left, ...right]
    })
  }
  return parts
}
