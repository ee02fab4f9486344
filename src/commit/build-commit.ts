import type { BranchFiles, FileChanges } from '../branch/branch-files.js'
import { coverage, coverageEndDay } from '../branch/coverage.js'
import { renderCoverageSvg } from '../branch/coverage-chart.js'
import { isGraphLedgerEmpty, renderGraphLedger, type GraphLedgerUpdate } from '../branch/graph-ledger.js'
import {
  allFailures,
  applyHeldDays,
  applyUpdates,
  emptyLedger,
  parseLedger,
  redactLedger,
  renderLedger,
  type Ledger,
  type LedgerUpdate
} from '../branch/ledger.js'
import { parseManifest, renderManifest } from '../branch/manifest.js'
import { COVERAGE_CHART_PATH, LEDGER_PATH, MANIFEST_PATH, README_PATH } from '../branch/paths.js'
import { BRANCH_COVERAGE_DAYS, isGeneratedBranchReadme, renderBranchReadme } from '../branch/readme.js'
import type { ContentType } from '../record/content-types.js'
import { describeUnlistedDayFiles } from '../snapshot/describe-day-file.js'
import { commitMessage } from './commit-message.js'
import { emptyCommitReport, type CommitReport } from './commit-report.js'
import { mergeDays, withHeldFilesGone, type DayMergeInput } from './merge-days.js'

/** Everything needed to turn what a pass collected into file changes on a given branch tip. */
export interface CommitInput extends DayMergeInput {
  /** What the pass adds to the ledger, per content type (none for a pass that only imports). */
  updates: readonly LedgerUpdate[]
  /** What the pass did with Graph audit log queries, when it ran any. */
  graphUpdate?: GraphLedgerUpdate | undefined
  branch: string
  /**
   * Coverage alone moves every run; it is committed without new data only once it falls
   * behind by this much (a scheduled run's look-back), so quiet hours make no commits.
   */
  coverageSlackMs: number
  runUrl?: string | undefined
  /** Replaces every value the run masked in the ledger's text (its error messages are saved on the branch). */
  redact?: ((text: string) => string) | undefined
}

/**
 * Merges collected rows into the day files of the branch tip, and updates the ledger and
 * the manifest to match, all for one commit: state never moves ahead of data.
 * Returns undefined when nothing worth a commit changed. `report` receives the figures of
 * the last build (the one that is committed).
 */
export async function buildCommit(
  files: BranchFiles,
  input: CommitInput,
  report: (report: CommitReport) => void
): Promise<FileChanges | undefined> {
  const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8')
  const manifest = parseManifest(manifestText)
  const days = await mergeDays(files, manifest, input)
  const changed = days.changed

  // Read as text too: the ledger is written again only when its text would change.
  const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8')
  const ledger = ledgerText === undefined ? emptyLedger() : parseLedger(ledgerText, LEDGER_PATH)
  const updated = applyUpdates(ledger, input.updates, input.now, undefined, input.graphUpdate)
  const held = applyHeldDays(updated.ledger, withHeldFilesGone(updated.ledger, files, days.heldDays), input.now)
  // Error messages are saved on the branch: no value the run masked goes with them.
  const nextLedger = input.redact ? redactLedger(held.ledger, input.redact) : held.ledger
  const changes = { ...updated.changes, recovered: [...updated.changes.recovered, ...held.recovered] }
  const failures = { ...changes, open: allFailures(nextLedger) }
  const nextLedgerText = renderLedger(nextLedger)
  // A pass that collected nothing from the API (an import alone) leaves the ledger as it is,
  // but for the days it could not merge: it records API collection, and imported records
  // come from no blob.
  const collected = input.updates.length > 0 || input.graphUpdate !== undefined
  const heldChanged = days.heldDays.held.length > 0 || held.recovered.length > 0
  if (
    (collected || heldChanged) &&
    nextLedgerText !== ledgerText &&
    (changed.size > 0 || heldChanged || ledgerWorthCommitting(ledger, nextLedger, input))
  ) {
    changed.set(LEDGER_PATH, nextLedgerText)
  }
  // Coverage as the branch will hold it: the manifest with this build's days, the ledger as
  // committed (or as it stands, when this build leaves it).
  const committedLedger = changed.has(LEDGER_PATH) ? nextLedger : ledger
  // A commit describes the day files the manifest lost (before the coverage, which counts them).
  if (changed.size > 0) await describeUnlistedDayFiles(files, manifest, (path) => changed.get(path) === null, input.dir)
  const branchCoverage = coverage(manifest, committedLedger, coverageEndDay(manifest, input.now), BRANCH_COVERAGE_DAYS)
  if (changed.size === 0) {
    report(emptyCommitReport(failures, branchCoverage))
    return undefined
  }
  const nextManifestText = renderManifest(manifest)
  if (nextManifestText !== manifestText) changed.set(MANIFEST_PATH, nextManifestText)
  // The README and its chart show dates, so they ride along with commits made for data or
  // state, never make one of their own; built on each attempt's tip, they match its files.
  if (isGeneratedBranchReadme((await files.read(README_PATH))?.toString('utf8'))) {
    changed.set(README_PATH, renderBranchReadme(input.branch, branchCoverage))
    changed.set(COVERAGE_CHART_PATH, renderCoverageSvg(branchCoverage))
  }

  const recordsAdded = days.added.reduce((sum, entry) => sum + entry.records, 0)
  const built: CommitReport = {
    recordsAdded,
    added: days.added,
    compacted: days.compacted,
    settled: days.settled,
    filesChanged: days.filesChanged,
    derived: days.derived,
    failures,
    coverage: branchCoverage
  }
  report(built)
  return {
    files: changed,
    message: commitMessage(built, input.runUrl),
    alongside: new Set([README_PATH, COVERAGE_CHART_PATH])
  }
}

function ledgerWorthCommitting(before: Ledger, after: Ledger, input: CommitInput): boolean {
  // Graph's queries running, waiting and failed are what the next run starts from, and what
  // it submitted counts against the tenant's allowance for a day.
  if ((input.graphUpdate?.submitted ?? 0) > 0) return true
  const graphState = (ledger: Ledger): string => {
    if (!ledger.graph) return ''
    const state = renderGraphLedger({ ...ledger.graph, submissions: [] })
    return isGraphLedgerEmpty(state) ? '' : JSON.stringify(state)
  }
  if (graphState(before) !== graphState(after)) return true
  for (const [type, entry] of Object.entries(after.contentTypes)) {
    const previous = before.contentTypes[type as ContentType]
    if (!previous) return true
    if (JSON.stringify([entry.failed, entry.gaps]) !== JSON.stringify([previous.failed, previous.gaps])) return true
    if (JSON.stringify(entry.fetched) !== JSON.stringify(previous.fetched)) return true
    if (entry.coveredUntil !== previous.coveredUntil) {
      const covered = previous.coveredUntil ? Date.parse(previous.coveredUntil) : 0
      if (covered < input.now.getTime() - input.coverageSlackMs) return true
    }
  }
  return false
}
