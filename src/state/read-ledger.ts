import { errorMessage } from '../errors.js'
import type { GitDatabase } from '../github/git-database.js'
import { LEDGER_PATH } from '../snapshot/paths.js'
import { emptyLedger, parseLedger, type Ledger } from './ledger.js'

/** The ledger at the branch tip (empty when there is no branch or no ledger yet). */
export async function readLedger(git: GitDatabase, branch: string): Promise<Ledger> {
  return (await readBranchLedger(git, branch)).ledger
}

/** The ledger at the branch tip, and whether the branch exists. */
async function readBranchLedger(git: GitDatabase, branch: string): Promise<{ ledger: Ledger; branchExists: boolean }> {
  const head = await git.getHead(branch)
  const entry = head ? (await git.listFiles(head.treeSha)).get(LEDGER_PATH) : undefined
  const ledger = entry ? parseLedger((await git.readBlob(entry.sha)).toString('utf8'), LEDGER_PATH) : emptyLedger()
  return { ledger, branchExists: head !== undefined }
}

/** What a dry run learnt of the data branch: its ledger, or why it could not read it. */
export type BranchLedger = { status: 'read'; ledger: Ledger; branchExists: boolean; where: string } | { status: 'unread'; reason: string }

/**
 * Reads the branch's ledger for a dry run, read-only (GET requests alone), when the run has a
 * repository and a token; otherwise, or when reading fails, says why instead of failing:
 * a dry run still shows the plan its inputs give.
 */
export async function readLedgerForPreview(
  access: { git: GitDatabase; repository: string } | { missing: string },
  branch: string
): Promise<BranchLedger> {
  if ('missing' in access) return { status: 'unread', reason: access.missing }
  const where = `branch '${branch}' of ${access.repository}`
  try {
    return { status: 'read', ...(await readBranchLedger(access.git, branch)), where }
  } catch (error) {
    return { status: 'unread', reason: `reading ${where} failed: ${errorMessage(error)}` }
  }
}
