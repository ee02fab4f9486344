import * as core from '@actions/core'
import { planTableRows } from './plan/render-plan.js'
import type { Plan } from './plan/segments.js'
import type { SyncResult } from './sync.js'
import { cell } from './report/failure-issue-text.js'
import type { ImportReport } from './import/import-exports.js'

/** Writes the job summary, when the runner provides one (local runs may not). */
async function writeSummary(build: (summary: typeof core.summary) => void): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  build(core.summary)
  await core.summary.write()
}

/** The dry-run summary: what the run would list (no table for a run that only imports). */
export async function writePlanSummary(plan: Plan, headline: string, notes: readonly string[], listing = true): Promise<void> {
  await writeSummary((summary) => {
    summary.addHeading('m365-audit-sync: plan (dry run)', 2).addRaw(headline, true)
    if (notes.length > 0) summary.addList([...notes])
    if (!listing) return
    const [header = [], ...rows] = planTableRows(plan)
    summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
  })
}

/** The summary of a sync: records added per content type and day, and the commit. */
export async function writeSyncSummary(result: SyncResult, headline: string, commitUrl: string | undefined): Promise<void> {
  await writeSummary((summary) => {
    summary.addHeading('m365-audit-sync', 2).addRaw(headline, true)
    const { stats, report, imported } = result
    const filtered = stats.recordsFiltered > 0 ? ` (${stats.recordsFiltered} left out by the filters)` : ''
    summary.addRaw(
      `Listed ${stats.blobsListed} blobs on ${stats.pages} pages, downloaded ${stats.blobsDownloaded}, ` +
        `received ${stats.recordsReceived} records${filtered}; ${report.recordsAdded} new records in ${report.filesChanged} files.`,
      true
    )
    if (imported) writeImportSummary(summary, imported)
    if (report.usageDays.length > 0) {
      summary.addRaw(`Power Apps usage (usage/power-apps/) recomputed for ${report.usageDays.length} day(s): ${report.usageDays.join(', ')}.`, true)
    }
    if (report.added.length > 0) {
      summary.addTable([
        [
          { data: 'content type', header: true },
          { data: 'day (UTC)', header: true },
          { data: 'records added', header: true }
        ],
        ...report.added.map((entry) => [entry.type, entry.day, String(entry.records)])
      ])
    }
    summary.addRaw(commitUrl ? `Commit: ${commitUrl}` : 'No commit: nothing new.', true)
    const { open, recovered, newGaps } = report.failures
    if (newGaps.length > 0) {
      summary.addHeading('Gaps the API can no longer fill', 3)
      summary.addRaw('Export these times from Microsoft Purview (Audit > Search > Export) to fill them.', true)
      summary.addTable([
        [
          { data: 'content type', header: true },
          { data: 'time (UTC)', header: true },
          { data: 'reason', header: true }
        ],
        ...newGaps.slice(0, 50).map((gap) => [gap.type, gap.start === gap.end ? gap.start : `${gap.start} to ${gap.end}`, gap.reason])
      ])
    }
    if (recovered.length > 0) summary.addRaw(`Recovered ${recovered.length} window(s) that failed in earlier runs.`, true)
    if (open.length > 0) {
      summary.addHeading('Failed windows', 3)
      summary.addTable([
        [
          { data: 'content type', header: true },
          { data: 'window (UTC)', header: true },
          { data: 'error', header: true },
          { data: 'failed runs', header: true }
        ],
        ...open.slice(0, 50).map((failure) => [failure.type, `${failure.start} to ${failure.end}`, cell(failure.code), String(failure.attempts)])
      ])
    }
  })
}

/** The import: per file what it held, then the bad rows with file and line. */
function writeImportSummary(summary: typeof core.summary, imported: ImportReport): void {
  summary.addHeading('Imported Purview exports', 3)
  summary.addTable([
    ['file', 'format', 'rows', 'records', 'left out by filters', 'bad rows'].map((data) => ({ data, header: true })),
    ...imported.files.map((file) => [cell(file.file), file.format, String(file.rows), String(file.records), String(file.filtered), String(file.bad)])
  ])
  if (imported.badRows === 0) return
  const listed = Math.min(imported.bad.length, MAX_BAD_ROWS_IN_SUMMARY)
  summary.addHeading('Rows not imported', 3)
  summary.addRaw(
    `${imported.badRows} row(s) were not imported${imported.badRows > listed ? `; the first ${listed} are listed` : ''}. ` +
      'Fix them in the file (or export the time range again) and run the import again: rows already imported are not added twice.',
    true
  )
  summary.addTable([
    [
      { data: 'file:line', header: true },
      { data: 'reason', header: true }
    ],
    ...imported.bad.slice(0, listed).map((row) => [cell(`${row.file}:${row.line}`), cell(row.reason)])
  ])
}

/** Bad rows listed in the summary; the count says how many more there are. */
const MAX_BAD_ROWS_IN_SUMMARY = 50
