import * as core from '@actions/core'
import { planTableRows } from './plan/render-plan.js'
import type { Plan } from './plan/segments.js'
import type { SyncResult } from './sync.js'
import type { SyncProgress } from './run-state.js'
import { cell } from './report/failure-issue-text.js'
import type { ImportReport } from './import/import-exports.js'
import { COVERAGE_LEGEND, coverageTableRows, lastDays, type TypeCoverage } from './report/coverage.js'
import type { SnapshotReport } from './snapshot/build-changes.js'

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

/** Where a run's results are: the data branch, its commits and the failure issue. */
export interface RunLinks {
  /** The data branch's name, and its page when the GitHub web root is known. */
  branch: { name: string; url?: string }
  /** A commit's page, when the GitHub web root is known. */
  commitUrl: (sha: string) => string | undefined
  /** The failure issue as the run left it, when there is one. */
  issue?: { url: string; number: number; open: boolean }
}

/** Days of coverage the job summary shows at a glance. */
export const SUMMARY_COVERAGE_DAYS = 7

/**
 * The summary of a sync: what was listed, records added per content type and day, the
 * commit, the last 7 days' coverage of the branch, and failures.
 */
export async function writeSyncSummary(result: SyncResult, headline: string, links: RunLinks): Promise<void> {
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
    writeAddedTable(summary, report.added)
    summary.addRaw(result.commitSha ? `Commit: ${commitLink(result.commitSha, links)}` : 'No commit: nothing new.', true)
    writeLinks(summary, links)
    writeCoverage(summary, report.coverage)
    writeFailures(summary, report.failures)
  })
}

/**
 * The summary of a run that stopped part-way: why, in which step, what it had done by then
 * (listed, downloaded, committed), and where to look next.
 */
export async function writeStoppedSummary(reason: string, progress: SyncProgress | undefined, headline: string, links: RunLinks): Promise<void> {
  await writeSummary((summary) => {
    summary.addHeading('m365-audit-sync: stopped', 2)
    summary.addRaw(`The run stopped ${progress ? `while ${STEPS[progress.step]}` : 'before it collected anything'}: ${escapeHtml(reason)}`, true)
    if (progress?.plan) summary.addRaw(headline, true)
    if (progress) {
      const { stats, imported } = progress
      const parts = [
        ...(imported ? [`read ${imported.records} records from Purview exports`] : []),
        ...(progress.windowsTotal > 0
          ? [
              `listed ${stats.windowsListed} of ${progress.windowsTotal} windows (${stats.blobsListed} blobs)`,
              `downloaded ${stats.blobsDownloaded} blobs with ${stats.recordsReceived} records`
            ]
          : [])
      ]
      if (parts.length > 0) summary.addRaw(`Before it stopped, the run ${parts.join(', ')}.`, true)
    }
    const commits = progress?.commits ?? []
    if (commits.length === 0) {
      summary.addRaw('Nothing was committed: the data branch is as it was, and the next run starts from there.', true)
    } else {
      const added = progress?.report?.recordsAdded ?? 0
      summary.addRaw(
        `Committed before it stopped: ${added} new records in ${commits.length} commit(s), kept; the next run goes on from there. ` +
          commits.map((sha) => commitLink(sha, links)).join(' '),
        true
      )
      writeAddedTable(summary, progress?.report?.added ?? [])
    }
    writeLinks(summary, links)
    if (commits.length > 0 && progress?.report) writeCoverage(summary, progress.report.coverage)
  })
}

/** How the summary of a stopped run names the step it stopped in. */
const STEPS: Record<SyncProgress['step'], string> = {
  'import files': 'checking the files to import',
  plan: 'reading the data branch to plan',
  subscriptions: 'checking the subscriptions',
  import: 'importing Purview exports',
  collect: 'listing and downloading content',
  commit: 'committing to the data branch'
}

/** Records added per content type and day. */
function writeAddedTable(summary: typeof core.summary, added: SnapshotReport['added']): void {
  if (added.length === 0) return
  summary.addTable([
    [
      { data: 'content type', header: true },
      { data: 'day (UTC)', header: true },
      { data: 'records added', header: true }
    ],
    ...added.map((entry) => [entry.type, entry.day, String(entry.records)])
  ])
}

/** The data branch and the failure issue. */
function writeLinks(summary: typeof core.summary, links: RunLinks): void {
  const issue = links.issue
    ? `; failure issue ${link(`#${links.issue.number}`, links.issue.url)}${links.issue.open ? '' : ' (closed: every failed window recovered)'}`
    : ''
  summary.addRaw(`Data branch: ${link(links.branch.name, links.branch.url)}${issue}.`, true)
}

/** A commit's page, or its sha. */
function commitLink(sha: string, links: RunLinks): string {
  const url = links.commitUrl(sha)
  return url ? link(sha.slice(0, 7), url) : sha
}

/**
 * An HTML link (the summary mixes HTML tables and text lines, and Markdown is not read right
 * after an HTML block), or the text alone without an address.
 */
function link(text: string, url: string | undefined): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text)
}

/** Text (an error message, say) safe to put among the summary's HTML. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** The branch's last 7 days per content type: records, failing windows, gaps. */
function writeCoverage(summary: typeof core.summary, coverage: readonly TypeCoverage[]): void {
  if (coverage.length === 0) return
  const [header = [], ...rows] = coverageTableRows(lastDays(coverage, SUMMARY_COVERAGE_DAYS))
  summary.addHeading(`Coverage of the data branch, last ${SUMMARY_COVERAGE_DAYS} days`, 3)
  summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
  summary.addRaw(COVERAGE_LEGEND, true)
}

/** New gaps, recovered windows and the windows still failing. */
function writeFailures(summary: typeof core.summary, failures: SnapshotReport['failures']): void {
  const { open, recovered, newGaps } = failures
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
