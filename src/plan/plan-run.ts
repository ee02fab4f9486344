import type { ListingTask } from '../collect/collect.js'
import type { ContentType } from '../config/content-types.js'
import { parseInstant } from '../config/timestamp.js'
import { coveredUntil, failedSegments, type Ledger } from '../state/ledger.js'
import { optional } from '../util/optional.js'
import { planSegments, RETENTION_MS, RETENTION_SAFETY_MS, type Plan, type PlanWindow } from './segments.js'

/** What plans a run: the settings it reads. */
export interface RunPlanRequest {
  contentTypes: readonly ContentType[]
  window: PlanWindow
  segmentMs: number
  maxSegments: number
}

/** A run's listing windows: failed windows of earlier runs first, then the plan's. */
export interface RunPlan {
  plan: Plan
  tasks: ListingTask[]
  /** How many of `tasks` retry windows of earlier runs. */
  retried: number
}

/**
 * Plans a run from the branch's ledger: a scheduled run starts where every content type is
 * covered (within the API's 7 days), and windows earlier runs failed on are retried first.
 * The same for a real run and a dry run, so a dry run shows what would really be listed.
 */
export function planRun(request: RunPlanRequest, ledger: Ledger, now: Date): RunPlan {
  const window =
    request.window.mode === 'scheduled'
      ? { ...request.window, ...optional('coveredUntil', coveredUntil(ledger, request.contentTypes)) }
      : request.window
  const plan = planSegments({ now, window, segmentMs: request.segmentMs, maxSegments: request.maxSegments })
  const retries = retryTasks(ledger, request.contentTypes, plan, now)
  const normal: ListingTask[] = request.contentTypes.flatMap((type) => plan.segments.map((segment) => ({ type, segment, retry: false })))
  return { plan, tasks: [...retries, ...normal], retried: retries.length }
}

/**
 * Windows earlier runs failed on, still inside the API's reach, that this run's plan does
 * not list anyway: they are retried before anything else. Older ones become gaps when the
 * ledger is next written.
 */
function retryTasks(ledger: Ledger, contentTypes: readonly ContentType[], plan: Plan, now: Date): ListingTask[] {
  const oldest = now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS
  return failedSegments(ledger, contentTypes).flatMap(({ type, failure }) => {
    const start = parseInstant(failure.start)
    const end = parseInstant(failure.end)
    if (!start || !end || start.getTime() < oldest) return []
    if (start >= plan.from && end <= plan.to) return []
    return [{ type, segment: { start, end }, retry: true }]
  })
}
