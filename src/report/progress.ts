import type { CollectionStats } from '../collect/collect.js'
import type { CommitReport } from '../commit/commit-report.js'
import type { ImportReport } from '../import/import-exports.js'
import type { Plan } from '../plan/windows.js'
import { countText } from '../util/count-text.js'

/** The steps of a sync, in order. */
export type SyncStep = 'import files' | 'plan' | 'subscriptions' | 'import' | 'query' | 'collect' | 'commit'

/** How far a sync got, kept as it goes: a run that stops part-way says what it did. */
export interface SyncProgress {
  /** The step under way (or the last one). */
  step: SyncStep
  plan?: Plan
  /** Listing windows planned, retries of earlier runs included. */
  windowsTotal: number
  /** Counts over the whole run, the pass under way included. */
  stats: CollectionStats
  /** Commits made, oldest first. */
  commits: string[]
  /** What the passes that finished added (committed, or found nothing new). */
  report?: CommitReport
  /** What the import read so far, when the run imports. */
  imported?: ImportReport
}

/**
 * A line of progress for long runs, so that a log that has been quiet for minutes still says
 * the run is alive and how fast it goes.
 */
export interface ProgressCounts {
  windowsListed: number
  windowsTotal: number
  blobsDownloaded: number
  blobsListed: number
  recordsReceived: number
  /** Records read from Purview exports, when the run imports. */
  recordsImported?: number
}

export function describeProgress(counts: ProgressCounts, elapsedMs: number): string {
  const seconds = Math.max(1, Math.round(elapsedMs / 1000))
  const imported = counts.recordsImported ?? 0
  const rate = Math.round((counts.recordsReceived + imported) / seconds)
  return (
    `Progress after ${formatElapsed(seconds)}: ` +
    (imported > 0 ? `${countText(imported)} records imported from exports, ` : '') +
    `${counts.windowsListed} of ${counts.windowsTotal} windows listed, ` +
    `${counts.blobsDownloaded} of ${counts.blobsListed} blobs downloaded, ${countText(counts.recordsReceived)} records ` +
    `(${countText(rate)} a second).`
  )
}

function formatElapsed(seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  return minutes === 0 ? `${seconds} s` : `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`
}

/**
 * Logs `read()`'s counts every `everyMs` until stopped. The timer does not keep the process
 * alive, and a run shorter than `everyMs` logs nothing.
 */
export function startProgress(
  read: () => ProgressCounts,
  log: (message: string) => void,
  everyMs = PROGRESS_EVERY_MS,
  now: () => number = Date.now
): () => void {
  const started = now()
  const timer = setInterval(() => log(describeProgress(read(), now() - started)), everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Runs `work` with progress logged every `everyMs`, and stops logging however it ends
 * (resolved, thrown), so no progress line outlives the work it describes.
 */
export async function withProgress<T>(
  read: () => ProgressCounts,
  log: (message: string) => void,
  work: () => Promise<T>,
  everyMs = PROGRESS_EVERY_MS,
  now: () => number = Date.now
): Promise<T> {
  const stop = startProgress(read, log, everyMs, now)
  try {
    return await work()
  } finally {
    stop()
  }
}

/** At least this often (GitHub's log viewer shows no timestamps by default). */
export const PROGRESS_EVERY_MS = 30_000
