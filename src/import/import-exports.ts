import type { ContentType } from '../record/content-types.js'
import type { RecordMatcher } from '../record/filter.js'
import { dayOf } from '../record/columns.js'
import type { Spool } from '../snapshot/spool.js'
import type { ExportFormat } from './export-format.js'
import { findExports, type ExportPath } from './find-exports.js'
import { importRecord } from './import-record.js'
import { openExport, type ExportRow } from './read-export.js'

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
 * Streams the rows of the exports into a spool, each record to its content type and UTC
 * day, through the run's filter: memory holds a row at a time, whatever the files' size.
 * A row that is not a record (wrong field count, AuditData not a JSON object, no
 * CreationTime) is counted and reported with its file and line, never dropped silently.
 *
 * Reading can stop once a spool holds enough rows for one commit and go on into the next
 * spool from the row where it stopped (`fill`), so that records-per-commit holds for imports
 * as it does for collection.
 */
export class ExportImport {
  readonly report: ImportReport = { files: [], rows: 0, records: 0, filtered: 0, badRows: 0, bad: [], byType: {} }
  private next = 0
  private current:
    | {
        file: ExportFile
        rows: AsyncGenerator<ExportRow>
        columns: number
        auditData: number
        counts: ExportFileReport
      }
    | undefined

  constructor(
    private readonly exports: readonly ExportFile[],
    private readonly options: {
      /** How a row's fields become its payload: the day files' format's. */
      encode: (fields: readonly Uint8Array[]) => Buffer
      filter?: RecordMatcher | undefined
      log?: ((message: string) => void) | undefined
    }
  ) {}

  /** How many files are imported. */
  get files(): number {
    return this.exports.length
  }

  /** Whether every row of every file has been read. */
  get done(): boolean {
    return this.current === undefined && this.next >= this.exports.length
  }

  /**
   * Reads rows into `spool` until every file is read or, with `maxRecords`, until the spool
   * holds that many rows. Returns whether every file is read.
   */
  async fill(spool: Spool, maxRecords = Infinity): Promise<boolean> {
    try {
      while (!this.done && spool.rows < maxRecords) {
        const current = this.current ?? (await this.open())
        const next = await current.rows.next()
        if (next.done) this.finishFile(current)
        else if (this.take(current, next.value, spool) && current.counts.records % SPILL_CHECK_ROWS === 0)
          await spool.spillIfFull()
      }
    } catch (error) {
      await this.current?.rows.return(undefined)
      throw error
    }
    await spool.spillIfFull()
    if (this.done && this.report.badRows > MAX_BAD_ROWS_LOGGED) {
      this.options.log?.(
        `... ${this.report.badRows - MAX_BAD_ROWS_LOGGED} more bad rows; the job summary lists the first ${MAX_BAD_ROWS_KEPT}.`
      )
    }
    return this.done
  }

  private async open(): Promise<NonNullable<ExportImport['current']>> {
    const file = this.exports[this.next++]!
    const { layout, rows } = await openExport(file.path, file.shown)
    this.current = {
      file,
      rows,
      columns: layout.columns,
      auditData: layout.auditData,
      counts: { file: file.shown, format: layout.format, rows: 0, records: 0, filtered: 0, bad: 0 }
    }
    return this.current
  }

  /** Handles one row; true when it became a record in the spool. */
  private take(current: NonNullable<ExportImport['current']>, { line, fields }: ExportRow, spool: Spool): boolean {
    const { counts } = current
    if (fields.length === 1 && fields[0] === '') return false
    counts.rows++
    this.report.rows++
    if (fields.length !== current.columns) {
      this.bad(current, line, `${fields.length} fields where the header has ${current.columns}`)
      return false
    }
    const outcome = importRecord(fields[current.auditData] ?? '', this.options.encode, this.options.filter)
    if (outcome.kind === 'bad') this.bad(current, line, outcome.reason)
    else if (outcome.kind === 'filtered') {
      counts.filtered++
      this.report.filtered++
    } else {
      spool.add(outcome.type, dayOf(outcome.row.time), outcome.row)
      counts.records++
      this.report.records++
      this.report.byType[outcome.type] = (this.report.byType[outcome.type] ?? 0) + 1
      return true
    }
    return false
  }

  private bad(current: NonNullable<ExportImport['current']>, line: number, reason: string): void {
    current.counts.bad++
    this.report.badRows++
    if (this.report.bad.length < MAX_BAD_ROWS_KEPT) this.report.bad.push({ file: current.file.shown, line, reason })
    if (this.report.badRows <= MAX_BAD_ROWS_LOGGED)
      this.options.log?.(`${current.file.shown}:${line}: bad row, not imported: ${reason}.`)
  }

  private finishFile(current: NonNullable<ExportImport['current']>): void {
    const { counts } = current
    this.report.files.push(counts)
    this.current = undefined
    this.options.log?.(
      `${counts.file} (${counts.format} export): ${counts.rows} rows, ${counts.records} records` +
        `${counts.filtered > 0 ? `, ${counts.filtered} left out by the filters` : ''}${counts.bad > 0 ? `, ${counts.bad} bad rows` : ''}.`
    )
  }
}

/** Rows between two checks of the spool's memory budget (the check is cheap, an await per row is not). */
const SPILL_CHECK_ROWS = 256
