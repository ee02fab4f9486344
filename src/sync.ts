import { collect, type ActivitySource, type CollectionStats } from './collect/collect.js'
import { ensureSubscriptions } from './collect/subscriptions.js'
import { commitFiles } from './github/commit-files.js'
import type { GitDatabase } from './github/git-database.js'
import type { ActivityClient } from './m365/activity-client.js'
import { describePlan } from './plan/render-plan.js'
import { planSegments, type Plan } from './plan/segments.js'
import { buildSnapshotChanges, type SnapshotReport } from './snapshot/build-changes.js'
import { LEDGER_PATH } from './snapshot/paths.js'
import type { Settings } from './settings.js'
import { coveredUntil, emptyLedger, parseLedger } from './state/ledger.js'

/** The outside world of a run, passed in so the run can be tested against fakes. */
export interface SyncDependencies {
  api: ActivitySource & Pick<ActivityClient, 'listSubscriptions' | 'startSubscription'>
  git: GitDatabase
  now: () => Date
  log: (message: string) => void
  group: <T>(name: string, work: () => Promise<T>) => Promise<T>
  runUrl?: string
}

/** What a run did. */
export interface SyncResult {
  plan: Plan
  stats: CollectionStats
  report: SnapshotReport
  commitSha?: string
  commitAttempts: number
}

/**
 * One sync: read the branch's state, plan from it, make sure subscriptions exist, collect,
 * and commit data, ledger and manifest together.
 */
export async function sync(settings: Settings, deps: SyncDependencies): Promise<SyncResult> {
  const { git, log, group } = deps
  const plan = await group('Plan', async () => {
    const head = await git.getHead(settings.dataBranch)
    const ledgerSha = head ? (await git.listFiles(head.treeSha)).get(LEDGER_PATH) : undefined
    const ledger = ledgerSha ? parseLedger((await git.readBlob(ledgerSha)).toString('utf8'), LEDGER_PATH) : emptyLedger()
    const window =
      settings.window.mode === 'scheduled'
        ? { ...settings.window, ...optional('coveredUntil', coveredUntil(ledger, settings.contentTypes)) }
        : settings.window
    const planned = planSegments({ now: deps.now(), window, segmentMs: settings.segmentMs, maxSegments: settings.maxSegments })
    log(describePlan(planned, settings.contentTypes))
    for (const note of planned.notes) log(note)
    return { planned, ledger }
  })

  await group('Subscriptions', async () => {
    const outcomes = await ensureSubscriptions(deps.api, settings.contentTypes)
    for (const [type, outcome] of outcomes) log(`${type}: ${outcome === 'started' ? 'subscription started now (content can take up to 12 hours to appear)' : 'subscription enabled'}`)
  })

  const collection = await group('Collect', () =>
    collect({
      source: deps.api,
      plan: plan.planned,
      types: settings.contentTypes,
      ledger: plan.ledger,
      concurrency: settings.concurrency,
      log
    })
  )
  const { stats } = collection
  log(
    `Listed ${stats.pages} pages and ${stats.blobsListed} blobs; downloaded ${stats.blobsDownloaded} ` +
      `(${stats.blobsSkipped} already collected), ${stats.recordsReceived} records received.`
  )

  let report: SnapshotReport = { recordsAdded: 0, added: [], filesChanged: 0 }
  const committed = await group('Commit', async () => {
    const result = await commitFiles({
      git,
      branch: settings.dataBranch,
      log,
      build: (files) =>
        buildSnapshotChanges(
          files,
          {
            collection,
            branch: settings.dataBranch,
            now: deps.now(),
            coverageSlackMs: settings.window.mode === 'scheduled' ? settings.window.lookbackMs : 0,
            ...optional('runUrl', deps.runUrl)
          },
          (built) => (report = built)
        )
    })
    log(
      result.status === 'committed'
        ? `Committed ${result.commitSha} to '${settings.dataBranch}' (${result.changedPaths.length} files, attempt ${result.attempts}).`
        : `Nothing new for '${settings.dataBranch}'; no commit.`
    )
    return result
  })

  return {
    plan: plan.planned,
    stats,
    report,
    ...(committed.status === 'committed' ? { commitSha: committed.commitSha } : {}),
    commitAttempts: committed.attempts
  }
}

/** `{ [key]: value }` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V })
}

