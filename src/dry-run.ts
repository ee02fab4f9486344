import * as core from '@actions/core'
import { connectGitHub } from './github/connect.js'
import type { RunContext } from './github/run-context.js'
import { prepareImport } from './import/import-exports.js'
import { previewRun, whyBranchUnreadable, type Preview } from './plan/preview.js'
import { describePlan, renderPlanTable } from './plan/render-plan.js'
import type { Plan } from './plan/segments.js'
import type { Settings } from './settings.js'
import { readLedgerForPreview, type BranchLedger } from './state/read-ledger.js'
import { writePlanSummary } from './summary.js'

/**
 * A dry run: the plan a real run would list now, and nothing written. It reads the data
 * branch's ledger (read-only) when it has a repository and a token, as a real run plans from
 * it; otherwise it says why, and plans from the inputs alone.
 */
export async function dryRun(settings: Settings, inputPlan: Plan, context: RunContext, now: () => Date): Promise<void> {
  const listing = settings.contentTypes.length > 0
  const branch = listing ? await readBranchForPreview(settings, context) : undefined
  const preview: Preview = branch ? previewRun(settings, branch, now()) : { plan: inputPlan, tasks: [], retried: 0, notes: [] }
  const { plan } = preview
  const headline = describePlan(plan, settings.contentTypes)
  core.info(headline)
  for (const note of plan.notes.filter((note) => !inputPlan.notes.includes(note))) core.notice(note)
  for (const note of preview.notes) core.info(note)
  if (listing) core.info(renderPlanTable(plan))
  // Exports are local files: a dry run checks them too.
  const exports = settings.importPatterns.length > 0 ? await prepareImport(settings.importPatterns, context.workspace) : []
  for (const file of exports) core.info(`Would import ${file.shown} (a ${file.format} Purview audit export).`)
  const notes = [...plan.notes, ...preview.notes, ...exports.map((file) => `Would import ${file.shown} (${file.format} export).`)]
  await writePlanSummary(plan, headline, notes, listing)
  core.info(
    branch?.status === 'read'
      ? "dry-run: the plan above is what a real run would list now; the branch's ledger was read, nothing was written."
      : 'dry-run: the plan above is what a real run would list from these inputs; nothing was requested or written.'
  )
}

/** The branch's ledger for a dry run, or why it was not read. */
async function readBranchForPreview(settings: Settings, context: RunContext): Promise<BranchLedger> {
  const missing = whyBranchUnreadable(settings)
  const repository = settings.repository
  if (missing || !repository) return readLedgerForPreview({ missing: missing ?? 'no repository' }, settings.dataBranch)
  const { git } = connectGitHub(settings, repository, context, 4)
  return readLedgerForPreview({ git, repository: `${repository.owner}/${repository.repo}` }, settings.dataBranch)
}
