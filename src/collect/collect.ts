import type { ContentType } from '../config/content-types.js'
import { formatInstant } from '../config/timestamp.js'
import { ApiError } from '../m365/api-error.js'
import type { ContentBlob } from '../m365/activity-client.js'
import { recordId, rowDay, toSnapshotRow, type AuditRecord, type SnapshotRow } from '../m365/audit-record.js'
import type { Segment } from '../plan/segments.js'
import { wasFetched, type Ledger, type LedgerUpdate, type SegmentFailure } from '../state/ledger.js'
import { createLimiter } from './pool.js'
import { explainSubscriptionError } from './subscriptions.js'

/** The two calls collection needs from the Management API. */
export interface ActivitySource {
  listContent(type: ContentType, segment: Segment): AsyncIterable<ContentBlob[]>
  fetchBlob(blob: ContentBlob): Promise<AuditRecord[]>
}

/** One listing window of one content type; `retry` marks a window an earlier run failed. */
export interface ListingTask {
  type: ContentType
  segment: Segment
  retry: boolean
}

/** Records collected for one content type and UTC day, by record Id. */
export interface DayBatch {
  type: ContentType
  day: string
  rows: Map<string, SnapshotRow>
}

/** A window that failed after retries, with why. */
export interface TaskFailure extends SegmentFailure {
  type: ContentType
  retry: boolean
}

/** What a collection run gathered; `remaining` holds the tasks a full budget left for later. */
export interface Collection {
  /** Rows per `${type}|${day}`. */
  days: Map<string, DayBatch>
  /** Ledger changes per content type. */
  updates: LedgerUpdate[]
  failures: TaskFailure[]
  stats: CollectionStats
  remaining: ListingTask[]
}

/** Counts for the log, the summary and the tests. */
export interface CollectionStats {
  tasks: number
  pages: number
  blobsListed: number
  blobsDownloaded: number
  blobsSkipped: number
  blobsExpired: number
  recordsReceived: number
  /** Distinct records by content type. */
  distinctRecords: Partial<Record<ContentType, number>>
}

/**
 * Lists every task's window page by page and downloads the blobs the ledger has not seen,
 * `concurrency` at a time. Records go to the UTC day of their CreationTime, whichever
 * window listed their blob (late events land in older days), once per Id.
 * A window whose listing or downloads still fail after retries is reported as failed and the
 * rest goes on; what it did download is kept. A blob that expired before it could be
 * downloaded (AF20051) is reported as a gap, never dropped silently.
 */
export async function collect(options: {
  source: ActivitySource
  tasks: readonly ListingTask[]
  /** The range the plan covers per content type, for the ledger's coverage. */
  range: { from: Date; to: Date }
  ledger: Ledger
  concurrency: number
  /**
   * Stop listing new windows once this many new records are held (downloads under way still
   * finish); the tasks not started are returned in `remaining`. At least one task is listed.
   */
  maxRecords?: number
  log?: (message: string) => void
}): Promise<Collection> {
  const { source, tasks, ledger } = options
  const days = new Map<string, DayBatch>()
  const stats: CollectionStats = {
    tasks: tasks.length,
    pages: 0,
    blobsListed: 0,
    blobsDownloaded: 0,
    blobsSkipped: 0,
    blobsExpired: 0,
    recordsReceived: 0,
    distinctRecords: {}
  }
  const failures: TaskFailure[] = []
  const types = [...new Set(tasks.map((task) => task.type))]
  const perType = new Map(
    types.map((type) => [type, { fetched: {} as Record<string, string>, expired: [] as NonNullable<LedgerUpdate['expired']>, succeeded: [] as Segment[], queued: new Set<string>(), distinct: 0 }])
  )
  const downloadSlots = createLimiter(options.concurrency)
  let held = 0

  const addRecords = (type: ContentType, blob: ContentBlob, records: AuditRecord[]): number => {
    let added = 0
    for (const record of records) {
      const row = toSnapshotRow(record, blob.contentCreated.replace(/\.\d+Z$/, 'Z'))
      const key = `${type}|${rowDay(row)}`
      let batch = days.get(key)
      if (!batch) days.set(key, (batch = { type, day: rowDay(row), rows: new Map() }))
      const id = recordId(record)
      if (!batch.rows.has(id)) {
        batch.rows.set(id, row)
        added++
      }
    }
    held += added
    return added
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
                const records = await source.fetchBlob(blob)
                stats.blobsDownloaded++
                stats.recordsReceived += records.length
                state.distinct += addRecords(task.type, blob, records)
                state.fetched[blob.contentId] = blob.contentExpiration
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
    if (started > 0 && options.maxRecords !== undefined && held >= options.maxRecords) break
    pending.push((await listTask(task)).done)
    started++
  }
  await Promise.all(pending)
  const remaining = tasks.slice(started)
  stats.tasks = started

  const updates: LedgerUpdate[] = types.map((type) => {
    const state = perType.get(type)!
    stats.distinctRecords[type] = state.distinct
    options.log?.(`${type}: ${state.queued.size} new blobs, ${state.distinct} distinct records.`)
    const listed = remaining.length === 0 ? options.range : listedRange(tasks.slice(0, started), type)
    return {
      type,
      fetched: state.fetched,
      ...(listed ? { listed } : {}),
      succeeded: state.succeeded,
      failures: failures.filter((failure) => failure.type === type),
      expired: state.expired
    }
  })
  return { days, updates, failures, stats, remaining }
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
