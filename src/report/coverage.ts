import { CONTENT_TYPES, type ContentType } from '../config/content-types.js'
import type { Ledger } from '../state/ledger.js'
import type { Manifest } from '../state/manifest.js'
import { countText } from './count-text.js'

/**
 * What the data branch holds per content type and UTC day: records (from manifest.json),
 * listing windows that still fail and content that can no longer be collected (from the
 * ledger). Rendered as a Markdown table and an SVG chart for the branch's README, and as a
 * short table in the job summary.
 */
export interface DayCoverage {
  day: string
  records: number
  /** Listing windows that failed after retries and overlap this day. */
  failedWindows: number
  /** Expired blobs and windows past the API's reach that overlap this day. */
  gaps: number
}

export interface TypeCoverage {
  type: ContentType
  days: DayCoverage[]
}

const DAY_MS = 86_400_000
const DAY_FILE = /^audit\/([^/]+)\/\d{4}\/\d{2}\/(\d{4}-\d{2}-\d{2})(?:\.\d+)?\.(?:csv|parquet)$/

/**
 * The `days` UTC days up to and including `lastDay` (YYYY-MM-DD), for each content type the
 * branch holds or the ledger knows, in the API's order.
 */
export function coverage(manifest: Manifest, ledger: Ledger, lastDay: string, days: number): TypeCoverage[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`)
  const window = Array.from({ length: days }, (_, index) => new Date(end - (days - 1 - index) * DAY_MS).toISOString().slice(0, 10))
  const records = new Map<string, number>()
  const types = new Set<ContentType>(Object.keys(ledger.contentTypes) as ContentType[])
  for (const [path, entry] of Object.entries(manifest.files)) {
    const match = DAY_FILE.exec(path)
    if (!match) continue
    types.add(match[1] as ContentType)
    const key = `${match[1]} ${match[2]}`
    records.set(key, (records.get(key) ?? 0) + entry.rows)
  }
  return CONTENT_TYPES.filter((type) => types.has(type)).map((type) => {
    const state = ledger.contentTypes[type]
    const failed = (state?.failed ?? []).map((window) => daysOverlapping(window.start, window.end))
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
  const today = now.toISOString().slice(0, 10)
  let newest = today
  for (const path of Object.keys(manifest.files)) {
    const day = DAY_FILE.exec(path)?.[2]
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
  const last = new Date(Math.max(Date.parse(start), Date.parse(end) - 1)).toISOString().slice(0, 10)
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
export const COVERAGE_LEGEND = '⚠ a listing window that still fails (retried by every run); ✖ content the API can no longer serve (fill it from a Purview audit export).'

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
        const marks = [cell.failedWindows > 0 ? `⚠ ${cell.failedWindows} failed` : '', cell.gaps > 0 ? `✖ ${cell.gaps} gap${cell.gaps > 1 ? 's' : ''}` : ''].filter(Boolean)
        return [countText(cell.records), ...marks].join(' ')
      })
    ])
  ]
}

const BAR = 14
const GAP = 2
const ROW_HEIGHT = 64
const LEFT = 190
const TOP = 28

/**
 * A bar chart: a row per content type, a bar per day scaled to that type's busiest day, a red
 * mark under days with a failing window and a grey one under days with a gap. Plain SVG that
 * GitHub shows in a README, no script or external font.
 */
export function renderCoverageSvg(types: readonly TypeCoverage[]): string {
  const days = types[0]?.days.length ?? 0
  const width = LEFT + days * (BAR + GAP) + 10
  const height = TOP + Math.max(1, types.length) * ROW_HEIGHT + 24
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="17" font-size="13" font-weight="bold" fill="#24292f">Records per UTC day${days > 0 ? `, ${types[0]!.days[0]!.day} to ${types[0]!.days.at(-1)!.day}` : ''}</text>`
  ]
  types.forEach((entry, row) => {
    const base = TOP + row * ROW_HEIGHT
    const busiest = Math.max(1, ...entry.days.map((day) => day.records))
    const total = entry.days.reduce((sum, day) => sum + day.records, 0)
    parts.push(`<text x="8" y="${base + 26}" fill="#24292f">${entry.type}</text>`)
    parts.push(`<text x="8" y="${base + 41}" fill="#57606a">${countText(total)} records, max ${countText(busiest)}/day</text>`)
    entry.days.forEach((day, index) => {
      const x = LEFT + index * (BAR + GAP)
      const barHeight = day.records === 0 ? 0 : Math.max(1, Math.round((day.records / busiest) * (ROW_HEIGHT - 20)))
      const y = base + ROW_HEIGHT - 14 - barHeight
      parts.push(`<rect x="${x}" y="${y}" width="${BAR}" height="${barHeight}" fill="#2da44e"><title>${entry.type} ${day.day}: ${day.records} records</title></rect>`)
      if (day.failedWindows > 0) parts.push(`<rect x="${x}" y="${base + ROW_HEIGHT - 11}" width="${BAR}" height="5" fill="#cf222e"><title>${day.day}: ${day.failedWindows} failing window(s)</title></rect>`)
      if (day.gaps > 0) parts.push(`<rect x="${x}" y="${base + ROW_HEIGHT - 5}" width="${BAR}" height="4" fill="#8c959f"><title>${day.day}: ${day.gaps} gap(s)</title></rect>`)
    })
  })
  const axis = TOP + Math.max(1, types.length) * ROW_HEIGHT + 14
  types[0]?.days.forEach((day, index) => {
    if (index % 7 === 0 || index === days - 1) parts.push(`<text x="${LEFT + index * (BAR + GAP)}" y="${axis}" fill="#57606a">${day.day.slice(5)}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
