import { CONTENT_TYPES, type ContentType } from '../record/content-types.js'
import type { Ledger } from './ledger.js'
import type { Manifest } from './manifest.js'
import { parseDayPath } from './paths.js'
import { countText } from '../util/count-text.js'
import { DAY_MS } from '../util/duration.js'
import { utcDay } from '../util/time.js'

/**
 * What the data branch holds per content type and UTC day: records (from manifest.json),
 * listing windows that still fail and content that can no longer be collected (from the
 * ledger). Rendered as a Markdown table and an SVG chart for the branch's README, and as a
 * short table in the job summary.
 */
export interface DayCoverage {
  day: string
  records: number
  /** Listing windows (and Graph query windows) that failed after retries and overlap this day. */
  failedWindows: number
  /** Expired blobs and windows past the API's reach that overlap this day. */
  gaps: number
}

export interface TypeCoverage {
  type: ContentType
  days: DayCoverage[]
}

/**
 * The `days` UTC days up to and including `lastDay` (YYYY-MM-DD), for each content type the
 * branch holds or the ledger knows, in the API's order.
 */
export function coverage(manifest: Manifest, ledger: Ledger, lastDay: string, days: number): TypeCoverage[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`)
  const window = Array.from({ length: days }, (_, index) => utcDay(new Date(end - (days - 1 - index) * DAY_MS)))
  const records = new Map<string, number>()
  const types = new Set<ContentType>(Object.keys(ledger.contentTypes) as ContentType[])
  for (const [path, entry] of Object.entries(manifest.files)) {
    const parsed = parseDayPath(path)
    if (!parsed) continue
    types.add(parsed.type as ContentType)
    const key = `${parsed.type} ${parsed.day}`
    records.set(key, (records.get(key) ?? 0) + entry.rows)
  }
  return CONTENT_TYPES.filter((type) => types.has(type)).map((type) => {
    const state = ledger.contentTypes[type]
    // A Graph query serves every content type: a window of it that fails marks each one.
    const failed = [...(state?.failed ?? []), ...(ledger.graph?.failed ?? [])].map((window) =>
      daysOverlapping(window.start, window.end)
    )
    const gaps = (state?.gaps ?? []).map((gap) => daysOverlapping(gap.start, gap.end))
    return {
      type,
      days: window.map((day) => ({
        day,
        records: records.get(`${type} ${day}`) ?? 0,
        failedWindows: failed.filter((range) => range.first <= day && day <= range.last).length,
        gaps: gaps.filter((range) => range.first <= day && day <= range.last).length
      }))
    }
  })
}

/**
 * The last day a coverage window shows: the later of the newest UTC day the branch has records
 * for and today (`now`'s UTC day), so a quiet or stalled branch still shows the days it missed.
 */
export function coverageEndDay(manifest: Manifest, now: Date): string {
  const today = utcDay(now)
  let newest = today
  for (const path of Object.keys(manifest.files)) {
    const day = parseDayPath(path)?.day
    if (day && day > newest) newest = day
  }
  return newest
}

/** The same coverage cut to its last `days` days (the job summary's glance at a week). */
export function lastDays(types: readonly TypeCoverage[], days: number): TypeCoverage[] {
  return types.map((entry) => ({ type: entry.type, days: entry.days.slice(-days) }))
}

/** The first and last UTC day a [start, end) window touches. */
function daysOverlapping(start: string, end: string): { first: string; last: string } {
  const last = utcDay(new Date(Math.max(Date.parse(start), Date.parse(end) - 1)))
  return { first: start.slice(0, 10), last }
}

/** One row per day (newest first), one column per content type: records, and ⚠/✖ marks. */
export function renderCoverageTable(types: readonly TypeCoverage[]): string {
  if (types.length === 0) return '_Nothing collected yet._\n'
  const [header = [], ...rows] = coverageTableRows(types)
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return `${line(header)}\n|---|${types.map(() => '---:').join('|')}|\n${rows.map(line).join('\n')}\n\n${COVERAGE_LEGEND}\n`
}

/** What the marks of a coverage table mean. */
export const COVERAGE_LEGEND =
  '⚠ a listing window that still fails (retried by every run); ✖ content the API can no longer serve (fill it from a Purview audit export).'

/** The coverage table as rows of cells, header first (for Markdown, or the job summary's HTML table). */
export function coverageTableRows(types: readonly TypeCoverage[]): string[][] {
  const days = (types[0]?.days ?? []).map((day) => day.day).reverse()
  return [
    ['Day (UTC)', ...types.map((entry) => entry.type)],
    ...days.map((day) => [
      day,
      ...types.map((entry) => {
        const cell = entry.days.find((candidate) => candidate.day === day)
        if (!cell) return ''
        const marks = [
          cell.failedWindows > 0 ? `⚠ ${cell.failedWindows} failed` : '',
          cell.gaps > 0 ? `✖ ${cell.gaps} gap${cell.gaps > 1 ? 's' : ''}` : ''
        ].filter(Boolean)
        return [countText(cell.records), ...marks].join(' ')
      })
    ])
  ]
}
