import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream'
import { parse } from 'csv-parse'
import { detectExportFormat, EXPECTED_HEADERS, explainEncoding, type ExportLayout } from './export-format.js'

/** A file given to `import` that cannot be imported; the message names it and says what to do. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImportFileError'
  }
}

/** One data row of an export: its fields and the line of the file it starts on. */
export interface ExportRow {
  line: number
  fields: string[]
}

/** An export opened past its header. */
export interface OpenExport {
  layout: ExportLayout
  /** The data rows, streamed; read once. The file is closed when they end or the loop stops early. */
  rows: AsyncGenerator<ExportRow>
  /** Closes the file without reading the rows. */
  close(): void
}

/**
 * Opens an export and reads its header, streaming the file through csv-parse: quoted fields
 * may hold commas, doubled quotes and CR, LF or CRLF line breaks (a pretty-printed
 * AuditData spans many lines), rows may end in CRLF or LF, a UTF-8 byte order mark is
 * dropped. A `#TYPE …` line (PowerShell's Export-Csv) or `sep=,` line (Excel) before the
 * header is skipped. `shown` is how messages name the file.
 *
 * Throws ImportFileError for a file that is not an audit export (empty, UTF-16, a workbook,
 * another header) and, while rows are read, for one that is not valid CSV (a quote never
 * closed: a file cut off); a row that is valid CSV but not a valid record is the caller's.
 */
export async function openExport(file: string, shown: string): Promise<OpenExport> {
  await checkStart(file, shown)
  const parser = parse({
    bom: true,
    raw: true,
    relax_column_count: true,
    // Either ending, even mixed in one file (csv-parse would otherwise take the first row's).
    record_delimiter: ['\r\n', '\n'],
    // A quote never closed would otherwise hold the rest of the file as one field.
    max_record_size: MAX_EXPORT_RECORD_CHARS
  })
  pipeline(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), parser, () => {
    // Errors reach the reader through the parser, which the pipeline destroys with them.
  })
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; raw: string }>
  // csv-parse's own line count counts a CRLF inside a quoted field twice: lines are counted
  // here, from each row's raw text.
  let line = 1
  const next = async (): Promise<{ row: ExportRow; raw: string } | undefined> => {
    let result: IteratorResult<{ record: string[]; raw: string }>
    try {
      result = await records.next()
    } catch (error) {
      if ((error as { code?: string }).code === 'CSV_MAX_RECORD_SIZE')
        throw new ImportFileError(
          `${shown}:${line}: a row runs past ${MAX_EXPORT_RECORD_CHARS / 1024 ** 2} MiB, far beyond any audit record: a quote opened there is likely never closed. ` +
            `Was the file edited by hand? Export it again from Microsoft Purview.`
        )
      throw new ImportFileError(
        `${shown}:${line}: not valid CSV (${(error as Error).message}). Was the file cut off or edited by hand? Export it again from Microsoft Purview.`
      )
    }
    if (result.done) return undefined
    const row = { line, fields: result.value.record }
    line += lineBreaks(result.value.raw)
    return { row, raw: result.value.raw }
  }

  let first = await next()
  while (first && /^(#TYPE\b|sep=)/i.test(first.row.fields[0] ?? '')) first = await next()
  const layout = first ? detectExportFormat(first.row.fields) : undefined
  if (!first || !layout) {
    parser.destroy()
    const seen = first ? `its header is '${first.raw.trim().slice(0, 120)}'` : 'it has no header row'
    throw new ImportFileError(
      `${shown} is not a Microsoft Purview audit log export: ${seen}; expected ${EXPECTED_HEADERS}. ` +
        `Export the audit search from Microsoft Purview as CSV, or leave this file out of 'import'.`
    )
  }

  async function* rows(): AsyncGenerator<ExportRow> {
    try {
      for (let entry = await next(); entry; entry = await next()) yield entry.row
    } finally {
      parser.destroy()
    }
  }
  return { layout, rows: rows(), close: () => parser.destroy() }
}

const READ_CHUNK_BYTES = 1024 * 1024

/**
 * The longest row an export may have, in characters. An audit record's AuditData is a few
 * kilobytes, rarely a few hundred; the bound only stops one open quote from holding the rest
 * of a file of gigabytes in memory.
 */
export const MAX_EXPORT_RECORD_CHARS = 8 * 1024 * 1024

/** Refuses files whose first bytes show they cannot be a UTF-8 CSV export. */
async function checkStart(file: string, shown: string): Promise<void> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new ImportFileError(`${shown} cannot be read (${error.code ?? error.message}).`)
  })
  try {
    const start = Buffer.alloc(4)
    const { bytesRead } = await handle.read(start, 0, 4, 0)
    if (bytesRead === 0)
      throw new ImportFileError(
        `${shown} is empty, not a Microsoft Purview audit log export; leave it out of 'import'.`
      )
    const problem = explainEncoding(start.subarray(0, bytesRead))
    if (problem) throw new ImportFileError(`${shown} cannot be imported: ${problem}.`)
  } finally {
    await handle.close()
  }
}

/** Line breaks in a row's raw text (CRLF, LF or a lone CR each end one line), its own ending included. */
export function lineBreaks(raw: string): number {
  let count = 0
  for (let at = raw.indexOf('\n'); at >= 0; at = raw.indexOf('\n', at + 1)) count++
  for (let at = raw.indexOf('\r'); at >= 0; at = raw.indexOf('\r', at + 1)) if (raw.charCodeAt(at + 1) !== 0x0a) count++
  return count
}
