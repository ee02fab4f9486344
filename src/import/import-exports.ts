import type { ContentType } from '../config/content-types.js'
import type { RecordMatcher } from '../filter/record-filter.js'
import { dayOf } from '../snapshot/row.js'
import type { Spool } from '../snapshot/spool.js'
import type { ExportFormat } from './export-format.js'
import { findExports, type ExportPath } from './find-exports.js'
import { importRecord } from './import-record.js'
import { openExport } from './read-export.js'

/** An export checked to be one, ready to import. */
export interface ExportFile extends ExportPath {
  format: ExportFormat
}

/** A row that could not be imported, and why. */
export interface BadRow {
  file: string
  line: number
  reason: string
}

/** What importing one file did. */
export interface ExportFileReport {
  file: string
  format: ExportFormat
  /** Data rows read (blank lines not counted). */
  rows: number
  /** Rows that became records (copies included: the merge drops those the branch or another row holds). */
  records: number
  filtered: number
  bad: number
}

/** What an import did, for the log, the summary and the outputs. */
export interface ImportReport {
  files: ExportFileReport[]
  rows: number
  records: number
  filtered: number
  /** Bad rows in all. */
  badRows: number
  /** The first MAX_BAD_ROWS_KEPT of them, with file and line. */
  bad: BadRow[]
  /** Records per content type. */
  byType: Partial<Record<ContentType, number>>
}

/** How many bad rows a report keeps in detail; the count goes on. */
export const MAX_BAD_ROWS_KEPT = 200
/** How many bad rows the log shows one by one. */
const MAX_BAD_ROWS_LOGGED = 50

/**
 * Finds the files the patterns match and reads each one's header, before anything else of
 * the run happens: a file that is not an audit export fails the run here, with its name and
 * what was expected, before any request or commit.
 */
export async function prepareImport(patterns: readonly string[], workspace: string): Promise<ExportFile[]> {
  const files: ExportFile[] = []
  for (const found of await findExports(patterns, workspace)) {
    const opened = await openExport(found.path, found.shown)
    opened.close()
    files.push({ ...found, format: opened.layout.format })
  }
  return files
}

/**
 * Streams every row of the exports into the spool, each record to its content type and UTC
 * day, through the run's filter: memory holds a row at a time, whatever the files' size.
 * A row that is not a record (wrong field count, AuditData not a JSON object, no
 * CreationTime) is counted and reported with its file and line, never dropped silently.
 */
export async function importExports(options: {
  files: readonly ExportFile[]
  spool: Spool
  filter?: RecordMatcher
  log?: (message: string) => void
}): Promise<ImportReport> {
  const { spool, filter, log } = options
  const report: ImportReport = { files: [], rows: 0, records: 0, filtered: 0, badRows: 0, bad: [], byType: {} }
  for (const file of options.files) {
    const { layout, rows } = await openExport(file.path, file.shown)
    const counts: ExportFileReport = { file: file.shown, format: layout.format, rows: 0, records: 0, filtered: 0, bad: 0 }
    const bad = (line: number, reason: string): void => {
      counts.bad++
      report.badRows++
      if (report.bad.length < MAX_BAD_ROWS_KEPT) report.bad.push({ file: file.shown, line, reason })
      if (report.badRows <= MAX_BAD_ROWS_LOGGED) log?.(`${file.shown}:${line}: bad row, not imported: ${reason}.`)
    }
    for await (const { line, fields } of rows) {
      if (fields.length === 1 && fields[0] === '') continue
      counts.rows++
      if (fields.length !== layout.columns) {
        bad(line, `${fields.length} fields where the header has ${layout.columns}`)
        continue
      }
      const outcome = importRecord(fields[layout.auditData] ?? '', filter)
      if (outcome.kind === 'bad') bad(line, outcome.reason)
      else if (outcome.kind === 'filtered') counts.filtered++
      else {
        spool.add(outcome.type, dayOf(outcome.row.time), outcome.row)
        counts.records++
        report.byType[outcome.type] = (report.byType[outcome.type] ?? 0) + 1
        if (counts.records % SPILL_CHECK_ROWS === 0) await spool.spillIfFull()
      }
    }
    await spool.spillIfFull()
    report.files.push(counts)
    report.rows += counts.rows
    report.records += counts.records
    report.filtered += counts.filtered
    log?.(
      `${file.shown} (${layout.format} export): ${counts.rows} rows, ${counts.records} records` +
        `${counts.filtered > 0 ? `, ${counts.filtered} left out by the filters` : ''}${counts.bad > 0 ? `, ${counts.bad} bad rows` : ''}.`
    )
  }
  if (report.badRows > MAX_BAD_ROWS_LOGGED) log?.(`... ${report.badRows - MAX_BAD_ROWS_LOGGED} more bad rows; the job summary lists the first ${MAX_BAD_ROWS_KEPT}.`)
  return report
}

/** Rows between two checks of the spool's memory budget (the check is cheap, an await per row is not). */
const SPILL_CHECK_ROWS = 256
