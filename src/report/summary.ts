import type { GraphStats } from '../graph/graph-collect.js'
import { countNoun } from '../util/count-text.js'
import type { CollectionStats } from '../collect/collect.js'
import type { CommitReport } from '../commit/commit-report.js'
import type { ImportReport } from '../import/import-exports.js'
import { planTableRows } from '../plan/render-plan.js'
import type { Plan } from '../plan/windows.js'
import { COVERAGE_LEGEND, coverageTableRows, lastDays, type TypeCoverage } from '../branch/coverage.js'
import { GAP_COLUMNS, gapRows, GAPS_ADVICE, GAPS_TITLE } from './gaps.js'
import { cell, escapeHtml, headerRow, link, MAX_TABLE_ROWS, SummaryText } from './markup.js'
import type { SyncProgress, SyncStep } from './progress.js'
import type { IssueOutcome } from './failure-issue.js'

/** Where a run's results are: the data branch, its commits and the failure issue. */
export interface RunLinks {
  /** The data branch's name, and its page when the GitHub web root is known. */
  branch: { name: string; url?: string | undefined }
  /** A commit's page, when the GitHub web root is known. */
  commitUrl: (sha: string) => string | undefined
  /** The failure issue as the run left it, when there is one. */
  issue?: { url: string; number: number; open: boolean } | undefined
}

/**
 * The links of a run: the data branch and its commits on the repository's web pages (when
 * the web root is known: not on every GitHub Enterprise Server), and the failure issue.
 */
export function runLinks(
  webRoot: string | undefined,
  repository: { owner: string; repo: string },
  branch: string,
  issue: IssueOutcome | undefined
): RunLinks {
  const root = webRoot ? `${webRoot}/${repository.owner}/${repository.repo}` : undefined
  return {
    branch: { name: branch, url: root ? `${root}/tree/${encodeURI(branch)}` : undefined },
    commitUrl: (sha) => (root ? `${root}/commit/${sha}` : undefined),
    issue:
      issue && issue.action !== 'none'
        ? { url: issue.url, number: issue.number, open: issue.action !== 'closed' }
        : undefined
  }
}

/** What a finished sync did, as its summary shows it. */
export interface SyncOutcome {
  stats: CollectionStats
  report: CommitReport
  imported?: ImportReport | undefined
  commitSha?: string | undefined
  /** What the run did with Graph audit log queries, when it used them. */
  graph?: GraphStats | undefined
}

/** The log line of a run's Graph work. */
export function describeGraphStats(stats: GraphStats): string {
  return (
    `Graph: ${`${stats.submitted} ${stats.submitted === 1 ? 'query' : 'queries'}`} submitted` +
    `${stats.throttled > 0 ? ` (${stats.throttled} refused for throttling)` : ''}, ` +
    `${countNoun(stats.collected, 'window')} read (${stats.settled} settled), ${stats.records} records kept` +
    `${stats.skipped > 0 ? ` (${stats.skipped} of other content types or left out by the filters)` : ''}; ` +
    `${stats.pending} still running (the next run adopts them), ${stats.queued} waiting, ${stats.failed} failed.`
  )
}

/** Days of coverage the job summary shows at a glance. */
export const SUMMARY_COVERAGE_DAYS = 7

/** The dry-run summary: what the run would list (no table for a run that only imports). */
export function renderPlanSummary(plan: Plan, headline: string, notes: readonly string[], listing: boolean): string {
  const summary = new SummaryText().heading('m365-audit-sync: plan (dry run)', 2).line(headline)
  // Notes name files and windows from the workspace and the ledger: text, not markup.
  if (notes.length > 0) summary.list(notes.map(escapeHtml))
  if (!listing) return summary.toString()
  const [header = [], ...rows] = planTableRows(plan)
  return summary.table([headerRow(...header), ...rows]).toString()
}

/**
 * The summary of a sync: what was listed, records added per content type and day, the
 * commit, the last 7 days' coverage of the branch, and failures.
 */
export function renderSyncSummary(outcome: SyncOutcome, headline: string, links: RunLinks): string {
  const summary = new SummaryText().heading('m365-audit-sync', 2).line(headline)
  const { stats, report, imported } = outcome
  const filtered = stats.recordsFiltered > 0 ? ` (${stats.recordsFiltered} left out by the filters)` : ''
  summary.line(
    `Listed ${stats.blobsListed} blobs on ${stats.pages} pages, downloaded ${stats.blobsDownloaded}, ` +
      `received ${stats.recordsReceived} records${filtered}; ${report.recordsAdded} new records in ${report.filesChanged} files.`
  )
  if (imported) writeImport(summary, imported)
  if (outcome.graph) summary.line(escapeHtml(describeGraphStats(outcome.graph)))
  for (const derived of report.derived) {
    if (derived.days.length > 0)
      summary.line(
        `${derived.title} (${derived.folder}) recomputed for ${derived.days.length} day(s): ${derived.days.join(', ')}.`
      )
  }
  if (report.compacted.length > 0)
    summary.line(
      `Compacted ${report.compacted.length} settled day(s) into their parts: ${report.compacted.join(', ')}.`
    )
  writeAdded(summary, report.added)
  summary.line(outcome.commitSha ? `Commit: ${commitLink(outcome.commitSha, links)}` : 'No commit: nothing new.')
  writeLinks(summary, links)
  writeCoverage(summary, report.coverage)
  writeFailures(summary, report.failures)
  return summary.toString()
}

/**
 * The summary of a run that stopped part-way: why, in which step, what it had done by then
 * (listed, downloaded, committed), and where to look next.
 */
export function renderStoppedSummary(
  reason: string,
  progress: SyncProgress | undefined,
  headline: string,
  links: RunLinks
): string {
  const summary = new SummaryText().heading('m365-audit-sync: stopped', 2)
  summary.line(
    `The run stopped ${progress ? `while ${STEPS[progress.step]}` : 'before it collected anything'}: ${escapeHtml(reason)}`
  )
  if (progress?.plan) summary.line(headline)
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
    if (parts.length > 0) summary.line(`Before it stopped, the run ${parts.join(', ')}.`)
  }
  const commits = progress?.commits ?? []
  if (commits.length === 0) {
    summary.line('Nothing was committed: the data branch is as it was, and the next run starts from there.')
  } else {
    const added = progress?.report?.recordsAdded ?? 0
    summary.line(
      `Committed before it stopped: ${added} new records in ${commits.length} commit(s), kept; the next run goes on from there. ` +
        commits.map((sha) => commitLink(sha, links)).join(' ')
    )
    writeAdded(summary, progress?.report?.added ?? [])
  }
  writeLinks(summary, links)
  if (commits.length > 0 && progress?.report) writeCoverage(summary, progress.report.coverage)
  return summary.toString()
}

/** How the summary of a stopped run names the step it stopped in. */
const STEPS: Record<SyncStep, string> = {
  'import files': 'checking the files to import',
  plan: 'reading the data branch to plan',
  subscriptions: 'checking the subscriptions',
  import: 'importing Purview exports',
  query: 'running Microsoft Graph audit log queries',
  collect: 'listing and downloading content',
  commit: 'committing to the data branch'
}

/** Records added per content type and day. */
function writeAdded(summary: SummaryText, added: CommitReport['added']): void {
  if (added.length === 0) return
  summary.table([
    headerRow('content type', 'day (UTC)', 'records added'),
    ...added.map((entry) => [entry.type, entry.day, String(entry.records)])
  ])
}

/** The data branch and the failure issue. */
function writeLinks(summary: SummaryText, links: RunLinks): void {
  const issue = links.issue
    ? `; failure issue ${link(`#${links.issue.number}`, links.issue.url)}${links.issue.open ? '' : ' (closed: every failed window recovered)'}`
    : ''
  summary.line(`Data branch: ${link(links.branch.name, links.branch.url)}${issue}.`)
}

/** A commit's page, or its sha. */
function commitLink(sha: string, links: RunLinks): string {
  const url = links.commitUrl(sha)
  return url ? link(sha.slice(0, 7), url) : sha
}

/** The branch's last 7 days per content type: records, failing windows, gaps. */
function writeCoverage(summary: SummaryText, coverage: readonly TypeCoverage[]): void {
  if (coverage.length === 0) return
  const [header = [], ...rows] = coverageTableRows(lastDays(coverage, SUMMARY_COVERAGE_DAYS))
  summary.heading(`Coverage of the data branch, last ${SUMMARY_COVERAGE_DAYS} days`, 3)
  summary.table([headerRow(...header), ...rows])
  summary.line(COVERAGE_LEGEND)
}

/** New gaps, recovered windows and the windows still failing. */
function writeFailures(summary: SummaryText, failures: CommitReport['failures']): void {
  const { open, recovered, newGaps } = failures
  if (newGaps.length > 0) {
    summary.heading(GAPS_TITLE, 3).line(GAPS_ADVICE)
    summary.table([headerRow(...GAP_COLUMNS), ...gapRows(newGaps)])
  }
  if (recovered.length > 0) summary.line(`Recovered ${recovered.length} window(s) that failed in earlier runs.`)
  if (open.length > 0) {
    summary.heading('Failed windows', 3)
    summary.table([
      headerRow('content type', 'window (UTC)', 'error', 'failed runs'),
      ...open
        .slice(0, MAX_TABLE_ROWS)
        // Ledger text: a hand-edited ledger is text from outside too.
        .map((failure) => [
          cell(failure.type),
          cell(`${failure.start} to ${failure.end}`),
          cell(failure.code),
          String(failure.attempts)
        ])
    ])
  }
}

/** The import: per file what it held, then the bad rows with file and line. */
function writeImport(summary: SummaryText, imported: ImportReport): void {
  summary.heading('Imported Purview exports', 3)
  summary.table([
    headerRow('file', 'format', 'rows', 'records', 'left out by filters', 'bad rows'),
    ...imported.files.map((file) => [
      cell(file.file),
      file.format,
      String(file.rows),
      String(file.records),
      String(file.filtered),
      String(file.bad)
    ])
  ])
  if (imported.badRows === 0) return
  const listed = Math.min(imported.bad.length, MAX_TABLE_ROWS)
  summary.heading('Rows not imported', 3)
  summary.line(
    `${imported.badRows} row(s) were not imported${imported.badRows > listed ? `; the first ${listed} are listed` : ''}. ` +
      'Fix them in the file (or export the time range again) and run the import again: rows already imported are not added twice.'
  )
  summary.table([
    headerRow('file:line', 'reason'),
    ...imported.bad.slice(0, listed).map((row) => [cell(`${row.file}:${row.line}`), cell(row.reason)])
  ])
}

/** The retention pass's line, as a paragraph of the job summary. */
export function renderRetentionSummary(line: string): string {
  return `<p>${escapeHtml(line)}</p>`
}
