import { LISTABLE_MS } from '../m365/retention.js'
import { DAY_MS } from '../util/duration.js'
import type { DayFiles } from '../snapshot/merge-day.js'

/**
 * When a day settles: once its last hour is older than this, no content the Management API
 * can still list adds to it (7 days, and a day's margin for the listing's clock and late
 * blobs). A later addition (an import, a backfill from another source) is then compacted into
 * it at once.
 */
export const SETTLE_AFTER_MS = LISTABLE_MS

/**
 * A day that has this many additions is compacted even before it settles: readers glob a
 * day's files, and a schedule more often than hourly would otherwise leave hundreds of small
 * files a day (an hourly one adds at most 24 a day while the API can add to it, 192 in all).
 */
const MAX_ADDITIONS = 200

/** Whether a day (`YYYY-MM-DD`) has settled at `now`. */
export function isSettled(day: string, now: Date, settleAfterMs: number = SETTLE_AFTER_MS): boolean {
  return Date.parse(`${day}T00:00:00Z`) + DAY_MS + settleAfterMs <= now.getTime()
}

/**
 * How a commit writes new rows into a day: beside its files, as an addition, when the day can
 * still grow and its files have their keys; otherwise by compacting the day into its
 * canonical layout: a day with no files yet (its first files are canonical), a settled day, a
 * day in another format (it is converted), a day written before key files existed, or one
 * with MAX_ADDITIONS additions.
 */
export function dayWrite(files: DayFiles, settled: boolean): 'add' | 'compact' {
  const empty = files.parts.length === 0 && files.additions.length === 0
  if (empty || settled || files.converted.length > 0 || !files.keyed || files.additions.length >= MAX_ADDITIONS)
    return 'compact'
  return 'add'
}
