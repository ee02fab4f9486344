import {
  collect,
  emptyCollectionStats,
  type ActivitySource,
  type Collection,
  type CollectionStats,
  type ListingTask,
  type TaskFailure
} from './collect/collect.js'
import { ensureSubscriptions } from './collect/subscriptions.js'
import { commitFiles } from './github/commit-files.js'
import type { GitDatabase } from './github/git-database.js'
import type { ActivityClient } from './m365/activity-client.js'
import { planRun } from './plan/plan-run.js'
import { describePlan } from './plan/render-plan.js'
import type { Plan } from './plan/segments.js'
import { withProgress } from './report/progress.js'
import { addStats, progressCounts, progressOf, SyncStopped, type RunState } from './run-state.js'
import { rowPayloads } from './snapshot/row-payload.js'
import { buildSnapshotChanges, type SnapshotReport } from './snapshot/build-changes.js'
import { Spool } from './snapshot/spool.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Settings } from './settings.js'
import { optional } from './util/optional.js'
import { compileFilter } from './filter/record-filter.js'
import { ExportImport, prepareImport, type ExportFile, type ImportReport } from './import/import-exports.js'
import { allFailures, type Ledger } from './state/ledger.js'
import { readLedger } from './state/read-ledger.js'

/** The outside world of a run, passed in so the run can be tested against fakes. */
export interface SyncDependencies {
  /** A folder for the run's scratch files (RUNNER_TEMP on a runner); the run removes what it makes. */
  tempDir: string
  /** Where `import` patterns are resolved (GITHUB_WORKSPACE on a runner). */
  workspace: string
  api: ActivitySource & Pick<ActivityClient, 'listSubscriptions' | 'startSubscription'>
  git: GitDatabase
  now: () => Date
  log: (message: string) => void
  group: <T>(name: string, work: () => Promise<T>) => Promise<T>
  runUrl?: string
  /** Cut a day's snapshot into parts above this size (a test hook; MAX_DAY_FILE_BYTES otherwise). */
  maxPartBytes?: number
  /** Log progress this often while importing, collecting and committing (a test hook; every 30 s otherwise). */
  progressEveryMs?: number
}

/** What a run did. */
export interface SyncResult {
  plan: Plan
  /** Windows of earlier runs retried by this one. */
  retried: number
  stats: CollectionStats
  /** Windows that failed in this run, after retries. */
  failures: TaskFailure[]
  report: SnapshotReport
  /** What the import of Purview exports did, when the run imported. */
  imported?: ImportReport
  commitSha?: string
  commitAttempts: number
}

/**
 * One sync: read the branch's state, plan from it (failed windows first), make sure
 * subscriptions exist, collect, and commit data, ledger and manifest together.
 * A run that fails throws SyncStopped, which carries what it did before it stopped.
 */
export async function sync(settings: Settings, deps: SyncDependencies): Promise<SyncResult> {
  const state: RunState = { step: 'import files', windowsTotal: 0, done: emptyCollectionStats(), commits: [] }
  try {
    return await syncSteps(settings, deps, state)
  } catch (error) {
    throw new SyncStopped(error, progressOf(state))
  }
}

async function syncSteps(settings: Settings, deps: SyncDependencies, state: RunState): Promise<SyncResult> {
  const { git, log, group } = deps
  // Exports are checked first: a file that is not one fails the run before any request.
  const exports =
    settings.importPatterns.length === 0
      ? []
      : await group('Import files', async () => {
          const files = await prepareImport(settings.importPatterns, deps.workspace)
          for (const file of files) log(`${file.shown}: a ${file.format} Purview audit export.`)
          return files
        })
  state.step = 'plan'
  const { plan, ledger, tasks, retried } = await group('Plan', async () => {
    const current = await readLedger(git, settings.dataBranch)
    const planned = planRun(settings, current, deps.now())
    log(describePlan(planned.plan, settings.contentTypes))
    if (planned.retried > 0) log(`Retrying ${planned.retried} window(s) that failed in earlier runs first.`)
    for (const note of planned.plan.notes) log(note)
    return { ...planned, ledger: current }
  })
  state.plan = plan
  state.windowsTotal = tasks.length

  // A run that only imports needs no subscription (nor a token).
  if (settings.contentTypes.length > 0) {
    state.step = 'subscriptions'
    await group('Subscriptions', async () => {
      const outcomes = await ensureSubscriptions(deps.api, settings.contentTypes)
      const describe = {
        enabled: 'subscription enabled',
        'already-enabled': 'subscription enabled',
        started: 'subscription started now (content can take up to 12 hours to appear)',
        'start-throttled': 'subscription start refused for now (one start per 15 minutes); listing anyway'
      } as const
      for (const [type, outcome] of outcomes) log(`${type}: ${describe[outcome]}`)
    })
  }

  // Scratch space for the collected rows and the files of each commit attempt: the branch is
  // the only truth, so whatever happens here is removed when the run ends.
  const scratch = await mkdtemp(join(deps.tempDir, 'm365-audit-sync-'))
  try {
    return await collectAndCommit(settings, deps, { plan, ledger, tasks, retried, scratch, exports }, state)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function collectAndCommit(
  settings: Settings,
  deps: SyncDependencies,
  planned: { plan: Plan; ledger: Ledger; tasks: ListingTask[]; retried: number; scratch: string; exports: readonly ExportFile[] },
  state: RunState
): Promise<SyncResult> {
  const { git, log, group } = deps
  const { plan, ledger, tasks, retried, scratch, exports } = planned
  const filter = compileFilter(settings.filter)
  let report: SnapshotReport = {
    recordsAdded: 0,
    added: [],
    filesChanged: 0,
    usageDays: [],
    failures: { open: allFailures(ledger), recovered: [], newGaps: [] },
    coverage: []
  }
  // Rows travel in the payload of the day files' format, whether imported or downloaded.
  const payloads = rowPayloads(settings.format)
  const importing = exports.length > 0 ? new ExportImport(exports, { ...optional('filter', filter), encode: payloads.fromFields, log }) : undefined
  if (importing) state.importing = importing
  const stats = state.done
  const failures: TaskFailure[] = []
  let commitSha: string | undefined
  let commitAttempts = 0
  let remaining = tasks
  let tipLedger = ledger
  // Usually one pass; a run that imports or collects more than records-per-commit commits
  // what it holds and goes on with the rows or windows it has not read yet, on top of its own
  // commit. A long run says how far it got every 30 s.
  await withProgress(
    () => progressCounts(state),
    log,
    async () => {
      for (let pass = 1; remaining.length > 0 || (importing && !importing.done) || pass === 1; pass++) {
        const suffix = pass === 1 ? '' : ` (part ${pass})`
        const spool = await Spool.create(join(scratch, `spool-${pass}`))
        // The exports come first, before any download: a file that turns out not to be valid
        // CSV fails the run before anything is downloaded (or, within records-per-commit, committed).
        if (importing && !importing.done) {
          state.step = 'import'
          const done = await group(`Import${suffix}`, () => importing.fill(spool, settings.recordsPerCommit))
          const { report: read } = importing
          log(
            `${done ? 'Imported' : 'Read so far'}: ${read.records} records from ${read.rows} rows of ${exports.length} file(s)` +
              `${read.filtered > 0 ? `, ${read.filtered} left out by the filters` : ''}; ${read.badRows} bad row(s).`
          )
          if (!done) log(`Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before reading on.`)
        }
        // Windows are listed once every export is read: a pass that commits imported records
        // alone leaves the windows, and the ledger, for the next. A run that only imports lists none.
        const listing = settings.contentTypes.length > 0 && (!importing || importing.done)
        if (listing) {
          state.step = 'collect'
          state.current = emptyCollectionStats()
        }
        const live = state.current
        const collection = !listing
          ? noCollection(remaining)
          : await group(`Collect${suffix}`, () =>
              collect({
                source: deps.api,
                spool,
                tasks: remaining,
                range: { from: plan.from, to: plan.to },
                ledger: tipLedger,
                concurrency: settings.concurrency,
                ...optional('filter', filter),
                maxRecords: settings.recordsPerCommit,
                encodeRecord: payloads.fromBlob,
                log,
                ...optional('stats', live)
              })
            )
        addStats(stats, collection.stats)
        delete state.current
        failures.push(...collection.failures)
        remaining = collection.remaining
        const part = collection.stats
        if (listing) {
          log(
            `Listed ${part.tasks} windows (${part.pages} pages, ${part.blobsListed} blobs); downloaded ${part.blobsDownloaded} blobs ` +
              `(${part.blobsSkipped} already collected, ${part.blobsExpired} expired), ${part.recordsReceived} records` +
              `${filter ? ` (${part.recordsFiltered} left out by the filters)` : ''}; ` +
              `${collection.failures.length} window(s) failed.`
          )
        }
        if (listing && remaining.length > 0) {
          log(`Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before the ${remaining.length} window(s) left.`)
        }

        state.step = 'commit'
        const committed = await group(`Commit${suffix}`, async () => {
          let built: SnapshotReport | undefined
          const result = await commitFiles({
            git,
            branch: settings.dataBranch,
            log,
            afterAttempt: (attempt) => rm(join(scratch, `commit-${pass}-${attempt}`), { recursive: true, force: true }),
            build: (files, attempt) =>
              buildSnapshotChanges(
                files,
                {
                  collection,
                  spool,
                  dir: join(scratch, `commit-${pass}-${attempt}`),
                  branch: settings.dataBranch,
                  format: settings.format,
                  now: deps.now(),
                  usage: settings.usage,
                  coverageSlackMs: settings.window.mode === 'scheduled' && remaining.length === 0 ? settings.window.lookbackMs : 0,
                  ...optional('runUrl', deps.runUrl),
                  ...optional('maxFileBytes', deps.maxPartBytes)
                },
                (last) => (built = last)
              )
          })
          log(
            result.status === 'committed'
              ? `Committed ${result.commitSha} to '${settings.dataBranch}' (${result.changedPaths.length} files, attempt ${result.attempts}).`
              : `Nothing new for '${settings.dataBranch}'; no commit.`
          )
          if (built) report = pass === 1 ? built : combineReports(report, built)
          state.report = report
          return result
        })
        await spool.remove()
        commitAttempts += committed.attempts
        if (committed.status === 'committed') {
          commitSha = committed.commitSha
          state.commits.push(committed.commitSha)
        }
        if (remaining.length > 0) tipLedger = await readLedger(git, settings.dataBranch)
      }
    },
    deps.progressEveryMs
  )

  return { plan, retried, stats, failures, report, ...optional('imported', importing?.report), ...optional('commitSha', commitSha), commitAttempts }
}

/** A pass that lists nothing: the windows wait for the next pass. */
function noCollection(remaining: ListingTask[]): Collection {
  return { updates: [], failures: [], stats: emptyCollectionStats(), remaining }
}


/** One entry per content type and day, whichever commits of the run added to it. */
function mergeAdded(entries: SnapshotReport['added']): SnapshotReport['added'] {
  const byDay = new Map<string, SnapshotReport['added'][number]>()
  for (const entry of entries) {
    const key = `${entry.type}|${entry.day}`
    const known = byDay.get(key)
    byDay.set(key, known ? { ...entry, records: known.records + entry.records } : entry)
  }
  return [...byDay.values()].sort((a, b) => (a.type + a.day < b.type + b.day ? -1 : 1))
}

/** The report of a run that committed in parts: additions add up; failures are the last commit's. */
function combineReports(earlier: SnapshotReport, later: SnapshotReport): SnapshotReport {
  return {
    recordsAdded: earlier.recordsAdded + later.recordsAdded,
    added: mergeAdded([...earlier.added, ...later.added]),
    filesChanged: earlier.filesChanged + later.filesChanged,
    usageDays: [...new Set([...earlier.usageDays, ...later.usageDays])].sort(),
    failures: {
      open: later.failures.open,
      recovered: [...earlier.failures.recovered, ...later.failures.recovered],
      newGaps: [...earlier.failures.newGaps, ...later.failures.newGaps]
    },
    coverage: later.coverage
  }
}
