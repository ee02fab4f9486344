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
 * day, or `<YYYY-MM-DD>.<part>.<format>` (part 1, 2, …) for a day too large for one file.
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
