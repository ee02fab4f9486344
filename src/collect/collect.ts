import {
  untimedPlacement,
  wasFetched,
  type FetchedBlob,
  type Ledger,
  type LedgerUpdate,
  type WindowFailure
} from '../branch/ledger.js'
import type { BlobContent, ContentBlob } from '../m365/activity-client.js'
import { ApiError } from '../m365/api-error.js'
import type { ListingWindow } from '../plan/listing-window.js'
import { normalizeCreationTime } from '../record/audit-record.js'
import { dayOf } from '../record/columns.js'
import type { ContentType } from '../record/content-types.js'
import type { RecordMatcher } from '../record/filter.js'
import type { TimeRange } from '../record/time-range.js'
import type { BlobRecordEncoder } from '../snapshot/format/snapshot-format.js'
import type { Spool } from '../snapshot/spool.js'
import { formatInstant } from '../util/time.js'
import { blobRows } from './blob-rows.js'
import { createConcurrencyGate } from '../util/concurrency-gate.js'
import { explainSubscriptionError } from './subscriptions.js'

/** The two calls collection needs from the Management API. */
export interface ActivitySource {
  listContent(type: ContentType, range: TimeRange): AsyncIterable<ContentBlob[]>
  fetchBlob<T>(blob: ContentBlob, use: (content: BlobContent) => T): Promise<T>
  /** Lets go of memory kept for downloads; called once a collection is done. */
  releaseBuffers?(): void
}

/** A window that failed after retries, with why. */
export interface ListingFailure extends WindowFailure {
  type: ContentType
  retry: boolean
}

/** What a collection gathered; `remaining` holds the windows a full spool left for later. */
export interface Collection {
  /** Ledger changes per content type. */
  updates: LedgerUpdate[]
  failures: ListingFailure[]
  stats: CollectionStats
  remaining: ListingWindow[]
}

/** Counts for the log, the summary and the tests. */
export interface CollectionStats {
  /** Windows whose listing was started. */
  windows: number
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
    windows: 0,
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

/** Adds a pass's counts to a total. */
export function addStats(total: CollectionStats, part: CollectionStats): void {
  for (const key of [
    'windows',
    'windowsListed',
    'pages',
    'blobsListed',
    'blobsDownloaded',
    'blobsSkipped',
    'blobsExpired',
    'recordsReceived',
    'recordsFiltered'
  ] as const) {
    total[key] += part[key]
  }
  for (const [type, count] of Object.entries(part.recordsByType) as [ContentType, number][]) {
    total.recordsByType[type] = (total.recordsByType[type] ?? 0) + count
  }
}

/** How to collect. */
export interface CollectOptions {
  source: ActivitySource
  spool: Spool
  windows: readonly ListingWindow[]
  /** The range the plan covers per content type, for the ledger's coverage. */
  range: { from: Date; to: Date }
  ledger: Ledger
  concurrency: number
  /** How records are encoded for the day files they go to (the day files' format). */
  encode: BlobRecordEncoder
  /**
   * Keep only the records it matches. The others are still received: their blobs count as
   * collected in the ledger (under `filterDigest`), so a filtered-out record is not fetched
   * again while the filters stay as they are.
   */
  filter?: RecordMatcher | undefined
  /** `filterDigest` of the filters: blobs read under others are read again. */
  filterDigest?: string | undefined
  /**
   * Stop listing new windows once the spool holds this many records (downloads under way
   * still finish); the windows not started are returned in `remaining`. At least one is listed.
   */
  maxRecords?: number | undefined
  /** Where a record without a readable time goes when nothing else places it (its blob's time otherwise). */
  now: () => Date
  log?: ((message: string) => void) | undefined
  /** A fresh object (emptyCollectionStats) to count into, for a caller that watches the counts as they grow. */
  stats?: CollectionStats | undefined
}

/**
 * Lists every window page by page and downloads the blobs the ledger has not seen,
 * `concurrency` at a time. Each record becomes a row of the UTC day of its CreationTime,
 * whichever window listed its blob (late events land in older days), in the spool; copies
 * are dropped when the spool is merged into the day files.
 * A window whose listing or downloads still fail after retries is reported as failed and the
 * rest goes on; what it did download is kept. A blob that expired before it could be
 * downloaded (AF20051) is reported as a gap, never dropped silently.
 */
export async function collect(options: CollectOptions): Promise<Collection> {
  const collector = new Collector(options)
  const { windows, spool, maxRecords } = options
  // Windows are listed one at a time, so the listing load stays flat; the downloads they
  // find run in the shared pool meanwhile.
  const pending: Promise<void>[] = []
  let started = 0
  for (const window of windows) {
    if (started > 0 && maxRecords !== undefined && spool.rows >= maxRecords) break
    pending.push((await collector.listWindow(window)).downloaded)
    started++
  }
  await Promise.all(pending)
  // The commit that follows merges and uploads; what downloads kept would only add to its peak.
  options.source.releaseBuffers?.()
  return collector.finish(windows.slice(0, started), windows.slice(started))
}

/** What one content type's windows gathered. */
interface TypeState {
  fetched: FetchedBlob[]
  expired: NonNullable<LedgerUpdate['expired']>
  succeeded: TimeRange[]
  /** Blobs downloaded or on their way, by contentId: each once per run. */
  queued: Set<string>
  records: number
  /**
   * Where records without a readable CreationTime were placed: at their blob's time, and
   * copies of them in other blobs (of this run or a later one, through the ledger) at the
   * same place, so that the merge sees them side by side.
   */
  untimed: Record<string, string>
}

/** One collection's state: counts, failures and what each content type gathered. */
class Collector {
  private readonly stats: CollectionStats
  private readonly failures: ListingFailure[] = []
  private readonly types: Map<ContentType, TypeState>
  private readonly downloads: ReturnType<typeof createConcurrencyGate>
  private readonly filterDigest: string

  constructor(private readonly options: CollectOptions) {
    this.filterDigest = options.filterDigest ?? ''
    this.stats = options.stats ?? emptyCollectionStats()
    this.stats.windows = options.windows.length
    const types = [...new Set(options.windows.map((window) => window.type))]
    this.types = new Map(
      types.map((type) => [
        type,
        { fetched: [], expired: [], succeeded: [], queued: new Set(), records: 0, untimed: {} }
      ])
    )
    this.downloads = createConcurrencyGate(options.concurrency)
  }

  /** Lists one window; resolves once it is listed, with a promise that settles with its downloads. */
  async listWindow(window: ListingWindow): Promise<{ downloaded: Promise<void> }> {
    const state = this.types.get(window.type)!
    const downloads: Promise<void>[] = []
    let failure: { code: string; message: string } | undefined
    const fail = (error: unknown): void => {
      failure ??= describeFailure(explainSubscriptionError(error, window.type), error)
    }
    try {
      for await (const page of this.options.source.listContent(window.type, window.range)) {
        this.stats.pages++
        for (const blob of page) {
          this.stats.blobsListed++
          if (
            state.queued.has(blob.contentId) ||
            wasFetched(this.options.ledger, window.type, blob.contentId, this.filterDigest)
          ) {
            this.stats.blobsSkipped++
            continue
          }
          state.queued.add(blob.contentId)
          downloads.push(this.downloads.run(() => this.download(window.type, blob, state).catch(fail)))
        }
      }
    } catch (error) {
      fail(error)
    }
    this.stats.windowsListed++
    return { downloaded: Promise.all(downloads).then(() => this.settle(window, state, failure)) }
  }

  /** The ledger updates of the windows listed, and what is left for later. */
  finish(listed: readonly ListingWindow[], remaining: ListingWindow[]): Collection {
    this.stats.windows = listed.length
    const updates = [...this.types].map(([type, state]): LedgerUpdate => {
      this.stats.recordsByType[type] = state.records
      this.options.log?.(`${type}: ${state.queued.size} new blobs, ${state.records} records.`)
      const range = remaining.length === 0 ? this.options.range : listedRange(listed, type)
      return {
        type,
        fetched: state.fetched,
        filter: this.filterDigest,
        ...(range ? { listed: range } : {}),
        succeeded: state.succeeded,
        failures: this.failures.filter((failure) => failure.type === type),
        expired: state.expired,
        untimed: state.untimed
      }
    })
    return { updates, failures: this.failures, stats: this.stats, remaining }
  }

  /** Downloads a blob into the spool; an expired one is a gap, anything else fails its window. */
  private async download(type: ContentType, blob: ContentBlob, state: TypeState): Promise<void> {
    try {
      const count = await this.options.source.fetchBlob(blob, (content) => {
        this.addRecords(type, blob, content, state)
        return content.records.count
      })
      this.stats.blobsDownloaded++
      this.stats.recordsReceived += count
      state.records += count
      await this.options.spool.spillIfFull()
      state.fetched.push({ contentId: blob.contentId, contentCreated: blob.contentCreated })
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'AF20051')) throw error
      this.stats.blobsExpired++
      state.expired.push({ contentId: blob.contentId, contentCreated: blob.contentCreated, message: error.message })
    }
  }

  private addRecords(type: ContentType, blob: ContentBlob, content: BlobContent, state: TypeState): void {
    const { ledger, spool, encode, filter } = this.options
    const placeUntimed = (id: string): string =>
      (state.untimed[id] ??=
        untimedPlacement(ledger, type, id) ??
        normalizeCreationTime(blob.contentCreated) ??
        formatInstant(this.options.now()))
    let kept = 0
    for (const row of blobRows(content, placeUntimed, encode, filter)) {
      spool.add(type, dayOf(row.time), row)
      kept++
    }
    this.stats.recordsFiltered += content.records.count - kept
  }

  /** Records how a window ended, once its downloads have. */
  private settle(
    window: ListingWindow,
    state: TypeState,
    failure: { code: string; message: string } | undefined
  ): void {
    if (!failure) {
      state.succeeded.push(window.range)
      return
    }
    this.failures.push({
      type: window.type,
      retry: window.retry,
      start: window.range.start,
      end: window.range.end,
      ...failure
    })
    this.options.log?.(
      `${window.type} ${formatInstant(window.range.start)}..${formatInstant(window.range.end)} failed: ${failure.message}`
    )
  }
}

/**
 * The range a part of a plan listed for one content type: from its first planned window to
 * its last (retried windows of earlier runs do not count: coverage moves with the plan).
 */
function listedRange(windows: readonly ListingWindow[], type: ContentType): { from: Date; to: Date } | undefined {
  const ranges = windows.filter((window) => window.type === type && !window.retry).map((window) => window.range)
  if (ranges.length === 0) return undefined
  return {
    from: new Date(Math.min(...ranges.map((range) => range.start.getTime()))),
    to: new Date(Math.max(...ranges.map((range) => range.end.getTime())))
  }
}

function describeFailure(explained: Error, original: unknown): { code: string; message: string } {
  const code =
    original instanceof ApiError
      ? (original.code ?? (original.status ? `HTTP ${original.status}` : 'network'))
      : 'error'
  return { code, message: explained.message }
}
