import { coveredUntil, failedWindows, type Ledger } from '../branch/ledger.js'
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
  const covered = request.scope.mode === 'scheduled' ? coveredUntil(ledger, request.contentTypes) : undefined
  const scope =
    request.scope.mode === 'scheduled' && covered ? { ...request.scope, coveredUntil: covered } : request.scope
  const plan = planWindows({ now, scope, windowMs: request.windowMs, maxWindows: request.maxWindows })
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
