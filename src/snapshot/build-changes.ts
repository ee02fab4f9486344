import { join } from 'node:path'
import type { Collection } from '../collect/collect.js'
import type { ContentType } from '../config/content-types.js'
import type { BranchFiles, FileChanges, FileContent } from '../github/commit-files.js'
import {
  allFailures,
  applyUpdates,
  emptyLedger,
  parseLedger,
  renderLedger,
  type FailedSegment,
  type FailureChanges,
  type Ledger
} from '../state/ledger.js'
import { parseManifest, renderManifest, type SnapshotFormat } from '../state/manifest.js'
import { renderUsageCsv, DayUsageCounter } from '../usage/usage-file.js'
import { usagePath } from '../usage/power-apps-usage.js'
import { coverage, coverageEndDay, renderCoverageSvg, type TypeCoverage } from '../report/coverage.js'
import { BRANCH_COVERAGE_DAYS, isGeneratedBranchReadme, renderBranchReadme } from './branch-readme.js'
import { mergeDay } from './merge-day.js'
import { COVERAGE_CHART_PATH, LEDGER_PATH, MANIFEST_PATH, README_PATH } from './paths.js'
import type { Spool } from './spool.js'
import type { SpooledRow } from './spooled-row.js'

/** The content type that carries Power Apps launches. */
const USAGE_CONTENT_TYPE: ContentType = 'Audit.General'

/**
 * A day's snapshot larger than this is split into parts. GitHub warns about files over
 * 50 MB and refuses them over 100 MB, and its Git Data API has been measured to refuse
 * blobs of 40 MiB; smaller files also stay quick to fetch one by one (raw URLs, the
 * contents API) and to read back and merge on the next run.
 */
export const MAX_DAY_FILE_BYTES = 32 * 1024 * 1024

/** What one commit adds, for the message, the outputs and the summary. */
export interface SnapshotReport {
  recordsAdded: number
  /** Records added per content type and day, and the day's files (one, or its parts). */
  added: { type: ContentType; day: string; records: number; paths: string[] }[]
  /** Data files written or removed (a day re-split into parts changes several). */
  filesChanged: number
  /** Days whose Power Apps usage file was written (or removed, the day having no launch left). */
  usageDays: string[]
  /** Failed windows open in the committed ledger (all content types), and what changed. */
  failures: FailureChanges & { open: (FailedSegment & { type: ContentType })[] }
  /**
   * What the branch holds after this build (or as it is, when nothing is committed): the
   * last 30 days per content type, as the branch README shows them.
   */
  coverage: TypeCoverage[]
}

/** Everything needed to turn a collection into file changes on a given branch tip. */
export interface SnapshotInput {
  collection: Pick<Collection, 'updates'>
  /** The collected rows, by content type and day. */
  spool: Spool
  /** A fresh temp folder for this build's files (removed by the caller after the commit attempt). */
  dir: string
  branch: string
  /** The format days are written in (default csv); a day in the other one is converted when written. */
  format?: SnapshotFormat
  now: Date
  /**
   * Coverage alone moves every run; it is committed without new data only once it falls
   * behind by this much (a scheduled run's look-back), so quiet hours make no commits.
   */
  coverageSlackMs: number
  runUrl?: string
  /** Split a day's snapshot into parts above this size (default MAX_DAY_FILE_BYTES). */
  maxFileBytes?: number
  /** Recompute the Power Apps usage file of every Audit.General day that gets new rows (default true). */
  usage?: boolean
}

/**
 * Merges collected rows into the day files of the branch tip, and updates the ledger and
 * the manifest to match, all for one commit: state never moves ahead of data.
 * Returns undefined when nothing worth a commit changed. `report` receives the figures of
 * the last build (the one that is committed).
 */
export async function buildSnapshotChanges(
  files: BranchFiles,
  input: SnapshotInput,
  report: (report: SnapshotReport) => void
): Promise<FileChanges | undefined> {
  const changed = new Map<string, FileContent | null>()
  const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8')
  const manifest = parseManifest(manifestText)
  const added: SnapshotReport['added'] = []
  const usageDays: string[] = []
  let filesChanged = 0

  for (const [index, day] of input.spool.entries().entries()) {
    // Launches are in Audit.General; their usage is counted from the whole merged day, so
    // that late events and imports keep it exact. A day the branch holds without a usage file
    // (written before usage existed) gets one when a run brings it records, even known ones.
    const usage = input.usage !== false && day.type === USAGE_CONTENT_TYPE ? new DayUsageCounter(day.day, input.format ?? 'csv') : undefined
    const usageFile = usagePath(day.day)
    const merge = await mergeDay({
      type: day.type,
      day: day.day,
      branch: files,
      manifest,
      incoming: input.spool.read(day.type, day.day),
      firstIncomingTime: day.firstTime,
      dir: join(input.dir, `day-${index + 1}`),
      maxPartBytes: input.maxFileBytes ?? MAX_DAY_FILE_BYTES,
      format: input.format ?? 'csv',
      ...(usage ? { observe: (row: SpooledRow) => usage.observe(row), observeUnchanged: !files.has(usageFile) } : {})
    })
    if (usage && (merge.added > 0 || !files.has(usageFile))) {
      if (usage.usage.launches > 0) changed.set(usageFile, renderUsageCsv(usage.usage.rows()))
      else if (files.has(usageFile)) changed.set(usageFile, null)
      if (changed.has(usageFile)) usageDays.push(day.day)
    }
    if (merge.added === 0) continue
    for (const [path, content] of merge.files) changed.set(path, content)
    for (const [path, entry] of merge.manifest) {
      if (entry) manifest.files[path] = entry
      else delete manifest.files[path]
    }
    filesChanged += merge.files.size
    added.push({ type: day.type, day: day.day, records: merge.added, paths: merge.paths })
  }

  const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8')
  const ledger = ledgerText === undefined ? emptyLedger() : parseLedger(ledgerText, LEDGER_PATH)
  const { ledger: nextLedger, changes } = applyUpdates(ledger, input.collection.updates, input.now)
  const failures = { ...changes, open: allFailures(nextLedger) }
  const nextLedgerText = renderLedger(nextLedger)
  // A run that collected nothing from the API (an import alone) leaves the ledger as it is:
  // it records API collection, and imported records come from no blob.
  const collected = input.collection.updates.length > 0
  if (collected && nextLedgerText !== ledgerText && (changed.size > 0 || ledgerWorthCommitting(ledger, nextLedger, input))) {
    changed.set(LEDGER_PATH, nextLedgerText)
  }
  // Coverage as the branch will hold it: the manifest with this build's days, the ledger as
  // committed (or as it stands, when this build leaves it).
  const branchCoverage = coverage(manifest, changed.has(LEDGER_PATH) ? nextLedger : ledger, coverageEndDay(manifest, input.now), BRANCH_COVERAGE_DAYS)
  if (changed.size === 0) {
    report({ recordsAdded: 0, added: [], filesChanged: 0, usageDays: [], failures, coverage: branchCoverage })
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

  const recordsAdded = added.reduce((sum, entry) => sum + entry.records, 0)
  report({ recordsAdded, added, filesChanged, usageDays, failures, coverage: branchCoverage })
  return {
    files: changed,
    message: commitMessage(recordsAdded, added, usageDays, failures, input.runUrl),
    alongside: new Set([README_PATH, COVERAGE_CHART_PATH])
  }
}

function ledgerWorthCommitting(before: Ledger, after: Ledger, input: SnapshotInput): boolean {
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

function commitMessage(
  recordsAdded: number,
  added: SnapshotReport['added'],
  usageDays: readonly string[],
  failures: SnapshotReport['failures'],
  runUrl: string | undefined
): string {
  const perType = new Map<string, number>()
  for (const entry of added) perType.set(entry.type, (perType.get(entry.type) ?? 0) + entry.records)
  const days = [...new Set(added.map((entry) => entry.day))].sort()
  const title =
    recordsAdded > 0
      ? `audit-sync: +${recordsAdded} record${recordsAdded === 1 ? '' : 's'} (${[...perType].map(([type, n]) => `${type} ${n}`).join(', ')})`
      : usageDays.length > 0
        ? `audit-sync: Power Apps usage of ${usageDays.length} day${usageDays.length === 1 ? '' : 's'}`
        : 'audit-sync: update coverage ledger'
  const lines = [title, '']
  if (days.length > 0) lines.push(`Days: ${days.join(', ')}`)
  for (const entry of added) {
    const where = entry.paths.length === 1 ? entry.paths[0] : `${entry.type} ${entry.day} (${entry.paths.length} parts)`
    lines.push(`- ${where}: +${entry.records}`)
  }
  if (usageDays.length > 0) lines.push(`Power Apps usage recomputed: ${usageDays.join(', ')}`)
  if (failures.recovered.length > 0) lines.push(`Recovered ${failures.recovered.length} failed window(s).`)
  if (failures.open.length > 0) lines.push(`Failed windows still open: ${failures.open.length} (retried by the next run).`)
  if (failures.newGaps.length > 0) lines.push(`New gaps (content the API no longer serves): ${failures.newGaps.length}.`)
  if (runUrl) lines.push('', `Run: ${runUrl}`)
  return `${lines.join('\n').trimEnd()}\n`
}
