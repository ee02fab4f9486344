import { join } from 'node:path'
import type { GraphLedgerUpdate } from '../branch/graph-ledger.js'
import { auditRecordRow } from '../record/record-row.js'
import { dayOf } from '../record/columns.js'
import type { ContentType } from '../record/content-types.js'
import type { RecordMatcher } from '../record/filter.js'
import type { TimeRange } from '../record/time-range.js'
import { Spool } from '../snapshot/spool.js'
import { formatRange } from '../util/time.js'
import { auditDataOf } from './graph-record.js'
import type { GraphPlan } from './graph-plan.js'
import { runAuditQueries, type AuditQueryApi, type QueryLimits } from './query-runner.js'
import { isQueryWindowSettled, type QueryFilters } from './query-windows.js'

/** How to collect a run's Graph windows. */
export interface GraphCollectOptions {
  api: AuditQueryApi
  plan: GraphPlan
  /** The pass's spool: a window's rows reach it only once the window was read whole. */
  spool: Spool
  /** A folder for each window's rows while it is read. */
  scratch: string
  /** Content types kept: Graph returns every type, classified here as imports are. */
  contentTypes: readonly ContentType[]
  /** How a record's fields become a row of the day files. */
  encode: (fields: readonly Uint8Array[]) => Buffer
  filter: RecordMatcher | undefined
  queryFilters: QueryFilters
  limits: QueryLimits
  /** The digest of the content types and filters kept (`selectionOf`): what the ledger's windows were collected for. */
  selection: string
  /** A window is queried again until a query submitted this long after its end returned it. */
  settleMs: number
  now: () => Date
  sleep: (ms: number) => Promise<void>
  log: (message: string) => void
}

/** What a run did with Graph, for the log and the summary. */
export interface GraphStats {
  submitted: number
  throttled: number
  /** Windows harvested; of them, `settled` are never queried again. */
  collected: number
  settled: number
  failed: number
  /** Queries still running (adopted by the next run) and windows left waiting. */
  pending: number
  queued: number
  records: number
  /** Records of other content types, or left out by the filters. */
  skipped: number
  /** Records without an auditData object or a readable CreationTime. */
  bad: number
  recordsByType: Partial<Record<ContentType, number>>
}

/**
 * Runs a run's Graph audit log queries and puts what they return into the spool: each record
 * normalised to the Management API's AuditData, made into a row as imports are, kept when its
 * content type was asked for and the filters take it. A window's rows wait in a spool of their
 * own until its last page was read, so a window whose pages fail adds nothing and is queried
 * again; returns the ledger's update.
 */
export async function collectFromGraph(
  options: GraphCollectOptions
): Promise<{ update: GraphLedgerUpdate; stats: GraphStats }> {
  const stats: GraphStats = {
    submitted: 0,
    throttled: 0,
    collected: 0,
    settled: 0,
    failed: 0,
    pending: 0,
    queued: 0,
    records: 0,
    skipped: 0,
    bad: 0,
    recordsByType: {}
  }
  const wanted = new Set<ContentType>(options.contentTypes)
  let staged = 0
  const harvest = async (window: TimeRange, pages: AsyncIterable<unknown[]>): Promise<void> => {
    const staging = await Spool.create(join(options.scratch, `graph-window-${++staged}`))
    try {
      const counts = { records: 0, skipped: 0, bad: 0, byType: new Map<ContentType, number>() }
      for await (const page of pages) {
        for (const value of page) {
          const audit = auditDataOf(value)
          const outcome = 'bad' in audit ? audit : auditRecordRow(audit.record, options.encode, options.filter)
          if ('bad' in outcome || outcome.kind === 'bad') {
            counts.bad++
            continue
          }
          if (outcome.kind === 'filtered' || !wanted.has(outcome.type)) {
            counts.skipped++
            continue
          }
          staging.add(outcome.type, dayOf(outcome.row.time), outcome.row)
          counts.records++
          counts.byType.set(outcome.type, (counts.byType.get(outcome.type) ?? 0) + 1)
        }
        await staging.spillIfFull()
      }
      // Whole: the window's rows join the pass's spool as they are, run files and all.
      await options.spool.absorb(staging)
      stats.records += counts.records
      stats.skipped += counts.skipped
      stats.bad += counts.bad
      for (const [type, count] of counts.byType) stats.recordsByType[type] = (stats.recordsByType[type] ?? 0) + count
      options.log(
        `Audit log query for ${formatRange(window)}: ${counts.records} records kept` +
          `${counts.skipped > 0 ? `, ${counts.skipped} of other content types or left out by the filters` : ''}` +
          `${counts.bad > 0 ? `, ${counts.bad} without an auditData object or a readable CreationTime (not kept)` : ''}.`
      )
    } finally {
      await staging.remove()
    }
  }
  const result = await runAuditQueries({
    windows: options.plan.windows,
    pending: options.plan.pending,
    filters: options.queryFilters,
    api: options.api,
    limits: options.limits,
    now: options.now,
    sleep: options.sleep,
    harvest,
    log: options.log
  })
  // A query found by its name has no known submission time, and one an earlier run submitted
  // for other content types or filters may hold less than asked for now: what they returned is
  // looked at again once settled.
  const collected = result.collected.map((window) => ({
    start: window.start,
    end: window.end,
    settled:
      !window.foundByName &&
      (window.selection ?? options.selection) === options.selection &&
      isQueryWindowSettled(window, window.submitted, options.settleMs)
  }))
  Object.assign(stats, {
    submitted: result.submitted,
    throttled: result.throttled,
    collected: collected.length,
    settled: collected.filter((window) => window.settled).length,
    failed: result.failed.length,
    pending: result.pending.length,
    queued: result.deferred.length
  })
  return {
    update: {
      selection: options.selection,
      collected,
      failed: result.failed,
      pending: result.pending.map((query) => ({ ...query, selection: query.selection ?? options.selection })),
      queued: result.deferred,
      submitted: result.submitted
    },
    stats
  }
}
