import { emptyCollectionStats, type CollectionStats } from './collect/collect.js'
import type { ContentType } from './config/content-types.js'
import { errorMessage } from './errors.js'
import type { ExportImport, ImportReport } from './import/import-exports.js'
import type { Plan } from './plan/segments.js'
import type { ProgressCounts } from './report/progress.js'
import type { SnapshotReport } from './snapshot/build-changes.js'
import { optional } from './util/optional.js'

/** How far a run got, kept as it goes: a run that stops part-way says what it did. */
export interface SyncProgress {
  /** The step under way (or the last one). */
  step: 'import files' | 'plan' | 'subscriptions' | 'import' | 'collect' | 'commit'
  plan?: Plan
  /** Listing windows planned, retries of earlier runs included. */
  windowsTotal: number
  /** Counts over the whole run, the pass under way included. */
  stats: CollectionStats
  /** Commits made, oldest first. */
  commits: string[]
  /** What the passes that finished added (committed, or found nothing new). */
  report?: SnapshotReport
  /** What the import read so far, when the run imports. */
  imported?: ImportReport
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

/** A run's progress as it goes (sync keeps it): totals of the passes done, and the pass under way. */
export interface RunState {
  step: SyncProgress['step']
  plan?: Plan
  windowsTotal: number
  done: CollectionStats
  current?: CollectionStats
  commits: string[]
  report?: SnapshotReport
  importing?: ExportImport
}

export function progressOf(state: RunState): SyncProgress {
  const stats = emptyCollectionStats()
  addStats(stats, state.done)
  if (state.current) addStats(stats, state.current)
  return {
    step: state.step,
    ...optional('plan', state.plan),
    windowsTotal: state.windowsTotal,
    stats,
    commits: [...state.commits],
    ...optional('report', state.report),
    ...optional('imported', state.importing?.report)
  }
}

/** The counts a progress line shows. */
export function progressCounts(state: RunState): ProgressCounts {
  const { stats } = progressOf(state)
  return {
    windowsListed: stats.windowsListed,
    windowsTotal: state.windowsTotal,
    blobsDownloaded: stats.blobsDownloaded,
    blobsListed: stats.blobsListed,
    recordsReceived: stats.recordsReceived,
    ...optional('recordsImported', state.importing?.report.records)
  }
}

/** Adds a pass's counts to a total. */
export function addStats(total: CollectionStats, part: CollectionStats): void {
  for (const key of ['tasks', 'windowsListed', 'pages', 'blobsListed', 'blobsDownloaded', 'blobsSkipped', 'blobsExpired', 'recordsReceived', 'recordsFiltered'] as const) {
    total[key] += part[key]
  }
  for (const [type, count] of Object.entries(part.recordsByType) as [ContentType, number][]) {
    total.recordsByType[type] = (total.recordsByType[type] ?? 0) + count
  }
}
