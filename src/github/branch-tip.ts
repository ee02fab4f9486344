import type { BranchFiles } from '../branch/branch-files.js'
import type { Ledger } from '../branch/ledger.js'
import { readLedger } from '../branch/read-ledger.js'
import type { BlobRef } from './blob-batch.js'
import type { BranchHead, GitDatabase } from './git-database.js'

/** A branch as it stands: its head (none when the branch does not exist) and its files. */
export interface BranchTip {
  head: BranchHead | undefined
  files: BranchFiles
  /** Each file's blob sha and size, as the tree lists them. */
  blobs: ReadonlyMap<string, BlobRef>
}

/** The ledger at a branch's tip (empty when it has none), whether the branch exists, and its file paths. */
export async function readBranchLedger(
  git: GitDatabase,
  branch: string,
  warn?: (message: string) => void
): Promise<{ ledger: Ledger; exists: boolean; paths: string[] }> {
  const tip = await openBranchTip(git, branch)
  return { ledger: await readLedger(tip.files, warn), exists: tip.head !== undefined, paths: [...tip.files.paths()] }
}

/**
 * Reads a branch's tip through the Git Data API: its head and its file list, one request
 * each (GET only); a file's bytes are downloaded when they are read.
 */
export async function openBranchTip(git: GitDatabase, branch: string): Promise<BranchTip> {
  const head = await git.getHead(branch)
  const existing = head ? await git.listFiles(head.treeSha) : new Map<string, BlobRef>()
  const files: BranchFiles = {
    has: (path) => existing.has(path),
    paths: () => existing.keys(),
    size: (path) => existing.get(path)?.size,
    read: async (path) => {
      const entry = existing.get(path)
      return entry ? await git.readBlob(entry.sha) : undefined
    },
    readMany: async (paths) => {
      const found = paths.flatMap((path) => {
        const entry = existing.get(path)
        return entry ? [{ path, ...entry }] : []
      })
      const blobs = await git.readBlobs(found)
      return new Map(found.map((entry) => [entry.path, blobs.get(entry.sha)!]))
    },
    stream: (path) => {
      const entry = existing.get(path)
      if (!entry) throw new Error(`${path} is not on branch '${branch}'.`)
      return checkedLength(git.streamBlob(entry.sha), entry.size, path)
    }
  }
  return { head, files, blobs: existing }
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
  if (received !== size)
    throw new Error(`Downloading ${path} from the data branch stopped after ${received} of ${size} bytes; run again.`)
}
