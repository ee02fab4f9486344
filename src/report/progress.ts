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
}

export function describeProgress(counts: ProgressCounts, elapsedMs: number): string {
  const seconds = Math.max(1, Math.round(elapsedMs / 1000))
  const rate = Math.round(counts.recordsReceived / seconds)
  return (
    `Progress after ${formatElapsed(seconds)}: ${counts.windowsListed} of ${counts.windowsTotal} windows listed, ` +
    `${counts.blobsDownloaded} of ${counts.blobsListed} blobs downloaded, ${counts.recordsReceived.toLocaleString('en-US')} records ` +
    `(${rate.toLocaleString('en-US')} a second).`
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
export function startProgress(read: () => ProgressCounts, log: (message: string) => void, everyMs = PROGRESS_EVERY_MS, now: () => number = Date.now): () => void {
  const started = now()
  const timer = setInterval(() => log(describeProgress(read(), now() - started)), everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

/** At least this often (GitHub's log viewer shows no timestamps by default). */
export const PROGRESS_EVERY_MS = 30_000
