import type { ContentType } from '../config/content-types.js'
import { formatInstant } from '../config/timestamp.js'
import type { RecordMatcher } from '../filter/record-filter.js'
import { ApiError } from '../m365/api-error.js'
import { normalizeCreationTime } from '../m365/audit-record.js'
import type { BlobContent, ContentBlob } from '../m365/activity-client.js'
import { blobRows } from '../snapshot/blob-rows.js'
import type { BlobRecordEncoder } from '../snapshot/row-payload.js'
import { dayOf } from '../snapshot/row.js'
import type { Spool } from '../snapshot/spool.js'
import type { Segment } from '../plan/segments.js'
import { untimedPlacement, wasFetched, type FetchedBlob, type Ledger, type LedgerUpdate, type SegmentFailure } from '../state/ledger.js'
import { createLimiter } from './pool.js'
import { explainSubscriptionError } from './subscriptions.js'

/** The two calls collection needs from the Management API. */
export interface ActivitySource {
  listContent(type: ContentType, segment: Segment): AsyncIterable<ContentBlob[]>
  fetchBlob<T>(blob: ContentBlob, use: (content: BlobContent) => T): Promise<T>
  /** Lets go of memory kept for downloads; called once a collection is done. */
  releaseBuffers?(): void
}

/** One listing window of one content type; `retry` marks a window an earlier run failed. */
export interface ListingTask {
  type: ContentType
  segment: Segment
  retry: boolean
}

/** A window that failed after retries, with why. */
export interface TaskFailure extends SegmentFailure {
  type: ContentType
  retry: boolean
}

/** What a collection run gathered; `remaining` holds the tasks a full budget left for later. */
export interface Collection {
  /** Ledger changes per content type. */
  updates: LedgerUpdate[]
  failures: TaskFailure[]
  stats: CollectionStats
  remaining: ListingTask[]
}

/** Counts for the log, the summary and the tests. */
export interface CollectionStats {
  tasks: number
  /** Windows whose listing has ended (all pages read, or failed). */
  windowsListed: number
  pages: number
  blobsListed: number
  blobsDownloaded: number
  blobsSkipped: number
  blobsExpired: number
  recordsReceived: number
  /** Records received that the filters (operations, workloads, record-types) left out. */
  recordsFiltered: number
  /** Records received by content type (copies included; the merge drops them). */
  recordsByType: Partial<Record<ContentType, number>>
}

/** Counts of a collection that has not started. */
export function emptyCollectionStats(): CollectionStats {
  return {
    tasks: 0,
    windowsListed: 0,
    pages: 0,
    blobsListed: 0,
    blobsDownloaded: 0,
    blobsSkipped: 0,
    blobsExpired: 0,
    recordsReceived: 0,
    recordsFiltered: 0,
    recordsByType: {}
  }
}

/**
 * Lists every task's window page by page and downloads the blobs the ledger has not seen,
 * `concurrency` at a time. Each record becomes a row of the UTC day of its CreationTime,
 * whichever window listed its blob (late events land in older days), in the spool; copies
 * are dropped when the spool is merged into the day files.
 * A window whose listing or downloads still fail after retries is reported as failed and the
 * rest goes on; what it did download is kept. A blob that expired before it could be
 * downloaded (AF20051) is reported as a gap, never dropped silently.
 */
export async function collect(options: {
  source: ActivitySource
  spool: Spool
  tasks: readonly ListingTask[]
  /** The range the plan covers per content type, for the ledger's coverage. */
  range: { from: Date; to: Date }
  ledger: Ledger
  concurrency: number
  /**
   * Keep only the records it matches. The others are still received: their blobs count as
   * collected in the ledger, so a filtered-out record is not fetched again.
   */
  filter?: RecordMatcher
  /**
   * Stop listing new windows once the spool holds this many records (downloads under way
   * still finish); the tasks not started are returned in `remaining`. At least one is listed.
   */
  maxRecords?: number
  /** How rows are encoded for the day files they go to (CSV lines unless said otherwise). */
  encodeRecord?: BlobRecordEncoder
  log?: (message: string) => void
  /** A fresh object (emptyCollectionStats) to count into, for a caller that watches the counts as they grow. */
  stats?: CollectionStats
}): Promise<Collection> {
  const { source, spool, tasks, ledger } = options
  const stats = options.stats ?? emptyCollectionStats()
  stats.tasks = tasks.length
  const failures: TaskFailure[] = []
  const types = [...new Set(tasks.map((task) => task.type))]
  const perType = new Map(
    types.map((type) => [type, { fetched: [] as FetchedBlob[], expired: [] as NonNullable<LedgerUpdate['expired']>, succeeded: [] as Segment[], queued: new Set<string>(), records: 0 }])
  )
  const downloadSlots = createLimiter(options.concurrency)
  // A record without a readable CreationTime is placed at its blob's time; copies of it in
  // other blobs (of this run or a later one, through the ledger) go to the same place, so
  // that the merge sees them side by side.
  const untimed = new Map<ContentType, Record<string, string>>(types.map((type) => [type, {}]))

  const addRecords = (type: ContentType, blob: ContentBlob, content: BlobContent): void => {
    const placed = untimed.get(type)!
    const placeUntimed = (id: string): string =>
      (placed[id] ??= untimedPlacement(ledger, type, id) ?? normalizeCreationTime(blob.contentCreated) ?? formatInstant(new Date()))
    let kept = 0
    for (const row of blobRows(content, placeUntimed, options.filter, options.encodeRecord)) {
      spool.add(type, dayOf(row.time), row)
      kept++
    }
    stats.recordsFiltered += content.records.count - kept
  }

  /** Lists one window; resolves after listing with a promise that settles with its downloads. */
  const listTask = async (task: ListingTask): Promise<{ done: Promise<void> }> => {
    const state = perType.get(task.type)
    if (!state) return { done: Promise.resolve() }
    const downloads: Promise<void>[] = []
    let failure: { code: string; message: string } | undefined
    const fail = (error: unknown): void => {
      failure ??= describeFailure(explainSubscriptionError(error, task.type), error)
    }
    try {
      for await (const page of source.listContent(task.type, task.segment)) {
        stats.pages++
        for (const blob of page) {
          stats.blobsListed++
          if (state.queued.has(blob.contentId) || wasFetched(ledger, task.type, blob.contentId)) {
            stats.blobsSkipped++
            continue
          }
          state.queued.add(blob.contentId)
          downloads.push(
            downloadSlots.run(async () => {
              try {
                const count = await source.fetchBlob(blob, (content) => {
                  addRecords(task.type, blob, content)
                  return content.records.count
                })
                stats.blobsDownloaded++
                stats.recordsReceived += count
                state.records += count
                await spool.spillIfFull()
                state.fetched.push({ contentId: blob.contentId, contentCreated: blob.contentCreated })
              } catch (error) {
                if (error instanceof ApiError && error.code === 'AF20051') {
                  stats.blobsExpired++
                  state.expired.push({ contentId: blob.contentId, contentCreated: blob.contentCreated, message: error.message })
                } else {
                  fail(error)
                }
              }
            })
          )
        }
      }
    } catch (error) {
      fail(error)
    }
    stats.windowsListed++
    const done = Promise.all(downloads).then(() => {
      if (failure) {
        failures.push({ type: task.type, retry: task.retry, start: task.segment.start, end: task.segment.end, ...failure })
        options.log?.(`${task.type} ${formatInstant(task.segment.start)}..${formatInstant(task.segment.end)} failed: ${failure.message}`)
      } else {
        state.succeeded.push(task.segment)
      }
    })
    return { done }
  }

  // Windows are listed one at a time, so the listing load stays flat; the downloads they
  // find run in the shared pool meanwhile.
  const pending: Promise<void>[] = []
  let started = 0
  for (const task of tasks) {
    if (started > 0 && options.maxRecords !== undefined && spool.rows >= options.maxRecords) break
    pending.push((await listTask(task)).done)
    started++
  }
  await Promise.all(pending)
  // The commit that follows merges and uploads; what downloads kept would only add to its peak.
  source.releaseBuffers?.()
  const remaining = tasks.slice(started)
  stats.tasks = started

  const updates: LedgerUpdate[] = types.map((type) => {
    const state = perType.get(type)!
    stats.recordsByType[type] = state.records
    options.log?.(`${type}: ${state.queued.size} new blobs, ${state.records} records.`)
    const listed = remaining.length === 0 ? options.range : listedRange(tasks.slice(0, started), type)
    return {
      type,
      fetched: state.fetched,
      ...(listed ? { listed } : {}),
      succeeded: state.succeeded,
      failures: failures.filter((failure) => failure.type === type),
      expired: state.expired,
      untimed: untimed.get(type) ?? {}
    }
  })
  return { updates, failures, stats, remaining }
}

/**
 * The range a part of a plan listed for one content type: from its first planned window to
 * its last (retried windows of earlier runs do not count: coverage moves with the plan).
 */
function listedRange(tasks: readonly ListingTask[], type: ContentType): { from: Date; to: Date } | undefined {
  const windows = tasks.filter((task) => task.type === type && !task.retry).map((task) => task.segment)
  if (windows.length === 0) return undefined
  return {
    from: new Date(Math.min(...windows.map((window) => window.start.getTime()))),
    to: new Date(Math.max(...windows.map((window) => window.end.getTime())))
  }
}

function describeFailure(explained: Error, original: unknown): { code: string; message: string } {
  const code = original instanceof ApiError ? (original.code ?? (original.status ? `HTTP ${original.status}` : 'network')) : 'error'
  return { code, message: explained.message }
}
