import type { ContentType } from '../record/content-types.js'
import { CONTENT_TYPES } from '../record/content-types.js'
import { DAY_MS } from '../util/duration.js'
import { formatInstant, parseInstant } from '../util/time.js'

/**
 * A day whose new rows could not be merged into its files (a file of the day cannot be read,
 * or a row cannot be written in the day's format): the rows wait on the branch in held files,
 * in CSV, which takes any value, until a run can merge them. The day fails alone; the failure
 * issue names the file and what to do.
 */
export interface HeldDay {
  day: string
  /** The file at fault, when a file is. */
  file?: string
  reason: string
  /** Rows held for the day. */
  rows: number
  /** Runs that could not merge the day. */
  attempts: number
  firstFailure: string
  lastFailure: string
}

/** The code a held day has in failure lists. */
export const HELD_DAY_CODE = 'DayNotMerged'

/** Where held files live (`heldPath`). */
export const HELD_FOLDER = 'state/held/'

/** `state/held/<ContentType>/<YYYY-MM-DD>.<n>.csv`: the n-th file of a day's held rows. */
export function heldPath(type: ContentType, day: string, n: number): string {
  return `${HELD_FOLDER}${type}/${day}.${n}.csv`
}

const HELD_PATH = /^state\/held\/([^/]+)\/(\d{4}-\d{2}-\d{2})\.([1-9]\d*)\.csv$/

/** The held files among `paths`, per content type and day, in order, with the number after the last. */
export function findHeldFiles(
  paths: Iterable<string>
): { type: ContentType; day: string; paths: string[]; nextNumber: number }[] {
  const found = new Map<string, { type: ContentType; day: string; files: { path: string; n: number }[] }>()
  for (const path of paths) {
    const match = HELD_PATH.exec(path)
    if (!match || !(CONTENT_TYPES as readonly string[]).includes(match[1]!)) continue
    const type = match[1] as ContentType
    const day = match[2]!
    const key = `${type} ${day}`
    let entry = found.get(key)
    if (!entry) found.set(key, (entry = { type, day, files: [] }))
    entry.files.push({ path, n: Number(match[3]) })
  }
  return [...found.values()]
    .sort((a, b) => (a.type === b.type ? (a.day < b.day ? -1 : 1) : a.type < b.type ? -1 : 1))
    .map(({ type, day, files }) => {
      files.sort((a, b) => a.n - b.n)
      return { type, day, paths: files.map((file) => file.path), nextNumber: files.at(-1)!.n + 1 }
    })
}

/** A held day as the failure issue and the summary list it: the day as its window. */
export function heldDayWindow(held: HeldDay): { start: string; end: string; code: string; message: string } {
  const start = Date.parse(`${held.day}T00:00:00Z`)
  const where = held.file ? `${held.file}: ` : ''
  const rows = held.rows > 0 ? ` ${held.rows} new rows wait in state/held/ on the branch.` : ''
  return {
    start: formatInstant(new Date(start)),
    end: formatInstant(new Date(start + DAY_MS)),
    code: HELD_DAY_CODE,
    message: `${where}${held.reason}${rows} Fix the file (or restore it from the branch's history); the next run merges the day.`
  }
}

/** Held days of a ledger entry as written by any hand: only well-formed ones are kept. */
export function readHeldDays(value: unknown): HeldDay[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((raw): HeldDay[] => {
    const entry = raw as Partial<HeldDay> | null
    if (
      !entry ||
      typeof entry.day !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(entry.day) ||
      Number.isNaN(Date.parse(`${entry.day}T00:00:00Z`)) ||
      typeof entry.reason !== 'string' ||
      typeof entry.firstFailure !== 'string' ||
      !parseInstant(entry.firstFailure) ||
      typeof entry.lastFailure !== 'string' ||
      !parseInstant(entry.lastFailure)
    )
      return []
    return [
      {
        day: entry.day,
        ...(typeof entry.file === 'string' ? { file: entry.file } : {}),
        reason: entry.reason,
        rows: Number.isSafeInteger(entry.rows) && entry.rows! >= 0 ? entry.rows! : 0,
        attempts: Number.isSafeInteger(entry.attempts) && entry.attempts! > 0 ? entry.attempts! : 1,
        firstFailure: entry.firstFailure,
        lastFailure: entry.lastFailure
      }
    ]
  })
}

/** What one commit did with held days. */
export interface HeldDayChanges {
  /** Days that could not be merged now, with why and how many rows they hold. */
  held: { type: ContentType; day: string; file?: string; reason: string; rows: number }[]
  /** Days held before that merged now. */
  merged: { type: ContentType; day: string }[]
}

/** A content type's held days after a commit: new ones added, failing ones counted, merged ones gone. */
export function nextHeldDays(
  previous: readonly HeldDay[],
  type: ContentType,
  changes: HeldDayChanges,
  now: string
): { held: HeldDay[]; recovered: HeldDay[] } {
  const merged = new Set(changes.merged.filter((entry) => entry.type === type).map((entry) => entry.day))
  const failing = new Map(changes.held.filter((entry) => entry.type === type).map((entry) => [entry.day, entry]))
  const held: HeldDay[] = []
  const recovered: HeldDay[] = []
  for (const entry of previous) {
    if (merged.has(entry.day)) recovered.push(entry)
    else if (!failing.has(entry.day)) held.push(entry)
  }
  for (const [day, failure] of failing) {
    const before = previous.find((entry) => entry.day === day)
    held.push({
      day,
      ...(failure.file ? { file: failure.file } : {}),
      reason: failure.reason,
      rows: failure.rows,
      attempts: (before?.attempts ?? 0) + 1,
      firstFailure: before?.firstFailure ?? now,
      lastFailure: now
    })
  }
  return { held: held.sort((a, b) => (a.day < b.day ? -1 : 1)), recovered }
}
