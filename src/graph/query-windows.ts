import type { TimeRange } from '../record/time-range.js'
import { sha256Prefix } from '../util/digest.js'
import { DAY_MS, HOUR_MS } from '../util/duration.js'
import { formatInstant, parseInstant, startOfUtcDay } from '../util/time.js'

/**
 * The windows of Microsoft Graph audit log queries for a range: one per UTC day, cut at the
 * range's ends. Graph has no content-type filter, so one query serves every content type of
 * its day, and a day is a window the branch's files already use.
 */
export function dailyQueryWindows(range: TimeRange): TimeRange[] {
  const windows: TimeRange[] = []
  for (let start = range.start.getTime(); start < range.end.getTime();) {
    const end = Math.min(range.end.getTime(), startOfUtcDay(start) + DAY_MS)
    windows.push({ start: new Date(start), end: new Date(end) })
    start = end
  }
  return windows
}

/**
 * A window whose query hit the record-count limit (`isRecordCountLimitExceeded`), cut at the
 * whole hour nearest its middle; undefined when no whole hour lies inside it. Its halves are
 * queried again; a window of an hour that still exceeds the limit fails.
 */
export function halveQueryWindow(window: TimeRange): [TimeRange, TimeRange] | undefined {
  const start = window.start.getTime()
  const end = window.end.getTime()
  const middle = start + (end - start) / 2
  const candidates = [Math.floor(middle / HOUR_MS) * HOUR_MS, Math.ceil(middle / HOUR_MS) * HOUR_MS].filter(
    (cut) => cut > start && cut < end
  )
  if (candidates.length === 0) return undefined
  const cut = candidates.reduce((best, cut) => (Math.abs(cut - middle) < Math.abs(best - middle) ? cut : best))
  return [
    { start: window.start, end: new Date(cut) },
    { start: new Date(cut), end: window.end }
  ]
}

/** What a query asks for besides its window: the filters Graph applies server-side. */
export interface QueryFilters {
  operationFilters?: readonly string[]
  recordTypeFilters?: readonly string[]
  serviceFilters?: readonly string[]
}

/** How the action names its queries, so that a run finds a query an earlier run submitted. */
const DISPLAY_NAME_PREFIX = 'm365-audit-sync'

/**
 * A query's `displayName`: the action's prefix, the window, and a digest of the filters.
 * A run that lost a query's id (it stopped between submitting and saving) finds the query
 * again by this name through the list endpoint, instead of submitting it twice; the digest
 * keeps a query with other filters (a user changed `operations`) from being taken for it.
 */
export function queryDisplayName(window: TimeRange, filters: QueryFilters): string {
  return `${DISPLAY_NAME_PREFIX} ${formatInstant(window.start)}/${formatInstant(window.end)} ${filterDigest(filters)}`
}

/** The window a `displayName` of ours names, when it was made for these filters. */
export function windowOfDisplayName(name: string, filters: QueryFilters): TimeRange | undefined {
  const [prefix, window, digest, ...rest] = name.split(' ')
  if (prefix !== DISPLAY_NAME_PREFIX || rest.length > 0 || digest !== filterDigest(filters)) return undefined
  const [start, end] = (window ?? '').split('/').map((text) => parseInstant(text))
  if (!start || !end || start >= end) return undefined
  return { start, end }
}

function filterDigest(filters: QueryFilters): string {
  const canonical = JSON.stringify(
    [filters.operationFilters, filters.recordTypeFilters, filters.serviceFilters].map((list) =>
      [...(list ?? [])].map((value) => value.toLowerCase()).sort()
    )
  )
  return sha256Prefix(canonical, 4, 'hex')
}

/**
 * How long after a window ends Graph is taken to have ingested everything in it. Microsoft
 * documents that audit records take from 30 minutes up to 24 hours to become available
 * (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference,
 * "Working with the Office 365 Management Activity API"; the same pipeline feeds Purview's
 * search), so a window is queried again by later runs until a query submitted a day after its
 * end has returned it.
 */
export const GRAPH_SETTLE_MS = DAY_MS

/**
 * Whether Graph has ingested what a window will ever hold: records reach the audit log
 * minutes to a day after they happen, and a query finds only what is ingested. A window
 * that ends less than `settleMs` before `now` is queried again by later runs.
 */
export function isQueryWindowSettled(window: TimeRange, now: Date, settleMs: number): boolean {
  return window.end.getTime() + settleMs <= now.getTime()
}
