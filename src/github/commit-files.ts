import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GitDatabase, TreeChange } from './git-database.js'

/** Read access to the files of the branch tip a commit is being built on. */
export interface BranchFiles {
  has(path: string): boolean
  /** Every file path of the tip. */
  paths(): Iterable<string>
  /** The size of a file in bytes. */
  size(path: string): number | undefined
  /** A file's bytes (for the small state files). */
  read(path: string): Promise<Buffer | undefined>
  /** A file's bytes in chunks, downloaded as they are read (for day files of any size). */
  stream(path: string): AsyncIterable<Buffer>
}

/**
 * A file written to disk for the commit, with its size. Its git blob sha is learnt when it is
 * uploaded: hashing it beforehand would read it once more, for a comparison the caller
 * already made (a day part is staged only when its content changed).
 */
export interface StagedFile {
  file: string
  size: number
}

/** What a path should hold: bytes (or text, UTF-8), or a file on disk. */
export type FileContent = Buffer | string | StagedFile

/** What to write: file contents by path (null deletes the file), and the commit message. */
export interface FileChanges {
  files: Map<string, FileContent | null>
  message: string
  /**
   * Paths that only ride along: a change to them alone makes no commit (a generated README
   * that shows today's date, say).
   */
  alongside?: ReadonlySet<string>
}

/** How a commit attempt ended. */
export type CommitResult =
  | { status: 'committed'; commitSha: string; changedPaths: string[]; attempts: number; createdBranch: boolean }
  | { status: 'unchanged'; attempts: number }

/**
 * Commits files to a branch through the Git Data API, without a checkout:
 * blobs → tree on the tip's tree → commit → fast-forward ref update (never force). When
 * another writer moved the branch first, the changes are rebuilt on the new tip by calling
 * `build` again, so both writers' data survives. A missing branch is created as an orphan.
 * `afterAttempt` runs after every attempt, whatever its outcome (to remove its temp files).
 */
export async function commitFiles(options: {
  git: GitDatabase
  branch: string
  build: (files: BranchFiles, attempt: number) => Promise<FileChanges | undefined>
  afterAttempt?: (attempt: number) => Promise<void>
  maxAttempts?: number
  log?: (message: string) => void
}): Promise<CommitResult> {
  const { git, branch } = options
  const maxAttempts = options.maxAttempts ?? 8
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const head = await git.getHead(branch)
      const existing = head ? await git.listFiles(head.treeSha) : new Map<string, { sha: string; size: number }>()
      const files: BranchFiles = {
        has: (path) => existing.has(path),
        paths: () => existing.keys(),
        size: (path) => existing.get(path)?.size,
        read: async (path) => {
          const entry = existing.get(path)
          return entry ? await git.readBlob(entry.sha) : undefined
        },
        stream: (path) => {
          const entry = existing.get(path)
          if (!entry) throw new Error(`${path} is not on branch '${branch}'.`)
          return checkedLength(git.streamBlob(entry.sha), entry.size, path)
        }
      }
      const changes = await options.build(files, attempt)
      const entries: TreeChange[] = []
      for (const [path, content] of changes?.files ?? []) {
        const entry = treeChange(path, content)
        const current = existing.get(path)?.sha
        if (entry.sha !== undefined && (entry.sha === null ? current === undefined : current === entry.sha)) continue
        entries.push(entry)
      }
      if (!changes || entries.every((entry) => changes.alongside?.has(entry.path))) return { status: 'unchanged', attempts: attempt }
      entries.sort((a, b) => (a.path < b.path ? -1 : 1))

      const tree = await git.writeTree(head?.treeSha, entries)
      // Staged files are compared only once uploaded: all of them may turn out the same.
      if (head && tree === head.treeSha) return { status: 'unchanged', attempts: attempt }
      const commitSha = await git.createCommit(changes.message, tree, head ? [head.commitSha] : [])
      const outcome = head ? await git.updateRef(branch, commitSha) : await git.createRef(branch, commitSha)
      if (outcome === 'updated' || outcome === 'created') {
        return { status: 'committed', commitSha, changedPaths: entries.map((entry) => entry.path), attempts: attempt, createdBranch: outcome === 'created' }
      }
    } finally {
      await options.afterAttempt?.(attempt)
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

/**
 * Passes a download through, failing it when it ends short of the size the tree gave: a cut
 * that happens to fall between two rows must not read as a day with fewer rows.
 */
async function* checkedLength(chunks: AsyncIterable<Buffer>, size: number, path: string): AsyncGenerator<Buffer> {
  let received = 0
  for await (const chunk of chunks) {
    received += chunk.byteLength
    yield chunk
  }
  if (received !== size) throw new Error(`Downloading ${path} from the data branch stopped after ${received} of ${size} bytes; run again.`)
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
