import { countNoun } from '../util/count-text.js'
import { utcDay } from '../util/time.js'
import { DAY_MS } from '../util/duration.js'
import { HELD_FOLDER } from './held-days.js'
import type { Ledger } from './ledger.js'
import { KEYS_FOLDER } from './paths.js'
import type { Manifest } from './manifest.js'

/** The fewest days `retention-days` may keep: the Management API's 7 days and today. */
export const MIN_RETENTION_DAYS = 8

/** The first UTC day (`YYYY-MM-DD`) that `days` of retention keep at `now`, today counted. */
export function retentionCutoffDay(now: Date, days: number): string {
  return utcDay(new Date(now.getTime() - (days - 1) * DAY_MS))
}

/**
 * Folders whose files belong to one UTC day, named by it (`…/<YYYY-MM-DD>…`): the day files,
 * their key files, the usage files and their state, held rows.
 */
const DAY_FOLDERS = ['audit/', 'usage/', KEYS_FOLDER, 'state/usage/', HELD_FOLDER]
const DAY_IN_NAME = /\/(\d{4}-\d{2}-\d{2})[^/]*$/

/** The day a branch file belongs to, if it belongs to one. */
export function dayOfPath(path: string): string | undefined {
  if (!DAY_FOLDERS.some((folder) => path.startsWith(folder))) return undefined
  return DAY_IN_NAME.exec(path)?.[1]
}

/** The files of days before `cutoffDay`, and those days. */
export function filesBefore(paths: Iterable<string>, cutoffDay: string): { paths: string[]; days: string[] } {
  const old: string[] = []
  const days = new Set<string>()
  for (const path of paths) {
    const day = dayOfPath(path)
    if (day === undefined || day >= cutoffDay) continue
    old.push(path)
    days.add(day)
  }
  return { paths: old.sort(), days: [...days].sort() }
}

/** The manifest without the entries of erased files. */
export function manifestWithout(manifest: Manifest, erased: ReadonlySet<string>): Manifest {
  return {
    version: 1,
    files: Object.fromEntries(Object.entries(manifest.files).filter(([path]) => !erased.has(path)))
  }
}

/**
 * The ledger without what it says about erased days: failed windows and gaps that end by the
 * cutoff (the coverage table would show days that are gone), held days and untimed placements
 * before it. What it says about collection (coverage, blobs read, Graph's windows) stays: the
 * erased days were collected, and must not be collected again.
 */
export function ledgerWithout(ledger: Ledger, cutoffDay: string): Ledger {
  const cutoff = `${cutoffDay}T00:00:00Z`
  const next: Ledger = { ...ledger, contentTypes: {} }
  // Graph's failed windows of erased days would be queried again, for days erased again.
  if (ledger.graph)
    next.graph = { ...ledger.graph, failed: ledger.graph.failed.filter((failure) => failure.end > cutoff) }
  for (const [type, entry] of Object.entries(ledger.contentTypes)) {
    if (!entry) continue
    const untimed = Object.fromEntries(Object.entries(entry.untimed ?? {}).filter(([, time]) => time >= cutoff))
    const held = (entry.held ?? []).filter((day) => day.day >= cutoffDay)
    next.contentTypes[type as keyof Ledger['contentTypes']] = {
      ...entry,
      failed: entry.failed.filter((failure) => failure.end > cutoff),
      gaps: entry.gaps.filter((gap) => gap.end > cutoff),
      ...(Object.keys(untimed).length > 0 ? { untimed } : { untimed: undefined }),
      ...(held.length > 0 ? { held } : { held: undefined })
    }
  }
  return next
}

/** `2 days before 2026-12-01 (2026-10-01 to 2026-10-02, 3 files)`, after a verb: what retention erases. */
export function describeErasure(
  old: { days: readonly string[]; paths: readonly string[] },
  keptFrom: string,
  verb: string
): string {
  return `${verb} ${countNoun(old.days.length, 'day')} before ${keptFrom} (${old.days[0]} to ${old.days.at(-1)}, ${countNoun(old.paths.length, 'file')})`
}
