import * as core from '@actions/core'
import { errorMessage } from './errors.js'
import { actionInputs, InputError, readSettings } from './inputs.js'
import { describePlan, renderPlanTable } from './plan/render-plan.js'
import { writePlanSummary } from './summary.js'

/**
 * One run of the action: validate inputs, plan, and (from the sync engine on) collect and
 * commit. Every failure ends here, as one `::error::` per problem and a failed step.
 */
export async function run(now: () => Date = () => new Date()): Promise<void> {
  try {
    core.startGroup('Inputs and plan')
    let validated: ReturnType<typeof readSettings>
    try {
      validated = readSettings(actionInputs, now())
    } finally {
      core.endGroup()
    }
    const { settings, plan } = validated
    const headline = describePlan(plan, settings.contentTypes)
    core.info(headline)
    for (const note of plan.notes) core.notice(note)

    if (settings.dryRun) {
      core.info(renderPlanTable(plan))
      await writePlanSummary(plan, headline, plan.notes)
      core.info('dry-run: the plan above is what a real run would list; nothing was requested or written.')
      return
    }
    throw new Error(
      'This build validates inputs and plans segments only; collection arrives with the sync engine. Run it with dry-run: true.'
    )
  } catch (error) {
    reportFailure(error)
  }
}

function reportFailure(error: unknown): void {
  if (error instanceof InputError && error.problems.length > 1) {
    for (const problem of error.problems) core.error(problem.message, { title: `Invalid input '${problem.input}'` })
    core.setFailed(`${error.problems.length} inputs are invalid (see above); nothing was requested or written.`)
    return
  }
  core.setFailed(errorMessage(error))
}
