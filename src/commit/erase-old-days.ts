import type { BranchFiles, FileChanges } from '../branch/branch-files.js'
import { parseLedger, renderLedger } from '../branch/ledger.js'
import { parseManifest, renderManifest } from '../branch/manifest.js'
import { LEDGER_PATH, MANIFEST_PATH } from '../branch/paths.js'
import {
  describeErasure,
  filesBefore,
  ledgerWithout,
  manifestWithout,
  retentionCutoffDay
} from '../branch/retention.js'
import type { GitDatabase } from '../github/git-database.js'
import { errorMessage } from '../util/error-message.js'
import { commitFiles } from './commit-files.js'

/** What a retention pass did, in a line for the log and the summary; `failed` fails the step. */
export interface RetentionOutcome {
  line: string
  failed: boolean
}

/**
 * Erases the days before what `days` of retention keep from the data branch and from its
 * history: the branch becomes one commit (no parent) holding every other file as it is, the
 * manifest and the ledger without the erased days. Committing only a deletion would leave
 * the days in the history, where anyone with read access reaches them.
 *
 * The ref moves only from the tip the rewrite was built on (a forced compare-and-swap, see
 * commitFiles): a run that committed meanwhile makes it start over on the new tip, and a run
 * in flight that built on the old history finds the branch moved and rebuilds on the
 * rewritten one, so nothing erased comes back and nothing kept is lost. A failure does not
 * touch what was committed; it fails the step, since days meant to be gone are still there.
 */
export async function eraseOldDays(options: {
  git: GitDatabase
  branch: string
  days: number
  now: Date
}): Promise<RetentionOutcome> {
  const keptFrom = retentionCutoffDay(options.now, options.days)
  let erased: { days: string[]; paths: string[] } | undefined
  try {
    const result = await commitFiles({
      git: options.git,
      branch: options.branch,
      history: 'replace',
      maxAttempts: 5,
      build: async (files) => {
        const changes = await erasureChanges(files, keptFrom)
        erased = changes?.erased
        return changes
      }
    })
    if (result.status === 'unchanged' || !erased)
      return { line: `Retention: the branch holds no day before ${keptFrom}; nothing to erase.`, failed: false }
    return {
      line: `Retention: ${describeErasure(erased, keptFrom, 'erased')} from branch '${options.branch}' and its history: it is now one commit, ${result.commitSha.slice(0, 7)}.`,
      failed: false
    }
  } catch (error) {
    return {
      line:
        `Retention could not erase the days before ${keptFrom}: ${errorMessage(error)}. ` +
        `The run's data is committed; a ruleset that blocks force pushes on the data branch needs this token as a bypass actor (docs/data-governance.md).`,
      failed: true
    }
  }
}

/** The files a rewrite keeping the days from `keptFrom` changes, or undefined when none is older. */
async function erasureChanges(
  files: BranchFiles,
  keptFrom: string
): Promise<(FileChanges & { erased: { days: string[]; paths: string[] } }) | undefined> {
  const old = filesBefore(files.paths(), keptFrom)
  if (old.paths.length === 0) return undefined
  const changed: FileChanges['files'] = new Map(old.paths.map((path) => [path, null]))
  const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8')
  if (manifestText !== undefined)
    changed.set(MANIFEST_PATH, renderManifest(manifestWithout(parseManifest(manifestText), new Set(old.paths))))
  const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8')
  if (ledgerText !== undefined)
    changed.set(LEDGER_PATH, renderLedger(ledgerWithout(parseLedger(ledgerText, LEDGER_PATH), keptFrom)))
  return {
    files: changed,
    erased: old,
    message:
      `Retention: ${describeErasure(old, keptFrom, 'erase')}\n\n` +
      `retention-days keeps the days from ${keptFrom}. The branch was rewritten as this one commit, which holds\n` +
      `every file kept as it was; the history before it, which held the erased days, was dropped.\n`
  }
}
