import type { ContentType } from '../record/content-types.js'

/** Where the ledger lives on the data branch. */
export const LEDGER_PATH = 'state/ledger.json'
/** Where the manifest lives on the data branch. */
export const MANIFEST_PATH = 'manifest.json'
/** The data branch's README: layout, columns, recipes and coverage. */
export const README_PATH = 'README.md'
/** The coverage chart the README embeds, beside it (a relative link GitHub renders). */
export const COVERAGE_CHART_PATH = 'coverage.svg'

/** The formats a day file is written in; each is also its files' extension. */
export const FORMAT_NAMES = ['csv', 'parquet'] as const
export type FormatName = (typeof FORMAT_NAMES)[number]

/**
 * `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.<format>`: one file per content type and UTC
 * day, or `<YYYY-MM-DD>.<part>.<format>` (part 1, 2, …) for a day too large for one file: the
 * day's canonical layout, sorted by CreationTime then Id. Rows that later runs add to a day
 * that is not settled yet go to additions beside it (`additionPath`) until the day is
 * compacted back into this layout.
 */
export function dayFilePath(contentType: ContentType, day: string, format: FormatName, part?: number): string {
  const [year, month] = day.split('-')
  return `audit/${contentType}/${year}/${month}/${day}${part === undefined ? '' : `.${part}`}.${format}`
}

/** The paths a day's snapshot is written to: one file, or numbered parts. */
export function dayFilePaths(contentType: ContentType, day: string, format: FormatName, parts: number): string[] {
  if (parts <= 1) return [dayFilePath(contentType, day, format)]
  return Array.from({ length: parts }, (_, index) => dayFilePath(contentType, day, format, index + 1))
}

/**
 * The files among `paths` that hold a day's snapshot in a format, the single file first, then
 * the parts in part order: whatever layout an earlier run left, all of it is read back.
 */
export function findDayFiles(
  paths: Iterable<string>,
  contentType: ContentType,
  day: string,
  format: FormatName
): string[] {
  const single = dayFilePath(contentType, day, format)
  const stem = single.slice(0, -`.${format}`.length)
  const found: { path: string; part: number }[] = []
  for (const path of paths) {
    if (path === single) found.push({ path, part: 0 })
    else if (path.startsWith(`${stem}.`) && path.endsWith(`.${format}`)) {
      const part = path.slice(stem.length + 1, -format.length - 1)
      if (/^[1-9]\d*$/.test(part)) found.push({ path, part: Number(part) })
    }
  }
  return found.sort((a, b) => a.part - b.part).map((entry) => entry.path)
}

/**
 * `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.added-<n>.<format>`: the n-th file of rows a
 * later run added to the day, sorted within itself; every row of a day is in exactly one of
 * its files.
 */
export function additionPath(contentType: ContentType, day: string, format: FormatName, n: number): string {
  const [year, month] = day.split('-')
  return `audit/${contentType}/${year}/${month}/${day}.added-${n}.${format}`
}

/** The additions of a day among `paths`, in the order they were added (by their number). */
export function findAdditions(
  paths: Iterable<string>,
  contentType: ContentType,
  day: string,
  format: FormatName
): string[] {
  const stem = additionPath(contentType, day, format, 0).slice(0, -`0.${format}`.length)
  const found: { path: string; n: number }[] = []
  for (const path of paths) {
    const n = path.startsWith(stem) && path.endsWith(`.${format}`) ? additionNumber(path) : undefined
    if (n !== undefined) found.push({ path, n })
  }
  return found.sort((a, b) => a.n - b.n).map((entry) => entry.path)
}

/** The number of an addition (`<day>.added-<n>.<format>`), or undefined when the path is none. */
export function additionNumber(path: string): number | undefined {
  const n = ADDITION.exec(path)?.[1]
  return n === undefined ? undefined : Number(n)
}

/**
 * `state/keys/<ContentType>/<YYYY>/<MM>/<file>.keys`: the record keys of one day file of a day
 * that is not settled, so that a later run can tell which of its rows the day already holds
 * without reading the day (see day-keys.ts).
 */
export function keyFilePath(dayFile: string): string {
  return `state/keys/${dayFile.slice('audit/'.length)}.keys`
}

/**
 * The days of each content type that are not in their canonical layout alone: days with
 * additions or key files, in any format (the days a settling compacts or lets go of keys).
 */
export function daysWithAdditionsOrKeys(paths: Iterable<string>): { type: ContentType; day: string }[] {
  const seen = new Map<string, { type: ContentType; day: string }>()
  for (const path of paths) {
    const match = ADDITION_OR_KEYS.exec(path)
    const type = match?.[1] ?? match?.[3]
    const day = match?.[2] ?? match?.[4]
    if (type && day) seen.set(`${type} ${day}`, { type: type as ContentType, day })
  }
  return [...seen.values()]
}

/** Whether a path is an addition of a day, in any format. */
export function isAddition(path: string): boolean {
  return additionNumber(path) !== undefined
}

const FORMAT = `(?:${FORMAT_NAMES.join('|')})`
const ADDITION = new RegExp(`\\.added-([1-9]\\d*)\\.${FORMAT}$`)
const ADDITION_OR_KEYS = new RegExp(
  `^(?:audit/([^/]+)/\\d{4}/\\d{2}/(\\d{4}-\\d{2}-\\d{2})\\.added-\\d+\\.${FORMAT}|state/keys/([^/]+)/\\d{4}/\\d{2}/(\\d{4}-\\d{2}-\\d{2})[^/]*\\.keys)$`
)

/** A day file of any layout: the single file, a part, or an addition. Groups: content type, day. */
export const DAY_FILE = new RegExp(
  `^audit/([^/]+)/\\d{4}/\\d{2}/(\\d{4}-\\d{2}-\\d{2})(?:\\.\\d+|\\.added-\\d+)?\\.${FORMAT}$`
)
