import { MAX_WINDOW_MS, RETENTION_MS, RETENTION_SAFETY_MS } from '../m365/retention.js'
import type { TimeRange } from '../record/time-range.js'
import { MINUTE_MS, formatDuration } from '../util/duration.js'
import { floorToMinute, formatInstant } from '../util/time.js'

/** An explicit range, as given by `start` and `end` (backfill). */
export interface BackfillScope {
  mode: 'backfill'
  start: Date
  /** Defaults to now. */
  end?: Date
}

/** The rolling look-back of a scheduled run. */
export interface ScheduledScope {
  mode: 'scheduled'
  lookbackMs: number
  /** End of what earlier runs have covered without a gap, when known. */
  coveredUntil?: Date
}

export type PlanScope = BackfillScope | ScheduledScope

/** What to plan. `now` is injected so plans are reproducible. */
export interface PlanRequest {
  now: Date
  scope: PlanScope
  windowMs: number
  maxWindows: number
}

/** The listing windows of one run, in time order, contiguous, covering `[from, to)`. */
export interface Plan {
  mode: PlanScope['mode']
  from: Date
  to: Date
  windowMs: number
  windows: TimeRange[]
  /** Adjustments the planner made that the user should hear about. */
  notes: string[]
}

/** A request that cannot become a valid plan; `input` names the input to fix. */
export class PlanError extends Error {
  constructor(
    readonly input: 'start' | 'end' | 'segment' | 'lookback' | 'max-segments',
    message: string
  ) {
    super(message)
    this.name = 'PlanError'
  }
}

/** The time range a run covers, before it is cut into listing windows. */
export interface PlanRange {
  mode: PlanScope['mode']
  from: Date
  to: Date
  /** Adjustments the planner made that the user should hear about. */
  notes: string[]
}

/**
 * Plans a run: resolves its range, then cuts it into listing windows of `windowMs`, the
 * last one partial.
 */
export function planWindows(request: PlanRequest): Plan {
  return splitRange(resolveRange(request.scope, request.now), request.windowMs, request.maxWindows)
}

/** Throws PlanError unless the segment fits the API's windows: 1 minute to 24 hours. */
export function checkWindowLength(windowMs: number): number {
  if (!(windowMs >= MINUTE_MS && windowMs <= MAX_WINDOW_MS)) {
    throw new PlanError(
      'segment',
      `Input 'segment' is ${formatDuration(windowMs)}; it must be between 1m and 24h, because the API lists at most 24 hours per request.`
    )
  }
  return windowMs
}

/**
 * Resolves the range a scope asks for at `now` (floored to the minute), inside the API's
 * 7 days. Throws PlanError for a range the API cannot serve.
 */
export function resolveRange(scope: PlanScope, now: Date): PlanRange {
  const minute = floorToMinute(now)
  const oldestReachable = new Date(minute.getTime() - RETENTION_MS)
  const notes: string[] = []
  const { from, to } =
    scope.mode === 'backfill'
      ? backfillRange(scope, minute, oldestReachable, notes)
      : scheduledRange(scope, minute, oldestReachable, notes)
  return { mode: scope.mode, from, to, notes }
}

/**
 * Cuts a range into windows of `windowMs`. Unlike the CoE flow, a range that needs more
 * than `maxWindows` windows is refused rather than stretched: a stretched last window
 * exceeds 24 h and fails with AF20055.
 */
export function splitRange(range: PlanRange, windowMs: number, maxWindows: number): Plan {
  const { from, to } = range
  checkWindowLength(windowMs)
  const count = Math.ceil((to.getTime() - from.getTime()) / windowMs)
  if (count > maxWindows) {
    throw new PlanError(
      'max-segments',
      `The plan ${formatInstant(from)} to ${formatInstant(to)} in segments of ${formatDuration(windowMs)} takes ${count} segments, more than 'max-segments' (${maxWindows}). ` +
        `Raise 'max-segments' to ${count}, use a longer 'segment', or narrow the range.`
    )
  }
  const windows: TimeRange[] = []
  for (let start = from.getTime(); start < to.getTime(); start += windowMs) {
    windows.push({ start: new Date(start), end: new Date(Math.min(start + windowMs, to.getTime())) })
  }
  return { ...range, windowMs, windows }
}

function backfillRange(
  scope: BackfillScope,
  now: Date,
  oldestReachable: Date,
  notes: string[]
): { from: Date; to: Date } {
  const from = scope.start
  let to = scope.end ?? now
  if (from.getTime() >= to.getTime()) {
    throw new PlanError(
      'start',
      scope.end
        ? `Input 'start' (${formatInstant(from)}) must be before 'end' (${formatInstant(to)}).`
        : `Input 'start' (${formatInstant(from)}) is in the future; it must be before now (${formatInstant(now)}).`
    )
  }
  if (from.getTime() < oldestReachable.getTime()) {
    throw new PlanError(
      'start',
      `Input 'start' (${formatInstant(from)}) is ${describeAge(now, from)} ago; the Management Activity API keeps content for 7 days, ` +
        `so the oldest start is ${formatInstant(oldestReachable)}. For older history, set 'source: auto' (Microsoft Graph audit log ` +
        `queries for what the API no longer serves; the app needs the Microsoft Graph application permission AuditLogsQuery.Read.All ` +
        `with admin consent), or export the audit log from Microsoft Purview and merge it in with the 'import' input.`
    )
  }
  if (to.getTime() > now.getTime()) {
    notes.push(`'end' (${formatInstant(to)}) is in the future; the plan stops at now (${formatInstant(now)}).`)
    to = now
  }
  return { from, to }
}

function scheduledRange(
  scope: ScheduledScope,
  now: Date,
  oldestReachable: Date,
  notes: string[]
): { from: Date; to: Date } {
  if (!(scope.lookbackMs > 0 && scope.lookbackMs <= RETENTION_MS)) {
    throw new PlanError(
      'lookback',
      `Input 'lookback' is ${formatDuration(scope.lookbackMs)}; it must be more than 0 and at most 7d, the API's retention.`
    )
  }
  const lookbackStart = now.getTime() - scope.lookbackMs
  const wanted = Math.min(lookbackStart, scope.coveredUntil?.getTime() ?? lookbackStart)
  const earliest = oldestReachable.getTime() + RETENTION_SAFETY_MS
  const from = Math.max(wanted, earliest)
  if (scope.coveredUntil && scope.coveredUntil.getTime() < earliest) {
    notes.push(
      `Earlier runs covered up to ${formatInstant(scope.coveredUntil)}, which is past the API's 7 days; ` +
        `content from then until ${formatInstant(new Date(from))} can no longer be listed (use a Purview export to fill it).`
    )
  }
  return { from: new Date(from), to: now }
}

function describeAge(now: Date, then: Date): string {
  return formatDuration(Math.floor((now.getTime() - then.getTime()) / MINUTE_MS) * MINUTE_MS)
}
