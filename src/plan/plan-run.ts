import { coveredUntil, failedWindows, filterChanged, type Ledger } from '../branch/ledger.js'
import { filterDigest, KEEP_ALL, type RecordFilter } from '../record/filter.js'
import { RETENTION_MS, RETENTION_SAFETY_MS } from '../m365/retention.js'
import type { ContentType } from '../record/content-types.js'
import { parseInstant } from '../util/time.js'
import type { ListingWindow } from './listing-window.js'
import { planWindows, type Plan, type PlanScope } from './windows.js'

/** What plans a run: the settings it reads. */
export interface RunPlanRequest {
  contentTypes: readonly ContentType[]
  scope: PlanScope
  windowMs: number
  maxWindows: number
  /** The run's filters: when they differ from those of earlier runs, what the API still serves is listed again. */
  filter?: RecordFilter
}

/** A run's listing windows: failed windows of earlier runs first, then the plan's. */
export interface RunPlan {
  plan: Plan
  windows: ListingWindow[]
  /** How many of `windows` retry windows of earlier runs. */
  retried: number
}

/**
 * Plans a run from the branch's ledger: a scheduled run starts where every content type is
 * covered (within the API's 7 days), and windows earlier runs failed on are retried first.
 * The same for a real run and a dry run, so a dry run shows what would really be listed.
 */
export function planRun(request: RunPlanRequest, ledger: Ledger, now: Date): RunPlan {
  const digest = filterDigest(request.filter ?? KEEP_ALL)
  const refiltered = request.contentTypes.filter((type) => filterChanged(ledger, type, digest))
  // Earlier runs read the blobs with other filters: a scheduled run lists the API's whole reach
  // again, so that what the old filters left out comes back while the API still serves it.
  const covered =
    request.scope.mode !== 'scheduled'
      ? undefined
      : refiltered.length > 0
        ? new Date(
            Math.max(
              now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS,
              // Within max-segments: a run is never refused for it.
              now.getTime() - (request.maxWindows - 1) * request.windowMs
            )
          )
        : coveredUntil(ledger, request.contentTypes)
  const scope =
    request.scope.mode === 'scheduled' && covered ? { ...request.scope, coveredUntil: covered } : request.scope
  const plan = planWindows({ now, scope, windowMs: request.windowMs, maxWindows: request.maxWindows })
  if (refiltered.length > 0)
    plan.notes.push(
      `The filters (operations, workloads, record-types) differ from those earlier runs read ${refiltered.join(', ')} with: ` +
        `what the API still serves is read again, so that records the old filters left out come back.`
    )
  const retries = retryWindows(ledger, request.contentTypes, plan, now)
  const planned: ListingWindow[] = request.contentTypes.flatMap((type) =>
    plan.windows.map((range) => ({ type, range, retry: false }))
  )
  return { plan, windows: [...retries, ...planned], retried: retries.length }
}

/**
 * Windows earlier runs failed on, still inside the API's reach, that this run's plan does
 * not list anyway: they are retried before anything else. Older ones become gaps when the
 * ledger is next written.
 */
function retryWindows(ledger: Ledger, contentTypes: readonly ContentType[], plan: Plan, now: Date): ListingWindow[] {
  const oldest = now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS
  return failedWindows(ledger, contentTypes).flatMap(({ type, failure }) => {
    const start = parseInstant(failure.start)
    const end = parseInstant(failure.end)
    if (!start || !end || start.getTime() < oldest) return []
    if (start >= plan.from && end <= plan.to) return []
    return [{ type, range: { start, end }, retry: true }]
  })
}
