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

/** The day file's text: RFC 4180 (CRLF, quotes only where needed), UTF-8, header row. */
export function renderDayFile(rows: readonly SnapshotRow[]): string {
  return stringify([...rows], {
    header: true,
    columns: [...SNAPSHOT_COLUMNS],
    record_delimiter: 'windows',
    // csv-stringify quotes a field holding the record delimiter (CRLF), not a lone LF or CR;
    // RFC 4180 readers such as DuckDB then split the record. Values like ObjectId can hold one.
    quoted_match: /[\r\n]/
  })
}

/**
 * Reads a day file back, with a real CSV parser: AuditData holds quotes and commas, and
 * other columns may hold newlines. Refuses a file whose header is not ours rather than
 * guessing, because rewriting it would lose whatever columns it had.
 */
export function parseDayFile(text: string, path: string): SnapshotRow[] {
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
