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
 * `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.added-<n>.<format>`: the n-th file of rows a
 * later run added to the day, sorted within itself; every row of a day is in exactly one of
 * its files.
 */
export function additionPath(contentType: ContentType, day: string, format: FormatName, n: number): string {
  const [year, month] = day.split('-')
  return `audit/${contentType}/${year}/${month}/${day}.added-${n}.${format}`
}

/**
 * `state/keys/<ContentType>/<YYYY>/<MM>/<file>.keys`: the record keys of one day file of a day
 * that is not settled, so that a later run can tell which of its rows the day already holds
 * without reading the day (see day-keys.ts).
 */
export function keyFilePath(dayFile: string): string {
  return `${KEYS_FOLDER}${dayFile.slice('audit/'.length)}.keys`
}

/** What a day file's path says: its content type and day, its format, and which file of the day it is. */
export interface DayPath {
  type: string
  day: string
  format: FormatName
  /** The part number of a day cut into parts; absent for the single file and for additions. */
  part?: number
  /** The number of an addition (`.added-<n>`); absent for the canonical files. */
  addition?: number
}

const DAY_PATH = new RegExp(
  `^audit/([^/]+)/(\\d{4})/(\\d{2})/((\\d{4})-(\\d{2})-\\d{2})(?:\\.([1-9]\\d*)|\\.added-([1-9]\\d*))?\\.(${FORMAT_NAMES.join('|')})$`
)

/**
 * Reads a day file's path (`dayFilePath`, `additionPath`), or undefined when it is none: the
 * one parser of the layout, so that finding, compacting and counting a day agree on its files.
 */
export function parseDayPath(path: string): DayPath | undefined {
  const match = DAY_PATH.exec(path)
  if (!match) return undefined
  const [, type, year, month, day, dayYear, dayMonth, part, addition, format] = match
  // The folders are the day's own: a file filed under another month is not that day's.
  if (year !== dayYear || month !== dayMonth) return undefined
  return {
    type: type!,
    day: day!,
    format: format as FormatName,
    ...(part === undefined ? {} : { part: Number(part) }),
    ...(addition === undefined ? {} : { addition: Number(addition) })
  }
}

/**
 * A day's files among `paths`, per format: its canonical files (the single file first, then
 * the parts in part order) and its additions (by number). Whatever layout an earlier run
 * left, all of it is found.
 */
export function findDayFilesByFormat(
  paths: Iterable<string>,
  contentType: ContentType,
  day: string
): Map<FormatName, { parts: string[]; additions: string[] }> {
  const found = new Map<
    FormatName,
    { parts: { path: string; n: number }[]; additions: { path: string; n: number }[] }
  >()
  for (const path of paths) {
    const parsed = parseDayPath(path)
    if (!parsed || parsed.type !== contentType || parsed.day !== day) continue
    let files = found.get(parsed.format)
    if (!files) found.set(parsed.format, (files = { parts: [], additions: [] }))
    if (parsed.addition === undefined) files.parts.push({ path, n: parsed.part ?? 0 })
    else files.additions.push({ path, n: parsed.addition })
  }
  const inOrder = (entries: { path: string; n: number }[]) =>
    entries.sort((a, b) => a.n - b.n).map((entry) => entry.path)
  return new Map(
    [...found].map(([format, files]) => [format, { parts: inOrder(files.parts), additions: inOrder(files.additions) }])
  )
}

/** The canonical files of a day in a format (see `findDayFilesByFormat`). */
export function findDayFiles(
  paths: Iterable<string>,
  contentType: ContentType,
  day: string,
  format: FormatName
): string[] {
  return findDayFilesByFormat(paths, contentType, day).get(format)?.parts ?? []
}

/**
 * The days of each content type that are not in their canonical layout alone: days with
 * additions or key files, in any format (the days a settling compacts or lets go of keys).
 */
export function daysWithAdditionsOrKeys(paths: Iterable<string>): { type: ContentType; day: string }[] {
  const seen = new Map<string, { type: ContentType; day: string }>()
  for (const path of paths) {
    const parsed = path.startsWith(KEYS_FOLDER)
      ? path.endsWith('.keys')
        ? parseDayPath(`audit/${path.slice(KEYS_FOLDER.length, -'.keys'.length)}`)
        : undefined
      : parseDayPath(path)
    if (!parsed || (parsed.addition === undefined && !path.startsWith(KEYS_FOLDER))) continue
    seen.set(`${parsed.type} ${parsed.day}`, { type: parsed.type as ContentType, day: parsed.day })
  }
  return [...seen.values()]
}

/** The number of an addition (`<day>.added-<n>.<format>`), or undefined when the path is none. */
export function additionNumber(path: string): number | undefined {
  return parseDayPath(path)?.addition
}

/** Whether a path is an addition of a day, in any format. */
export function isAddition(path: string): boolean {
  return additionNumber(path) !== undefined
}

/** Where key files live (`keyFilePath`). */
export const KEYS_FOLDER = 'state/keys/'

/** Whether a path is a key file (`keyFilePath`). */
export function isKeyFile(path: string): boolean {
  return path.startsWith(KEYS_FOLDER) && path.endsWith('.keys')
}
