import * as core from '@actions/core'
import { planTableRows } from './plan/render-plan.js'
import type { Plan } from './plan/segments.js'

/** Writes the job summary, when the runner provides one (local runs may not). */
async function writeSummary(build: (summary: typeof core.summary) => void): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  build(core.summary)
  await core.summary.write()
}

/** The dry-run summary: what the run would list. */
export async function writePlanSummary(plan: Plan, headline: string, notes: readonly string[]): Promise<void> {
  await writeSummary((summary) => {
    summary.addHeading('m365-audit-sync: plan (dry run)', 2).addRaw(headline, true)
    if (notes.length > 0) summary.addList([...notes])
    const [header = [], ...rows] = planTableRows(plan)
    summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
  })
}
