import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GitDatabase, TreeChange } from './git-database.js'

/** Read access to the files of the branch tip a commit is being built on. */
export interface BranchFiles {
  has(path: string): boolean
  /** Every file path of the tip. */
  paths(): Iterable<string>
  /** The git blob sha of a file, to tell unchanged content without reading it. */
  blobSha(path: string): string | undefined
  read(path: string): Promise<string | undefined>
}

/** What to write: file contents by path (null deletes the file), and the commit message. */
export interface FileChanges {
  files: Map<string, Buffer | string | null>
  message: string
}

/** How a commit attempt ended. */
export type CommitResult =
  | { status: 'committed'; commitSha: string; changedPaths: string[]; attempts: number; createdBranch: boolean }
  | { status: 'unchanged'; attempts: number }

/**
 * GitHub times out on large tree requests ("Sorry, your request timed out"); chunks chain
 * through base_tree, each at most this many entries and (roughly) bytes of content.
 */
const TREE_CHUNK_ENTRIES = 100
const TREE_CHUNK_BYTES = 8 * 1024 * 1024

/**
 * Commits files to a branch through the Git Data API, without a checkout:
 * blobs → tree on the tip's tree → commit → fast-forward ref update (never force). When
 * another writer moved the branch first, the changes are rebuilt on the new tip by calling
 * `build` again, so both writers' data survives. A missing branch is created as an orphan.
 */
export async function commitFiles(options: {
  git: GitDatabase
  branch: string
  build: (files: BranchFiles) => Promise<FileChanges | undefined>
  maxAttempts?: number
  log?: (message: string) => void
}): Promise<CommitResult> {
  const { git, branch } = options
  const maxAttempts = options.maxAttempts ?? 8
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await git.getHead(branch)
    const existing = head ? await git.listFiles(head.treeSha) : new Map<string, string>()
    const files: BranchFiles = {
      has: (path) => existing.has(path),
      paths: () => existing.keys(),
      blobSha: (path) => existing.get(path),
      read: async (path) => {
        const sha = existing.get(path)
        return sha ? (await git.readBlob(sha)).toString('utf8') : undefined
      }
    }
    const changes = await options.build(files)
    const changed = [...(changes?.files ?? [])].filter(([path, content]) =>
      content === null ? existing.has(path) : existing.get(path) !== gitBlobSha(content)
    )
    if (!changes || changed.length === 0) return { status: 'unchanged', attempts: attempt }

    // File contents travel inside the tree requests: one content-creating call per chunk
    // instead of one per file keeps a large backfill far from GitHub's secondary limits.
    const entries: TreeChange[] = changed
      .map(([path, content]): TreeChange =>
        content === null ? { path, sha: null } : { path, content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content }
      )
      .sort((a, b) => (a.path < b.path ? -1 : 1))
    let tree = head?.treeSha
    for (const chunk of chunkTreeChanges(entries)) tree = await git.createTree(tree, chunk)
    if (!tree) throw new Error('No tree was created for a non-empty change.')
    const commitSha = await git.createCommit(changes.message, tree, head ? [head.commitSha] : [])

    const outcome = head ? await git.updateRef(branch, commitSha) : await git.createRef(branch, commitSha)
    if (outcome === 'updated' || outcome === 'created') {
      return { status: 'committed', commitSha, changedPaths: entries.map((entry) => entry.path), attempts: attempt, createdBranch: outcome === 'created' }
    }
    const delay = Math.random() * Math.min(8_000, 250 * 2 ** attempt)
    options.log?.(`Branch '${branch}' moved while committing (attempt ${attempt}); rebuilding on the new tip in ${Math.round(delay)} ms.`)
    await sleep(delay)
  }
  throw new Error(
    `Branch '${branch}' kept moving while committing; gave up after ${maxAttempts} attempts. ` +
      `Give concurrent runs a workflow 'concurrency:' group, then run again: nothing was lost, the next run collects the same data.`
  )
}

/** Splits tree changes into requests of bounded entries and bytes (a huge file gets its own). */
export function chunkTreeChanges(entries: readonly TreeChange[]): TreeChange[][] {
  const chunks: TreeChange[][] = []
  let current: TreeChange[] = []
  let bytes = 0
  for (const entry of entries) {
    const size = 'content' in entry ? entry.content.byteLength : 0
    if (current.length > 0 && (current.length >= TREE_CHUNK_ENTRIES || bytes + size > TREE_CHUNK_BYTES)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(entry)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** The sha git gives a blob with this content, to skip uploading files that did not change. */
export function gitBlobSha(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex')
}
