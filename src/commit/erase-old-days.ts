import { setTimeout as sleep } from 'node:timers/promises'
import { parseManifest, renderManifest } from '../branch/manifest.js'
import { parseLedger, renderLedger } from '../branch/ledger.js'
import { LEDGER_PATH, MANIFEST_PATH } from '../branch/paths.js'
import { filesBefore, ledgerWithout, manifestWithout, retentionCutoffDay } from '../branch/retention.js'
import { openBranchTip } from '../github/branch-tip.js'
import type { GitDatabase, TreeChange } from '../github/git-database.js'
import { countNoun } from '../util/count-text.js'

/** What a retention pass did. */
export type Erasure =
  | { status: 'nothing-to-erase'; keptFrom: string }
  | { status: 'erased'; keptFrom: string; days: string[]; files: number; commitSha: string; replaced: string }

/**
 * Erases the days before what `days` of retention keep from the data branch and from its
 * history: the branch becomes one commit (no parent) holding every other file as it is, the
 * manifest and the ledger without the erased days. Committing only a deletion would leave
 * the days in the history, where anyone with read access reaches them.
 *
 * The ref moves only from the tip the rewrite was built on (compare-and-swap, forced): a run
 * that committed meanwhile makes it start over on the new tip, and a run in flight that
 * built on the old history finds the branch moved and rebuilds on the rewritten one (its
 * update is compare-and-swap too), so nothing erased comes back and nothing kept is lost.
 */
export async function eraseOldDays(options: {
  git: GitDatabase
  branch: string
  days: number
  now: Date
  maxAttempts?: number
}): Promise<Erasure> {
  const { git, branch } = options
  const keptFrom = retentionCutoffDay(options.now, options.days)
  const maxAttempts = options.maxAttempts ?? 5
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { head, files } = await openBranchTip(git, branch)
    const old = filesBefore(files.paths(), keptFrom)
    if (!head || old.paths.length === 0) return { status: 'nothing-to-erase', keptFrom }
    const erased = new Set(old.paths)
    const entries: TreeChange[] = old.paths.map((path) => ({ path, sha: null }))
    const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8')
    if (manifestText !== undefined) {
      const bytes = Buffer.from(renderManifest(manifestWithout(parseManifest(manifestText), erased)), 'utf8')
      entries.push({ path: MANIFEST_PATH, sha: undefined, content: { bytes } })
    }
    const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8')
    if (ledgerText !== undefined) {
      const ledger = ledgerWithout(parseLedger(ledgerText, LEDGER_PATH), keptFrom)
      entries.push({ path: LEDGER_PATH, sha: undefined, content: { bytes: Buffer.from(renderLedger(ledger), 'utf8') } })
    }
    const tree = await git.writeTree(head.treeSha, entries)
    const message =
      `Retention: erase ${countNoun(old.days.length, 'day')} before ${keptFrom} (${countNoun(old.paths.length, 'file')})\n\n` +
      `retention-days keeps the days from ${keptFrom}. The branch was rewritten as this one commit, which holds\n` +
      `every file kept as it was; the history before it, which held the erased days, was dropped\n` +
      `(it was ${head.commitSha}).\n`
    const commitSha = await git.createCommit(message, tree, [])
    const outcome = await git.replaceRef(branch, commitSha, head.commitSha)
    if (outcome === 'updated')
      return {
        status: 'erased',
        keptFrom,
        days: old.days,
        files: old.paths.length,
        commitSha,
        replaced: head.commitSha
      }
    await sleep(Math.random() * Math.min(8_000, 250 * 2 ** attempt))
  }
  throw new Error(
    `Branch '${branch}' kept moving while erasing the days before ${keptFrom}; gave up after ${maxAttempts} attempts. The next run tries again.`
  )
}
