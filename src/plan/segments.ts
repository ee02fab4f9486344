import { DAY_MS, MINUTE_MS, formatDuration } from '../config/duration.js'
import { formatInstant } from '../config/timestamp.js'

/**
 * The Management Activity API lists content for at most 24 hours per request and never
 * further back than 7 days (AF20055 otherwise). Every plan respects both.
 */
export const MAX_SEGMENT_MS = DAY_MS
export const RETENTION_MS = 7 * DAY_MS
/**
 * Scheduled runs stay this far inside the 7 days: listing happens minutes after planning,
 * and a window that has aged past the limit by then fails (Elastic clamps to 167h55m).
 */
export const RETENTION_SAFETY_MS = 5 * MINUTE_MS

/** A listing window `[start, end)` on the API's `contentCreated` time. */
export interface Segment {
  start: Date
  end: Date
}

/** An explicit range, as given by `start` and `end` (backfill). */
export interface BackfillWindow {
  mode: 'backfill'
  start: Date
  /** Defaults to now. */
  end?: Date
}

/** The rolling window of a scheduled run. */
export interface ScheduledWindow {
  mode: 'scheduled'
  lookbackMs: number
  /** End of what earlier runs have covered without a gap, when known. */
  coveredUntil?: Date
}

export type PlanWindow = BackfillWindow | ScheduledWindow

/** What to plan. `now` is injected so plans are reproducible. */
export interface PlanRequest {
  now: Date
  window: PlanWindow
  segmentMs: number
  maxSegments: number
}

/** The listing windows of one run, in time order, contiguous, covering `[from, to)`. */
export interface Plan {
  mode: PlanWindow['mode']
  from: Date
  to: Date
  segmentMs: number
  segments: Segment[]
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

/** The time range a run covers, before it is cut into segments. */
export interface PlanRange {
  mode: PlanWindow['mode']
  from: Date
  to: Date
  /** Adjustments the planner made that the user should hear about. */
  notes: string[]
}

/**
 * Plans a run: resolves its range, then cuts it into listing windows of `segmentMs`, the
 * last one partial.
 */
export function planSegments(request: PlanRequest): Plan {
  return splitRange(resolveRange(request.window, request.now), request.segmentMs, request.maxSegments)
}

/** Throws PlanError unless the segment fits the API's windows: 1 minute to 24 hours. */
export function checkSegment(segmentMs: number): number {
  if (!(segmentMs >= MINUTE_MS && segmentMs <= MAX_SEGMENT_MS)) {
    throw new PlanError(
      'segment',
      `Input 'segment' is ${formatDuration(segmentMs)}; it must be between 1m and 24h, because the API lists at most 24 hours per request.`
    )
  }
  return segmentMs
}

/**
 * Resolves the range a window asks for at `now` (floored to the minute), inside the API's
 * 7 days. Throws PlanError for a range the API cannot serve.
 */
export function resolveRange(window: PlanWindow, now: Date): PlanRange {
  const minute = floorToMinute(now)
  const oldestReachable = new Date(minute.getTime() - RETENTION_MS)
  const notes: string[] = []
  const { from, to } =
    window.mode === 'backfill'
      ? backfillRange(window, minute, oldestReachable, notes)
      : scheduledRange(window, minute, oldestReachable, notes)
  return { mode: window.mode, from, to, notes }
}

/**
 * Cuts a range into windows of `segmentMs`. Unlike the CoE flow, a range that needs more
 * than `maxSegments` windows is refused rather than stretched: a stretched last window
 * exceeds 24 h and fails with AF20055.
 */
export function splitRange(range: PlanRange, segmentMs: number, maxSegments: number): Plan {
  const { from, to } = range
  checkSegment(segmentMs)
  const count = Math.ceil((to.getTime() - from.getTime()) / segmentMs)
  if (count > maxSegments) {
    throw new PlanError(
      'max-segments',
      `The plan ${formatInstant(from)} to ${formatInstant(to)} in segments of ${formatDuration(segmentMs)} takes ${count} segments, more than 'max-segments' (${maxSegments}). ` +
        `Raise 'max-segments' to ${count}, use a longer 'segment', or narrow the range.`
    )
  }
  const segments: Segment[] = []
  for (let start = from.getTime(); start < to.getTime(); start += segmentMs) {
    segments.push({ start: new Date(start), end: new Date(Math.min(start + segmentMs, to.getTime())) })
  }
  return { ...range, segmentMs, segments }
}

function backfillRange(
  window: BackfillWindow,
  now: Date,
  oldestReachable: Date,
  notes: string[]
): { from: Date; to: Date } {
  const from = window.start
  let to = window.end ?? now
  if (from.getTime() >= to.getTime()) {
    throw new PlanError(
      'start',
      window.end
        ? `Input 'start' (${formatInstant(from)}) must be before 'end' (${formatInstant(to)}).`
        : `Input 'start' (${formatInstant(from)}) is in the future; it must be before now (${formatInstant(now)}).`
    )
  }
  if (from.getTime() < oldestReachable.getTime()) {
    throw new PlanError(
      'start',
      `Input 'start' (${formatInstant(from)}) is ${describeAge(now, from)} ago; the Management Activity API keeps content for 7 days, ` +
        `so the oldest start is ${formatInstant(oldestReachable)}. For older history, export the audit log from Microsoft Purview ` +
        `and merge it in with the 'import' input.`
    )
  }
  if (to.getTime() > now.getTime()) {
    notes.push(`'end' (${formatInstant(to)}) is in the future; the plan stops at now (${formatInstant(now)}).`)
    to = now
  }
  return { from, to }
}

function scheduledRange(
  window: ScheduledWindow,
  now: Date,
  oldestReachable: Date,
  notes: string[]
): { from: Date; to: Date } {
  if (!(window.lookbackMs > 0 && window.lookbackMs <= RETENTION_MS)) {
    throw new PlanError(
      'lookback',
      `Input 'lookback' is ${formatDuration(window.lookbackMs)}; it must be more than 0 and at most 7d, the API's retention.`
    )
  }
  const lookbackStart = now.getTime() - window.lookbackMs
  const wanted = Math.min(lookbackStart, window.coveredUntil?.getTime() ?? lookbackStart)
  const earliest = oldestReachable.getTime() + RETENTION_SAFETY_MS
  const from = Math.max(wanted, earliest)
  if (window.coveredUntil && window.coveredUntil.getTime() < earliest) {
    notes.push(
      `Earlier runs covered up to ${formatInstant(window.coveredUntil)}, which is past the API's 7 days; ` +
        `content from then until ${formatInstant(new Date(from))} can no longer be listed (use a Purview export to fill it).`
    )
  }
  return { from: new Date(from), to: now }
}

function floorToMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS)
}

function describeAge(now: Date, then: Date): string {
  return formatDuration(Math.floor((now.getTime() - then.getTime()) / MINUTE_MS) * MINUTE_MS)
}
