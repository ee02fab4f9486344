import type { TimeRange } from '../record/time-range.js'
import { compareText as compare } from '../util/compare.js'
import { DAY_MS } from '../util/duration.js'
import { formatInstant, parseInstant } from '../util/time.js'
import type { FailedWindow } from './ledger.js'
import { isFailedWindow, recordFailedWindow } from './failed-windows.js'

/**
 * What earlier runs did with Microsoft Graph audit log queries, kept in the ledger beside
 * the Management API's content types: queries outlive runs (they take minutes to hours, a
 * job at most 6 hours), so the next run adopts what is running, submits what waits and
 * retries what failed, and never queries a settled window twice.
 */
export interface GraphLedger {
  /**
   * Windows whose records were harvested from a query submitted after they settled
   * (everything in them was ingested), for a selection of content types and filters: never
   * queried again for it. Sorted, merged where they touch.
   */
  collected: SelectedRange[]
  /**
   * Windows harvested before they settled: queried again once they have, so that records the
   * service ingested late are found. Sorted, merged where they touch.
   */
  unsettled: SelectedRange[]
  /** Queries still running when a run stopped waiting for them. */
  pending: PendingQuery[]
  /** Windows not submitted yet (a run's cap, throttling, a query gone): halves stay halves. */
  queued: QueuedWindow[]
  /** Windows whose queries failed (after resubmissions); later runs query them again. */
  failed: FailedWindow[]
  /** Queries submitted per run over the last 24 hours: the tenant's allowance is counted per rolling day. */
  submissions: { at: string; count: number }[]
}

/** A range as the ledger writes it. */
export interface StoredRange {
  start: string
  end: string
}

/**
 * A range harvested for one selection: a digest of the content types kept and the filters.
 * A window collected for `Audit.General` alone is not collected for `Audit.Exchange`.
 */
export interface SelectedRange extends StoredRange {
  selection: string
}

/** How a window's query is retried within a run. */
interface RetryState {
  /** Times this window's query ended failed or cancelled and was submitted again this time round. */
  resubmitted?: number
  /** A window that failed in an earlier run: tried once per run, not submitted again within it. */
  final?: boolean
}

/** A query submitted by this run or an earlier one, as the ledger keeps it between runs. */
export interface PendingQuery extends StoredRange, RetryState {
  id: string
  /** When it was submitted (or, for one found by its name, first seen): Purview keeps queries 30 days. */
  submitted: string
  resubmitted: number
  /**
   * Found by its display name, not submitted by a run that saved it: when it was submitted is
   * unknown, so what it returns never counts as settled.
   */
  foundByName?: boolean
  /** The selection of the run that submitted it: harvested for another, it is looked at again once settled. */
  selection?: string
}

/** A window waiting to be submitted. */
export interface QueuedWindow extends StoredRange, RetryState {}

/** A window to query, and how its query is retried. */
export interface QueryWindow extends TimeRange, RetryState {}

/** What one run did with Graph, for the ledger. */
export interface GraphLedgerUpdate {
  /** The selection the run harvested for (content types and filters). */
  selection: string
  /** Windows harvested completely; `settled` ones are never queried again for the selection. */
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
  return { collected: [], unsettled: [], pending: [], queued: [], failed: [], submissions: [] }
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
  const selected = (key: string): SelectedRange[] =>
    mergeSelected(
      list(key)
        .filter((item) => typeof item.selection === 'string')
        .map((item) => ({ start: String(item.start), end: String(item.end), selection: String(item.selection) }))
    )
  return {
    collected: selected('collected'),
    unsettled: selected('unsettled'),
    pending: list('pending')
      .filter(
        (item) => typeof item.id === 'string' && typeof item.submitted === 'string' && parseInstant(item.submitted)
      )
      .map((item) => ({
        id: String(item.id),
        start: String(item.start),
        end: String(item.end),
        submitted: String(item.submitted),
        resubmitted: typeof item.resubmitted === 'number' ? item.resubmitted : 0,
        ...retryStateOf(item),
        ...(item.foundByName === true ? { foundByName: true } : {}),
        ...(typeof item.selection === 'string' ? { selection: item.selection } : {})
      })),
    queued: list('queued').map((item) => ({ start: String(item.start), end: String(item.end), ...retryStateOf(item) })),
    failed: list('failed')
      .filter(isFailedWindow)
      .map((item) => ({ ...(item as unknown as FailedWindow) })),
    submissions: (Array.isArray(entry.submissions) ? (entry.submissions as unknown[]) : []).flatMap((item) => {
      const { at, count } = (item ?? {}) as { at?: unknown; count?: unknown }
      return typeof at === 'string' && parseInstant(at) && typeof count === 'number' && count > 0 ? [{ at, count }] : []
    })
  }
}

function retryStateOf(item: Record<string, unknown>): RetryState {
  return {
    ...(typeof item.resubmitted === 'number' && item.resubmitted > 0 ? { resubmitted: item.resubmitted } : {}),
    ...(item.final === true ? { final: true } : {})
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
    collected: mergeSelected(graph.collected),
    unsettled: mergeSelected(graph.unsettled),
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
      graph.unsettled.length +
      graph.pending.length +
      graph.queued.length +
      graph.failed.length +
      graph.submissions.length ===
    0
  )
}

/** Windows that later runs still have to query: running, waiting, failed or not settled. */
export function graphWorkLeft(graph: GraphLedger): number {
  return graph.pending.length + graph.queued.length + graph.failed.length + graph.unsettled.length
}

/**
 * Applies a run's Graph work (to a copy): settled windows are remembered as collected for the
 * run's selection, unsettled ones as such (until a later query of them settles), the pending
 * queries and queued windows are the run's, a failed window is recorded (or its count
 * raised), and one that what is harvested now covers is recovered. Returns what recovered.
 */
export function applyGraphUpdate(
  graph: GraphLedger,
  update: GraphLedgerUpdate,
  now: Date
): { graph: GraphLedger; recovered: FailedWindow[] } {
  const stamp = formatInstant(now)
  const { selection } = update
  const harvestedNow = update.collected.map((window) => ({ ...toStored(window), selection }))
  const settledNow = harvestedNow.filter((_, index) => update.collected[index]?.settled)
  const collected = mergeSelected([...graph.collected, ...settledNow])
  const collectedHere = collected.filter((range) => range.selection === selection).map(toRange)
  // What a settled query returned needs no second look: only the rest stays unsettled.
  const unsettled = mergeSelected(
    [...graph.unsettled, ...harvestedNow.filter((_, index) => !update.collected[index]?.settled)].flatMap((range) =>
      range.selection === selection
        ? uncoveredParts(toRange(range), collectedHere).map((part) => ({ ...toStored(part), selection }))
        : [range]
    )
  )
  // A failed day may come back in halves (the record-count limit): judged against what is
  // harvested now, merged, not window by window.
  const harvested = mergeRanges([
    ...collected.filter((range) => range.selection === selection),
    ...unsettled.filter((range) => range.selection === selection)
  ]).map(toRange)
  const recovered: FailedWindow[] = []
  const failed = graph.failed
    .map((failure) => ({ ...failure }))
    .filter((failure) => {
      const covered = uncoveredParts(toRange(failure), harvested).length === 0
      if (covered) recovered.push(failure)
      return !covered
    })
  for (const failure of update.failed)
    recordFailedWindow(failed, { ...failure.window, code: failure.code, message: failure.reason }, stamp)
  return {
    graph: {
      collected,
      unsettled,
      pending: update.pending.map((query) => ({ ...query })),
      queued: update.queued.map((window) => ({
        ...toStored(window),
        ...(window.resubmitted ? { resubmitted: window.resubmitted } : {}),
        ...(window.final ? { final: true } : {})
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

/** A stored range as times. */
export function toRange(entry: StoredRange): TimeRange {
  return { start: new Date(entry.start), end: new Date(entry.end) }
}

/** Ranges merged within each selection, sorted by selection then time. */
function mergeSelected(ranges: readonly SelectedRange[]): SelectedRange[] {
  const groups = new Map<string, StoredRange[]>()
  for (const range of ranges) groups.set(range.selection, [...(groups.get(range.selection) ?? []), range])
  return [...groups.keys()]
    .sort(compare)
    .flatMap((selection) => mergeRanges(groups.get(selection) ?? []).map((range) => ({ ...range, selection })))
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
