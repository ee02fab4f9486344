import { RETENTION_MS, RETENTION_SAFETY_MS } from '../m365/retention.js'
import type { TimeRange } from '../record/time-range.js'
import { DAY_MS } from '../util/duration.js'
import { floorToMinute, startOfUtcDay } from '../util/time.js'
import type { PlanScope } from './windows.js'

/**
 * Where a run's records come from: the Management Activity API (7 days, every content type),
 * Microsoft Graph audit log queries (the whole audit retention: the CoE Starter Kit's "Audit
 * Logs - Use Graph API" mode), or both: the Management API for what it still serves and
 * Graph for anything older.
 */
export const SOURCE_NAMES = ['management-api', 'graph', 'auto'] as const
export type SourceName = (typeof SOURCE_NAMES)[number]

/**
 * How far Graph's part of an `auto` backfill reaches into the Management API's 7 days: to the
 * UTC midnight a day or two past the line. The Management API lists content by when it was
 * published, Graph finds records by when they happened; a record that happened just before
 * the line can be in content published after it, or before. A day or more of overlap puts
 * every such record in one source or both (both copies have the same Id and land once), and
 * an end on a midnight stays the same all day, so a backfill run again the same day asks
 * Graph for nothing new.
 */
export function graphPartEnd(listable: Date): Date {
  return new Date(startOfUtcDay(listable.getTime()) + 2 * DAY_MS)
}

/** A run's range, split between its sources. */
export interface SourceScopes {
  /** What the Management API lists; undefined when it lists nothing. */
  management: PlanScope | undefined
  /**
   * What Graph is asked for by the inputs: a backfill's range (with `auto`, the part older than
   * the Management API serves, plus the overlap), or for a scheduled run with `graph`, its
   * look-back (the ledger then says where earlier runs stopped). Undefined: nothing but what the
   * ledger keeps waiting.
   */
  graph: { kind: 'range'; range: TimeRange } | { kind: 'scheduled'; lookbackMs: number } | undefined
}

/** The oldest start the Management API can still list at `now`, with the safety margin the planner keeps. */
export function oldestListableStart(now: Date): Date {
  return new Date(floorToMinute(now).getTime() - RETENTION_MS + RETENTION_SAFETY_MS)
}

/** Splits a scope between the sources of a run. */
export function splitScope(scope: PlanScope, source: SourceName, now: Date): SourceScopes {
  if (source === 'management-api') return { management: scope, graph: undefined }
  if (source === 'graph') {
    if (scope.mode === 'scheduled')
      return { management: undefined, graph: { kind: 'scheduled', lookbackMs: scope.lookbackMs } }
    const end = scope.end && scope.end < now ? scope.end : now
    return { management: undefined, graph: { kind: 'range', range: { start: scope.start, end } } }
  }
  if (scope.mode === 'scheduled') return { management: scope, graph: undefined }
  const listable = oldestListableStart(now)
  if (scope.start >= listable) return { management: scope, graph: undefined }
  const end = scope.end && scope.end < now ? scope.end : now
  const graphEnd = new Date(Math.min(end.getTime(), graphPartEnd(listable).getTime()))
  const management: PlanScope | undefined =
    end > listable ? { mode: 'backfill', start: listable, ...(scope.end ? { end: scope.end } : {}) } : undefined
  return { management, graph: { kind: 'range', range: { start: scope.start, end: graphEnd } } }
}

/**
 * The Management API's windows of an `auto` backfill as they can still be listed at `now`: a
 * run that first waited for Graph queries (up to `graph-wait`) finds its oldest windows past
 * the 7 days. They are cut at the oldest start the API still serves; what is cut off lies in
 * the day Graph's part overlaps, so nothing falls between the sources.
 */
export function stillListable<T extends { range: TimeRange }>(windows: readonly T[], now: Date): T[] {
  const oldest = oldestListableStart(now)
  return windows.flatMap((window) => {
    if (window.range.start >= oldest) return [window]
    if (window.range.end <= oldest) return []
    return [{ ...window, range: { start: oldest, end: window.range.end } }]
  })
}
