import type { ContentType } from '../config/content-types.js'
import type { ContentBlob } from '../m365/activity-client.js'
import { recordId, rowDay, toSnapshotRow, type AuditRecord, type SnapshotRow } from '../m365/audit-record.js'
import type { Plan } from '../plan/segments.js'
import { wasFetched, type Ledger, type LedgerUpdate } from '../state/ledger.js'
import { createPool } from './pool.js'
import { explainSubscriptionError } from './subscriptions.js'

/** The two calls collection needs from the Management API. */
export interface ActivitySource {
  listContent(type: ContentType, segment: Plan['segments'][number]): AsyncIterable<ContentBlob[]>
  fetchBlob(blob: ContentBlob): Promise<AuditRecord[]>
}

/** Records collected for one content type and UTC day, by record Id. */
export interface DayBatch {
  type: ContentType
  day: string
  rows: Map<string, SnapshotRow>
}

/** What a collection run gathered. */
export interface Collection {
  /** Rows per `${type}|${day}`. */
  days: Map<string, DayBatch>
  /** Ledger changes: blobs downloaded and ranges listed, per content type. */
  updates: LedgerUpdate[]
  stats: CollectionStats
}

/** Counts for the log, the summary and the tests. */
export interface CollectionStats {
  pages: number
  blobsListed: number
  blobsDownloaded: number
  blobsSkipped: number
  recordsReceived: number
  /** Distinct records by content type. */
  distinctRecords: Partial<Record<ContentType, number>>
}

/**
 * Lists every window of the plan for each content type and downloads the blobs the ledger
 * has not seen, `concurrency` at a time. Records go to the UTC day of their CreationTime,
 * whichever window listed their blob (late events land in older days), once per Id.
 */
export async function collect(options: {
  source: ActivitySource
  plan: Plan
  types: readonly ContentType[]
  ledger: Ledger
  concurrency: number
  log?: (message: string) => void
}): Promise<Collection> {
  const { source, plan, types, ledger } = options
  const days = new Map<string, DayBatch>()
  const stats: CollectionStats = { pages: 0, blobsListed: 0, blobsDownloaded: 0, blobsSkipped: 0, recordsReceived: 0, distinctRecords: {} }
  const updates: LedgerUpdate[] = []

  for (const type of types) {
    const fetched: Record<string, string> = {}
    const queued = new Set<string>()
    const pool = createPool(options.concurrency)
    let distinct = 0

    const download = async (blob: ContentBlob): Promise<void> => {
      const records = await source.fetchBlob(blob)
      stats.blobsDownloaded++
      stats.recordsReceived += records.length
      for (const record of records) {
        const row = toSnapshotRow(record, blob.contentCreated.replace(/\.\d+Z$/, 'Z'))
        const key = `${type}|${rowDay(row)}`
        let batch = days.get(key)
        if (!batch) days.set(key, (batch = { type, day: rowDay(row), rows: new Map() }))
        const id = recordId(record)
        if (!batch.rows.has(id)) {
          batch.rows.set(id, row)
          distinct++
        }
      }
      fetched[blob.contentId] = blob.contentExpiration
    }

    let listingFailure: { error: unknown } | undefined
    try {
      for (const segment of plan.segments) {
        for await (const page of source.listContent(type, segment)) {
          stats.pages++
          for (const blob of page) {
            stats.blobsListed++
            if (queued.has(blob.contentId) || wasFetched(ledger, type, blob.contentId)) {
              stats.blobsSkipped++
              continue
            }
            queued.add(blob.contentId)
            pool.add(() => download(blob))
          }
        }
      }
    } catch (error) {
      listingFailure = { error: explainSubscriptionError(error, type) }
    }
    // Downloads started while listing went on; all of them settle before anything is reported.
    await pool.drain()
    if (listingFailure) throw listingFailure.error

    stats.distinctRecords[type] = distinct
    updates.push({ type, fetched, listed: { from: plan.from, to: plan.to } })
    options.log?.(`${type}: ${queued.size} new blobs, ${distinct} distinct records.`)
  }
  return { days, updates, stats }
}

