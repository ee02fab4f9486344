import { emptyLedger, type Ledger } from '../branch/ledger.js'
import type { ContentType } from '../record/content-types.js'
import { formatInstant } from '../util/time.js'
import { planRun, type RunPlan, type RunPlanRequest } from './plan-run.js'

/** What a dry run learnt of the data branch: its ledger, or why it could not read it. */
export type BranchLedger =
  { status: 'read'; ledger: Ledger; branchExists: boolean; where: string } | { status: 'unread'; reason: string }

/** A dry run's plan, and what it says about where the plan came from. */
export interface Preview extends RunPlan {
  notes: string[]
}

/** Failed windows a preview names one by one; the count says how many more. */
const LISTED_RETRIES = 10

/**
 * What a real run would list now: planned from the branch's ledger as the run would plan it
 * (coverage of a scheduled run, failed windows retried first), with notes that say what was
 * read; or from the inputs alone, saying why and what a real run would do differently.
 */
export function previewRun(request: RunPlanRequest & { dataBranch: string }, branch: BranchLedger, now: Date): Preview {
  const planned = planRun(request, branch.status === 'read' ? branch.ledger : emptyLedger(), now)
  const scheduled = request.scope.mode === 'scheduled'
  const notes: string[] = []
  if (branch.status === 'unread') {
    notes.push(
      `The ledger of branch '${request.dataBranch}' was not read (${branch.reason}), so this plan does not know what earlier runs did: ` +
        `a real run ${scheduled ? 'starts where they stopped (up to 7 days back) and ' : ''}first retries the windows they failed on.`
    )
    return { ...planned, notes }
  }
  if (!branch.branchExists) {
    notes.push(`Read ${branch.where} (read-only): it does not exist yet; the first real run creates it.`)
  } else if (scheduled) {
    notes.push(
      `Read the ledger of ${branch.where} (read-only): ${describeCoverage(request.contentTypes, branch.ledger)}.`
    )
  } else {
    notes.push(`Read the ledger of ${branch.where} (read-only) for windows earlier runs failed on.`)
  }
  if (planned.retried > 0) {
    const retries = planned.windows.filter((window) => window.retry)
    const named = retries
      .slice(0, LISTED_RETRIES)
      .map((window) => `${window.type} ${formatInstant(window.range.start)} to ${formatInstant(window.range.end)}`)
    const more = retries.length > LISTED_RETRIES ? ` and ${retries.length - LISTED_RETRIES} more` : ''
    notes.push(`Would first retry ${retries.length} window(s) earlier runs failed on: ${named.join('; ')}${more}.`)
  } else if (request.contentTypes.length > 0) {
    notes.push('No window of earlier runs is waiting to be retried.')
  }
  return { ...planned, notes }
}

/** Per content type, how far the ledger says earlier runs covered. */
function describeCoverage(types: readonly ContentType[], ledger: Ledger): string {
  return types
    .map((type) => {
      const covered = ledger.contentTypes[type]?.coveredUntil
      return covered ? `${type} covered until ${covered}` : `${type} not covered yet (the whole look-back is listed)`
    })
    .join(', ')
}
