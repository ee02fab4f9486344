import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GitDatabase, TreeChange } from '../github/git-database.js'
import type { BranchFiles, FileChanges, FileContent } from '../branch/branch-files.js'
import { openBranchTip } from '../github/branch-tip.js'

/** How a commit attempt ended. */
export type CommitResult =
  | { status: 'committed'; commitSha: string; changedPaths: string[]; attempts: number; createdBranch: boolean }
  | { status: 'unchanged'; attempts: number }

/**
 * Commits files to a branch through the Git Data API, without a checkout:
 * blobs → tree on the tip's tree → commit → ref update from the tip the commit was built on
 * (compare-and-swap, never force). When another writer moved the branch first (forward, or
 * back by an erasure), the changes are rebuilt on the new tip by calling `build` again, so
 * both writers' data survives and nothing erased comes back. A missing branch is created as an orphan.
 * With `history: 'replace'` the commit has no parent and replaces the branch's history (a
 * forced compare-and-swap: retention). `afterAttempt` runs after every attempt, whatever its
 * outcome (to remove its temp files).
 */
export async function commitFiles(options: {
  git: GitDatabase
  branch: string
  build: (files: BranchFiles, attempt: number) => Promise<FileChanges | undefined>
  afterAttempt?: (attempt: number) => Promise<void>
  maxAttempts?: number
  log?: (message: string) => void
  /** 'replace': the commit has no parent and replaces the branch's history. */
  history?: 'extend' | 'replace'
}): Promise<CommitResult> {
  const { git, branch } = options
  const maxAttempts = options.maxAttempts ?? 8
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const { head, files, blobs } = await openBranchTip(git, branch)
      const changes = await options.build(files, attempt)
      const entries: TreeChange[] = []
      for (const [path, content] of changes?.files ?? []) {
        const entry = treeChange(path, content)
        const current = blobs.get(path)?.sha
        if (entry.sha !== undefined && (entry.sha === null ? current === undefined : current === entry.sha)) continue
        entries.push(entry)
      }
      if (!changes || entries.every((entry) => changes.alongside?.has(entry.path)))
        return { status: 'unchanged', attempts: attempt }
      entries.sort((a, b) => (a.path < b.path ? -1 : 1))

      const tree = await git.writeTree(head?.treeSha, entries)
      // Staged files are compared only once uploaded: all of them may turn out the same.
      if (head && tree === head.treeSha) return { status: 'unchanged', attempts: attempt }
      const replace = options.history === 'replace'
      const commitSha = await git.createCommit(changes.message, tree, head && !replace ? [head.commitSha] : [])
      const outcome = !head
        ? await git.createRef(branch, commitSha)
        : replace
          ? await git.replaceRef(branch, commitSha, head.commitSha)
          : await git.updateRef(branch, commitSha, head.commitSha)
      if (outcome === 'updated' || outcome === 'created') {
        return {
          status: 'committed',
          commitSha,
          changedPaths: entries.map((entry) => entry.path),
          attempts: attempt,
          createdBranch: outcome === 'created'
        }
      }
    } finally {
      await options.afterAttempt?.(attempt)
    }
    const delay = Math.random() * Math.min(8_000, 250 * 2 ** attempt)
    options.log?.(
      `Branch '${branch}' moved while committing (attempt ${attempt}); rebuilding on the new tip in ${Math.round(delay)} ms.`
    )
    await sleep(delay)
  }
  throw new Error(
    `Branch '${branch}' kept moving while committing; gave up after ${maxAttempts} attempts. ` +
      `Give concurrent runs a workflow 'concurrency:' group, then run again: nothing was lost, the next run collects the same data.`
  )
}

/** A path's new content as a tree change, with the blob sha it will have. */
function treeChange(path: string, content: FileContent | null): TreeChange {
  if (content === null) return { path, sha: null }
  if (typeof content === 'string' || Buffer.isBuffer(content)) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
    return { path, sha: gitBlobSha(bytes), content: { bytes } }
  }
  return { path, sha: undefined, content }
}

/** The sha git gives a blob with this content, to skip uploading files that did not change. */
export function gitBlobSha(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex')
}
