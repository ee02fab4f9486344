/**
 * The orchestrator: one sync, step by step (inputs are read and the clients wired by
 * main.ts). Check the exports to import → plan from the data branch's ledger → make sure the
 * subscriptions exist → in passes of at most `records-per-commit` records: import, collect,
 * commit data, ledger and manifest together. And the dry run: the plan alone.
 */
import { describeErasure, filesBefore, retentionCutoffDay } from './branch/retention.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import type { Settings } from './action/settings.js'
import type { GitDatabase } from './github/git-database.js'
import { allFailures, type Ledger } from './branch/ledger.js'
import {
  addStats,
  collect,
  emptyCollectionStats,
  type ActivitySource,
  type Collection,
  type CollectionStats,
  type ListingFailure
} from './collect/collect.js'
import { ensureSubscriptions, type SubscriptionApi } from './collect/subscriptions.js'
import type { GraphLedgerUpdate } from './branch/graph-ledger.js'
import { graphWorkLeft, submissionsLeft } from './branch/graph-ledger.js'
import { collectFromGraph, type GraphStats } from './graph/graph-collect.js'
import { planGraphQueries, selectionOf, type GraphPlan, type GraphPlanContext } from './graph/graph-plan.js'
import { DEFAULT_QUERY_LIMITS, type AuditQueryApi } from './graph/query-runner.js'
import { GRAPH_SETTLE_MS, type QueryFilters } from './graph/query-windows.js'
import { splitScope, stillListable } from './plan/sources.js'
import { describeGraphPlan } from './plan/render-plan.js'
import { buildCommit } from './commit/build-commit.js'
import { combineCommitReports, emptyCommitReport, type CommitReport } from './commit/commit-report.js'
import { commitFiles, type CommitResult } from './commit/commit-files.js'
import { readBranchLedger } from './github/branch-tip.js'
import { ExportImport, prepareImport, type ExportFile } from './import/import-exports.js'
import type { ListingWindow } from './plan/listing-window.js'
import { planRun } from './plan/plan-run.js'
import { previewRun, type BranchLedger } from './plan/preview.js'
import { describePlan, renderPlanTable } from './plan/render-plan.js'
import type { Plan } from './plan/windows.js'
import { compileFilter, filterDigest, type RecordMatcher } from './record/filter.js'
import { withProgress, type ProgressCounts, type SyncProgress } from './report/progress.js'
import { describeGraphStats, renderPlanSummary, type SyncOutcome } from './report/summary.js'
import type { DayObserver } from './snapshot/day-observer.js'
import { snapshotFormat } from './snapshot/format/formats.js'
import type { SnapshotFormat } from './snapshot/format/snapshot-format.js'
import { Spool } from './snapshot/spool.js'
import { powerAppsUsageObserver } from './usage/power-apps-observer.js'
import { errorMessage } from './util/error-message.js'

/** The outside world of a sync, passed in so that it runs the same against fakes. */
export interface SyncDependencies {
  /** A folder for the run's scratch files (RUNNER_TEMP on a runner); the run removes what it makes. */
  tempDir: string
  /** Where `import` patterns are resolved (GITHUB_WORKSPACE on a runner). */
  workspace: string
  api: ActivitySource & SubscriptionApi
  git: GitDatabase
  now: () => Date
  log: (message: string) => void
  /** Text with every value the run masked replaced (for the ledger, which is saved on the branch). */
  redact?: ((text: string) => string) | undefined
  /** A warning annotation (the log, unless given): what a run repaired or could not do. */
  warn?: ((message: string, title?: string) => void) | undefined
  group: <T>(name: string, work: () => Promise<T>) => Promise<T>
  runUrl?: string | undefined
  /** Cut a day's snapshot into parts above this size (MAX_DAY_FILE_BYTES unless a test says). */
  maxPartBytes?: number | undefined
  /** Log progress this often while importing, collecting and committing (every 30 s unless a test says). */
  progressEveryMs?: number | undefined
  /** Told before a day file of the branch is read back (the run's memory policy, see main.ts). */
  onReadBack?: ((format: SnapshotFormat) => void) | undefined
  /** How long after its end a day settles (SETTLE_AFTER_MS unless a test says). */
  settleAfterMs?: number | undefined
  /** Microsoft Graph's audit log queries, for `source: graph` or `auto`. */
  graph?: AuditQueryApi | undefined
  /** Waits between status polls of Graph queries (a timer unless a test says). */
  sleep?: ((ms: number) => Promise<void>) | undefined
  /** First and longest wait between status polls of a Graph query (5 s and 2 min unless a test says). */
  graphPollMs?: { first: number; max: number } | undefined
  /** How long a run waits for its Graph queries (`graph-wait` unless a test says). */
  graphWaitMs?: number | undefined
  /** How long after its end a Graph window settles (GRAPH_SETTLE_MS unless a test says). */
  graphSettleMs?: number | undefined
}

/** What a sync did. */
export interface SyncResult extends SyncOutcome {
  plan: Plan
  /** Windows that failed in this run, after retries. */
  failures: ListingFailure[]
}

/** A sync that stopped part-way: the error (`cause`), and what the run did before. */
export class SyncStopped extends Error {
  constructor(
    cause: unknown,
    readonly progress: SyncProgress
  ) {
    super(errorMessage(cause), { cause })
    this.name = 'SyncStopped'
  }
}

/**
 * One sync: read the branch's state, plan from it (failed windows first), make sure
 * subscriptions exist, collect, and commit data, ledger and manifest together.
 * A run that fails throws SyncStopped, which carries what it did before it stopped.
 */
export async function sync(settings: Settings, deps: SyncDependencies): Promise<SyncResult> {
  const run = new SyncRun(settings, deps)
  try {
    return await run.steps()
  } catch (error) {
    throw new SyncStopped(error, run.progress())
  }
}

/** What a pass collected, or an empty collection of a pass that listed nothing. */
function noCollection(remaining: ListingWindow[]): Collection {
  return { updates: [], failures: [], stats: emptyCollectionStats(), remaining }
}

/** A sync under way: its steps, and how far it got. */
class SyncRun {
  private step: SyncProgress['step'] = 'import files'
  private plan: Plan | undefined
  private windowsTotal = 0
  /** Counts of the passes done, and of the pass under way. */
  private readonly done = emptyCollectionStats()
  private current: CollectionStats | undefined
  private readonly commits: string[] = []
  private report: CommitReport | undefined
  private importing: ExportImport | undefined
  private graphPlan: GraphPlan | undefined
  private graphStats: GraphStats | undefined
  private readonly format: SnapshotFormat
  private readonly filter: RecordMatcher | undefined
  /** Text with every value the run masked replaced (none when the caller masks nothing). */
  private readonly redact: (text: string) => string

  constructor(
    private readonly settings: Settings,
    private readonly deps: SyncDependencies
  ) {
    this.redact = deps.redact ?? ((text) => text)
    this.format = snapshotFormat(settings.format)
    this.filter = compileFilter(settings.filter)
  }

  async steps(): Promise<SyncResult> {
    const { deps } = this
    // Exports are checked first: a file that is not one fails the run before any request.
    const exports = await this.checkExports()
    this.step = 'plan'
    const { plan, windows, ledger, graphPlan } = await deps.group('Plan', () => this.planFromBranch())
    this.plan = plan
    this.windowsTotal = windows.length
    this.graphPlan = graphPlan
    // A run that only imports, or only queries Graph, needs no subscription.
    if (this.listsManagementApi(plan)) {
      this.step = 'subscriptions'
      await deps.group('Subscriptions', () => this.ensureSubscriptions())
    }
    // Scratch space for the collected rows and the files of each commit attempt: the branch is
    // the only truth, so whatever happens here is removed when the run ends.
    const scratch = await mkdtemp(join(deps.tempDir, 'm365-audit-sync-'))
    try {
      return await withProgress(
        () => this.counts(),
        deps.log,
        () => this.passes(plan, windows, ledger, exports, scratch),
        deps.progressEveryMs
      )
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }

  /** How far the run got, for the summary of a run that stopped. */
  progress(): SyncProgress {
    const stats = emptyCollectionStats()
    addStats(stats, this.done)
    if (this.current) addStats(stats, this.current)
    return {
      step: this.step,
      ...(this.plan ? { plan: this.plan } : {}),
      windowsTotal: this.windowsTotal,
      stats,
      commits: [...this.commits],
      ...(this.report ? { report: this.report } : {}),
      ...(this.importing ? { imported: this.importing.report } : {})
    }
  }

  private counts(): ProgressCounts {
    const { stats } = this.progress()
    return {
      windowsListed: stats.windowsListed,
      windowsTotal: this.windowsTotal,
      blobsDownloaded: stats.blobsDownloaded,
      blobsListed: stats.blobsListed,
      recordsReceived: stats.recordsReceived,
      ...(this.importing ? { recordsImported: this.importing.report.records } : {})
    }
  }

  private async checkExports(): Promise<ExportFile[]> {
    const { settings, deps } = this
    if (settings.importPatterns.length === 0) return []
    return deps.group('Import files', async () => {
      const files = await prepareImport(settings.importPatterns, deps.workspace)
      for (const file of files) deps.log(`${file.shown}: a ${file.format} Purview audit export.`)
      return files
    })
  }

  private async planFromBranch(): Promise<{
    plan: Plan
    windows: ListingWindow[]
    ledger: Ledger
    graphPlan: GraphPlan | undefined
  }> {
    const { settings, deps } = this
    const warn = deps.warn ?? deps.log
    const { ledger } = await readBranchLedger(deps.git, settings.dataBranch, (message) =>
      warn(message, 'Ledger entry dropped')
    )
    const now = deps.now()
    const scopes = splitScope(settings.scope, settings.source, now)
    const planned = scopes.management
      ? planRun({ ...settings, scope: scopes.management }, ledger, now)
      : { plan: emptyPlan(settings, now), windows: [], retried: 0 }
    deps.log(describePlan(planned.plan, settings.contentTypes, settings.source))
    if (planned.retried > 0) deps.log(`Retrying ${planned.retried} window(s) that failed in earlier runs first.`)
    for (const note of planned.plan.notes) deps.log(note)
    const graphPlan =
      settings.source === 'management-api' || settings.contentTypes.length === 0
        ? undefined
        : planGraphQueries(scopes.graph, ledger.graph, this.graphPlanContext(now))
    if (graphPlan) deps.log(describeGraphPlan(graphPlan))
    const leftForGraph = ledger.graph ? graphWorkLeft(ledger.graph) : 0
    if (!graphPlan && leftForGraph > 0)
      deps.log(
        `${leftForGraph} Graph audit log query window(s) of earlier runs (running, waiting, failed or not settled) ` +
          `wait for a run with 'source: auto' or 'graph'; this one reads the Management API only.`
      )
    return { ...planned, ledger, graphPlan }
  }

  private graphPlanContext(now: Date): GraphPlanContext {
    const { settings, deps } = this
    return {
      now,
      selection: graphSelection(settings),
      settleMs: deps.graphSettleMs ?? GRAPH_SETTLE_MS
    }
  }

  /** Whether the run lists anything from the Management API. */
  private listsManagementApi(plan: Plan): boolean {
    return (
      this.settings.contentTypes.length > 0 && (this.settings.source === 'management-api' || plan.windows.length > 0)
    )
  }

  private async ensureSubscriptions(): Promise<void> {
    const outcomes = await ensureSubscriptions(this.deps.api, this.settings.contentTypes)
    const describe = {
      enabled: 'subscription enabled',
      'already-enabled': 'subscription enabled',
      started: 'subscription started now (content can take up to 12 hours to appear)',
      'start-throttled': 'subscription start refused for now (one start per 15 minutes); listing anyway'
    } as const
    for (const [type, outcome] of outcomes) this.deps.log(`${type}: ${describe[outcome]}`)
  }

  /**
   * Usually one pass; a run that imports or collects more than records-per-commit commits
   * what it holds and goes on with the rows or windows it has not read yet, on top of its own
   * commit.
   */
  private async passes(
    plan: Plan,
    windows: ListingWindow[],
    ledger: Ledger,
    exports: readonly ExportFile[],
    scratch: string
  ): Promise<SyncResult> {
    const { settings, deps } = this
    this.importing =
      exports.length > 0
        ? new ExportImport(exports, { encode: this.format.fromFields, filter: this.filter, log: deps.log })
        : undefined
    const failures: ListingFailure[] = []
    let commitSha: string | undefined
    let remaining = windows
    let tipLedger = ledger
    for (let pass = 1; pass === 1 || remaining.length > 0 || (this.importing && !this.importing.done); pass++) {
      const spool = await Spool.create(join(scratch, `spool-${pass}`))
      await this.importPass(pass, spool)
      // Graph first: a refused permission stops the run before anything is downloaded.
      const graphUpdate = pass === 1 ? await this.graphPass(spool, tipLedger, scratch) : undefined
      const collection = await this.collectPass(pass, spool, remaining, tipLedger, plan)
      // Their messages reach the summary: none may carry a value the run masked.
      failures.push(...collection.failures.map((failure) => ({ ...failure, message: this.redact(failure.message) })))
      remaining = collection.remaining
      const committed = await deps.group(`Commit${partSuffix(pass)}`, () =>
        this.commitPass(pass, spool, collection, scratch, graphUpdate)
      )
      await spool.remove()
      if (committed.status === 'committed') {
        commitSha = committed.commitSha
        this.commits.push(committed.commitSha)
      }
      if (remaining.length > 0) tipLedger = (await readBranchLedger(deps.git, settings.dataBranch)).ledger
    }
    return {
      plan,
      stats: this.done,
      failures,
      report: this.report ?? emptyReport(ledger),
      imported: this.importing?.report,
      commitSha,
      graph: this.graphStats
    }
  }

  /**
   * Runs the plan's Graph audit log queries into the spool: adopts what earlier runs left
   * running, submits within the run's share of the tenant's allowance, waits up to
   * `graph-wait`, and returns the ledger's update (undefined when there was nothing to do).
   */
  private async graphPass(spool: Spool, ledger: Ledger, scratch: string): Promise<GraphLedgerUpdate | undefined> {
    const { settings, deps, graphPlan } = this
    if (!graphPlan || (graphPlan.windows.length === 0 && graphPlan.pending.length === 0)) return undefined
    const api = deps.graph
    if (!api) throw new Error(`source '${settings.source}' needs a Microsoft Graph client; this run has none.`)
    this.step = 'query'
    const { update, stats } = await deps.group('Graph audit log queries', () =>
      collectFromGraph({
        api,
        plan: graphPlan,
        spool,
        scratch,
        contentTypes: settings.contentTypes,
        encode: this.format.fromFields,
        filter: this.filter,
        queryFilters: queryFiltersOf(settings),
        selection: graphSelection(settings),
        limits: {
          ...DEFAULT_QUERY_LIMITS,
          inFlight: settings.graphLimits.inFlight,
          submissionsPerRun: submissionsLeft(ledger.graph, settings.graphLimits.submissionsPerDay, deps.now()),
          waitMs: deps.graphWaitMs ?? settings.graphLimits.waitMs,
          ...(deps.graphPollMs ? { firstPollMs: deps.graphPollMs.first, maxPollMs: deps.graphPollMs.max } : {})
        },
        settleMs: deps.graphSettleMs ?? GRAPH_SETTLE_MS,
        now: deps.now,
        sleep: deps.sleep ?? ((ms) => sleep(ms)),
        log: deps.log
      })
    )
    this.graphStats = stats
    deps.log(describeGraphStats(stats))
    return update
  }

  /**
   * Reads exports into the spool, up to records-per-commit. The exports come first, before
   * any download: a file that turns out not to be valid CSV fails the run before anything is
   * downloaded (or, within records-per-commit, committed).
   */
  private async importPass(pass: number, spool: Spool): Promise<void> {
    const { importing, settings, deps } = this
    if (!importing || importing.done) return
    this.step = 'import'
    const done = await deps.group(`Import${partSuffix(pass)}`, () => importing.fill(spool, settings.recordsPerCommit))
    const read = importing.report
    deps.log(
      `${done ? 'Imported' : 'Read so far'}: ${read.records} records from ${read.rows} rows of ${importing.files} file(s)` +
        `${read.filtered > 0 ? `, ${read.filtered} left out by the filters` : ''}; ${read.badRows} bad row(s).`
    )
    if (!done)
      deps.log(
        `Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before reading on.`
      )
  }

  /**
   * Lists windows into the spool, up to records-per-commit. Windows are listed once every
   * export is read: a pass that commits imported records alone leaves the windows, and the
   * ledger, for the next. A run that only imports lists none.
   */
  private async collectPass(
    pass: number,
    spool: Spool,
    windows: ListingWindow[],
    ledger: Ledger,
    plan: Plan
  ): Promise<Collection> {
    const { settings, deps } = this
    const listing = this.listsManagementApi(plan) && (!this.importing || this.importing.done)
    if (!listing) return noCollection(windows)
    this.step = 'collect'
    // Graph queries ran first (a refused permission stops the run before any download); in
    // that time the oldest windows of an `auto` backfill may have aged past the 7 days.
    const listable =
      settings.source === 'auto' && settings.scope.mode === 'backfill' ? stillListable(windows, deps.now()) : windows
    const stats = (this.current = emptyCollectionStats())
    const collection = await deps.group(`Collect${partSuffix(pass)}`, () =>
      collect({
        source: deps.api,
        spool,
        windows: listable,
        range: { from: plan.from, to: plan.to },
        ledger,
        concurrency: settings.concurrency,
        encode: this.format.fromBlob,
        filter: this.filter,
        filterDigest: filterDigest(settings.filter),
        maxRecords: settings.recordsPerCommit,
        now: deps.now,
        log: deps.log,
        stats
      })
    )
    addStats(this.done, collection.stats)
    this.current = undefined
    const part = collection.stats
    deps.log(
      `Listed ${part.windows} windows (${part.pages} pages, ${part.blobsListed} blobs); downloaded ${part.blobsDownloaded} blobs ` +
        `(${part.blobsSkipped} already collected, ${part.blobsExpired} expired), ${part.recordsReceived} records` +
        `${this.filter ? ` (${part.recordsFiltered} left out by the filters)` : ''}; ` +
        `${collection.failures.length} window(s) failed.`
    )
    if (collection.remaining.length > 0) {
      deps.log(
        `Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before the ${collection.remaining.length} window(s) left.`
      )
    }
    return collection
  }

  /** Commits what a pass gathered (data, ledger and manifest in one commit), rebuilt on a moved tip. */
  private async commitPass(
    pass: number,
    spool: Spool,
    collection: Collection,
    scratch: string,
    graphUpdate: GraphLedgerUpdate | undefined
  ): Promise<CommitResult> {
    const { settings, deps } = this
    this.step = 'commit'
    const observers: DayObserver[] = settings.usage ? [powerAppsUsageObserver()] : []
    const attemptDir = (attempt: number): string => join(scratch, `commit-${pass}-${attempt}`)
    const keepFromDay = settings.retentionDays ? retentionCutoffDay(deps.now(), settings.retentionDays) : undefined
    const beforeKept = keepFromDay ? spool.entries().filter((entry) => entry.day < keepFromDay) : []
    if (beforeKept.length > 0)
      deps.log(
        `${beforeKept.reduce((sum, entry) => sum + entry.rows, 0)} collected row(s) of ${beforeKept.length} day(s) before ${keepFromDay} ` +
          `are not written: retention-days keeps the days from ${keepFromDay}.`
      )
    let built: CommitReport | undefined
    const result = await commitFiles({
      git: deps.git,
      branch: settings.dataBranch,
      log: deps.log,
      afterAttempt: (attempt) => rm(attemptDir(attempt), { recursive: true, force: true }),
      build: (files, attempt) =>
        buildCommit(
          files,
          {
            updates: collection.updates,
            graphUpdate,
            spool,
            dir: attemptDir(attempt),
            branch: settings.dataBranch,
            format: this.format,
            observers,
            now: deps.now(),
            coverageSlackMs:
              settings.scope.mode === 'scheduled' && collection.remaining.length === 0 ? settings.scope.lookbackMs : 0,
            runUrl: deps.runUrl,
            maxFileBytes: deps.maxPartBytes,
            settleAfterMs: deps.settleAfterMs,
            onReadBack: deps.onReadBack,
            keepFromDay,
            redact: deps.redact
          },
          (last) => (built = last)
        )
    })
    deps.log(describeCommit(result, settings.dataBranch))
    if (built) this.report = this.report ? combineCommitReports(this.report, built) : built
    return result
  }
}

/**
 * The filters a Graph query carries: operations, which Graph documents and the CoE's Graph
 * mode sent. Record types and workloads are applied here only: Graph's names for them are
 * PascalCase enum members, partly undocumented, and a server-side filter that names one wrong
 * would drop records without a word. Every filter is applied again to what comes back.
 */
function queryFiltersOf(settings: Settings): QueryFilters {
  return settings.filter.operations.length > 0 ? { operationFilters: settings.filter.operations } : {}
}

/** The plan of a run that lists nothing from the Management API. */
function emptyPlan(settings: Settings, now: Date): Plan {
  return { mode: settings.scope.mode, from: now, to: now, windowMs: settings.windowMs, windows: [], notes: [] }
}

/** The log line of a commit attempt's outcome. */
function describeCommit(result: CommitResult, branch: string): string {
  if (result.status === 'unchanged') return `Nothing new for '${branch}'; no commit.`
  const created = result.createdBranch ? `; created the branch '${branch}'` : ''
  return `Committed ${result.commitSha} to '${branch}' (${result.changedPaths.length} files, attempt ${result.attempts}${created}).`
}

/** How a group of the log names the passes after the first. */
function partSuffix(pass: number): string {
  return pass === 1 ? '' : ` (part ${pass})`
}

/** The report of a run before its first commit: the ledger's open failures, nothing added. */
function emptyReport(ledger: Ledger): CommitReport {
  return emptyCommitReport({ open: allFailures(ledger), recovered: [], newGaps: [] }, [])
}

/** What a dry run needs from outside. */
export interface DryRunDependencies {
  /** The data branch's repository, to read its ledger from; undefined when the run cannot (no repository or token). */
  git: GitDatabase | undefined
  workspace: string
  now: () => Date
  log: (message: string) => void
  notice: (message: string) => void
}

/**
 * A dry run: the plan a real run would list now, and nothing written. It reads the data
 * branch's ledger (read-only) when it has a repository and a token, as a real run plans from
 * it; otherwise it says why, and plans from the inputs alone. Returns the job summary.
 */
export async function dryRun(settings: Settings, inputPlan: Plan, deps: DryRunDependencies): Promise<string> {
  const now = deps.now()
  const scopes = splitScope(settings.scope, settings.source, now)
  const collecting = settings.contentTypes.length > 0
  const listing = collecting && scopes.management !== undefined
  const branch = collecting ? await readBranchForPreview(settings, deps.git) : undefined
  const preview =
    branch && scopes.management
      ? previewRun({ ...settings, scope: scopes.management }, branch, now)
      : { plan: inputPlan, windows: [], retried: 0, notes: [] }
  const { plan } = preview
  const headline = describePlan(plan, settings.contentTypes, settings.source)
  deps.log(headline)
  for (const note of plan.notes.filter((note) => !inputPlan.notes.includes(note))) deps.notice(note)
  for (const note of preview.notes) deps.log(note)
  if (listing) deps.log(renderPlanTable(plan))
  const graphLine =
    collecting && settings.source !== 'management-api'
      ? `Would ${describeGraphPlan(
          planGraphQueries(scopes.graph, branch?.status === 'read' ? branch.ledger.graph : undefined, {
            now,
            selection: graphSelection(settings),
            settleMs: GRAPH_SETTLE_MS
          })
        ).replace(/^Graph audit log queries: /, 'ask Graph audit log queries for ')}`
      : undefined
  if (graphLine) deps.log(graphLine)
  const retentionLine = settings.retentionDays ? describeRetention(settings.retentionDays, now, branch) : undefined
  if (retentionLine) deps.log(retentionLine)
  // Exports are local files: a dry run checks them too.
  const exports = settings.importPatterns.length > 0 ? await prepareImport(settings.importPatterns, deps.workspace) : []
  for (const file of exports) deps.log(`Would import ${file.shown} (a ${file.format} Purview audit export).`)
  const notes = [
    ...plan.notes,
    ...preview.notes,
    ...(graphLine ? [graphLine] : []),
    ...(retentionLine ? [retentionLine] : []),
    ...exports.map((file) => `Would import ${file.shown} (${file.format} export).`)
  ]
  deps.log(
    branch?.status === 'read'
      ? "dry-run: the plan above is what a real run would list now; the branch's ledger was read, nothing was written."
      : 'dry-run: the plan above is what a real run would list from these inputs; nothing was requested or written.'
  )
  return renderPlanSummary(plan, headline, notes, listing)
}

/** What retention would erase now, from the branch's file list (a dry run's line). */
function describeRetention(days: number, now: Date, branch: PreviewBranch | undefined): string {
  const keptFrom = retentionCutoffDay(now, days)
  if (branch?.status !== 'read') return `retention-days ${days} keeps the days from ${keptFrom}.`
  const old = filesBefore(branch.paths, keptFrom)
  return old.days.length === 0
    ? `retention-days ${days} keeps the days from ${keptFrom}: the branch holds none before, nothing to erase.`
    : `${describeErasure(old, keptFrom, 'Would erase')} from the branch and its history (retention-days ${days}).`
}

/** The branch's ledger and file list for a dry run. */
type PreviewBranch = BranchLedger & { paths: string[] }

/** The branch's ledger for a dry run (GET requests alone), or why it was not read. */
async function readBranchForPreview(settings: Settings, git: GitDatabase | undefined): Promise<PreviewBranch> {
  const { repository, dataBranch } = settings
  if (!repository)
    return {
      status: 'unread',
      reason: "no repository to read it from (input 'repository' is empty and GITHUB_REPOSITORY is not set)",
      paths: []
    }
  // The composition root makes no GitHub client without a token.
  if (!git) return { status: 'unread', reason: "input 'github-token' is empty", paths: [] }
  const where = `branch '${dataBranch}' of ${repository.owner}/${repository.repo}`
  try {
    const { ledger, exists, paths } = await readBranchLedger(git, dataBranch)
    return { status: 'read', ledger, branchExists: exists, where, paths }
  } catch (error) {
    return { status: 'unread', reason: `reading ${where} failed: ${errorMessage(error)}`, paths: [] }
  }
}

/** What a run's Graph windows are collected for: its content types and filters (`selectionOf`). */
function graphSelection(settings: Settings): string {
  return selectionOf(settings.contentTypes, settings.filter)
}
