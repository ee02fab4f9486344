import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { Column, SNAPSHOT_COLUMNS, type SnapshotRow } from '../m365/audit-record.js'

/**
 * A day file's rows, keyed by record Id. Merging new rows into what the branch already
 * holds keeps the first copy of each Id: a record is the same event whichever blob or run
 * delivered it.
 */
export function mergeRows(existing: readonly SnapshotRow[], incoming: Iterable<SnapshotRow>): { rows: SnapshotRow[]; added: number } {
  const byId = new Map<string, SnapshotRow>()
  for (const row of existing) byId.set(row[Column.Id] ?? '', row)
  let added = 0
  for (const row of incoming) {
    const id = row[Column.Id] ?? ''
    if (byId.has(id)) continue
    byId.set(id, row)
    added++
  }
  return { rows: sortRows([...byId.values()]), added }
}

/** Rows in file order: by CreationTime, then Id, so the same records give the same bytes. */
export function sortRows(rows: SnapshotRow[]): SnapshotRow[] {
  return rows.sort((a, b) => compare(a[Column.CreationTime], b[Column.CreationTime]) || compare(a[Column.Id], b[Column.Id]))
}

function compare(a = '', b = ''): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const CSV_OPTIONS = {
  columns: [...SNAPSHOT_COLUMNS],
  record_delimiter: 'windows',
  // csv-stringify quotes a field holding the record delimiter (CRLF), not a lone LF or CR;
  // RFC 4180 readers such as DuckDB then split the record. Values like ObjectId can hold one.
  quoted_match: /[\r\n]/
} as const

const HEADER = Buffer.from(stringify([], { ...CSV_OPTIONS, header: true }), 'utf8')

/**
 * One row's CSV line as UTF-8 bytes. Rendering row by row into bytes keeps memory flat:
 * stringifying a whole day at once builds a rope of every escaped field before joining it,
 * several times the size of the file (measured by `npm run bench`), and a string of
 * non-ASCII text takes two bytes a character where UTF-8 mostly takes one.
 */
function renderLine(row: SnapshotRow): Buffer {
  return Buffer.from(stringify([row], CSV_OPTIONS), 'utf8')
}

/** The day file: RFC 4180 (CRLF, quotes only where needed), UTF-8, header row. */
export function renderDayFile(rows: readonly SnapshotRow[]): Buffer {
  return Buffer.concat([HEADER, ...rows.map(renderLine)])
}

/** One file of a day's snapshot: its bytes and the rows it holds. */
export interface DayFilePart {
  bytes: Buffer
  rows: SnapshotRow[]
}

/**
 * A day's rows as one file, or, when that would exceed `maxBytes`, as consecutive parts that
 * each stay within it (each with the header, so every part reads on its own). Filling parts
 * in row order keeps the split a function of the rows alone: the same records always give
 * the same parts. A single row larger than `maxBytes` gets a part of its own.
 */
export function renderDayFileParts(rows: readonly SnapshotRow[], maxBytes: number): DayFilePart[] {
  const parts: DayFilePart[] = []
  let lines: Buffer[] = []
  let partRows: SnapshotRow[] = []
  let bytes = HEADER.byteLength
  const flush = (): void => {
    parts.push({ bytes: Buffer.concat([HEADER, ...lines]), rows: partRows })
    lines = []
    partRows = []
    bytes = HEADER.byteLength
  }
  for (const row of rows) {
    const line = renderLine(row)
    if (partRows.length > 0 && bytes + line.byteLength > maxBytes) flush()
    lines.push(line)
    partRows.push(row)
    bytes += line.byteLength
  }
  if (partRows.length > 0 || parts.length === 0) flush()
  return parts
}

/**
 * Reads a day file back, with a real CSV parser: AuditData holds quotes and commas, and
 * other columns may hold newlines. Refuses a file whose header is not ours rather than
 * guessing, because rewriting it would lose whatever columns it had.
 */
export function parseDayFile(text: string | Buffer, path: string): SnapshotRow[] {
  const records = parse(text, { bom: true, relax_column_count: false }) as string[][]
  const [header, ...rows] = records
  if (!header || header.join(',') !== SNAPSHOT_COLUMNS.join(',')) {
    throw new Error(
      `${path} on the data branch does not start with the expected header (${SNAPSHOT_COLUMNS.join(',')}); ` +
        `move or delete it, then run again.`
    )
  }
  return rows
}
