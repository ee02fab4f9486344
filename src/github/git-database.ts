import { isUtf8 } from 'node:buffer'
import type { StagedFile } from '../branch/branch-files.js'
import { readBlobsInBatches, type BlobRef } from './blob-batch.js'
import { uploadBlob } from './blob-upload.js'
import type { GitHubClient } from './client.js'
import { chunkBySize } from '../util/chunk.js'

/** The tip of a branch. */
export interface BranchHead {
  commitSha: string
  treeSha: string
}

/**
 * A tree entry to write: new content (bytes, or a file on disk) or an existing blob by sha,
 * or null to delete. Content is loaded only when its request is sent, so a large commit
 * holds one request's worth at a time.
 */
export interface TreeChange {
  path: string
  /** The blob's sha (undefined: known once the content is uploaded), or null to delete. */
  sha: string | null | undefined
  content?: { bytes: Buffer } | StagedFile
}

/**
 * The few Git Data API calls the data branch needs. The seam keeps commit logic testable
 * and names each outcome the logic branches on, instead of HTTP statuses.
 */
export interface GitDatabase {
  /** The branch tip, or undefined when the branch does not exist. */
  getHead(branch: string): Promise<BranchHead | undefined>
  /** Every file of a tree, path → blob sha and size. */
  listFiles(treeSha: string): Promise<Map<string, BlobRef>>
  readBlob(sha: string): Promise<Buffer>
  /** Many small blobs, by sha, in as few requests as GitHub allows (see blob-batch.ts). */
  readBlobs(blobs: readonly BlobRef[]): Promise<Map<string, Buffer>>
  /** A blob's bytes in chunks as they download (the raw media type: no base64, no JSON). */
  streamBlob(sha: string): AsyncIterable<Buffer>
  /** Writes the changes as a tree on `baseTree` (in as many requests as their size needs). */
  writeTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string>
  createCommit(message: string, treeSha: string, parents: readonly string[]): Promise<string>
  /** Creates the branch; 'exists' when another writer created it first. */
  createRef(branch: string, sha: string): Promise<'created' | 'exists'>
  /**
   * Moves the branch from `expected` to `sha` (a fast forward), compare-and-swap: 'moved' when
   * the branch no longer points at `expected`, whoever moved it and in whichever direction.
   */
  updateRef(branch: string, sha: string, expected: string): Promise<'updated' | 'moved'>
  /**
   * Points the branch at `sha` whatever its history (a rewrite: retention), but only while it
   * still points at `expected`; 'moved' otherwise.
   */
  replaceRef(branch: string, sha: string, expected: string): Promise<'updated' | 'moved'>
}

/** API error texts the logic recognises. */
export const ERROR_REFERENCE_EXISTS = 'Reference already exists'
export const ERROR_REPOSITORY_EMPTY = 'Git Repository is empty'

interface RequestErrorLike {
  status?: number
  message?: string
  response?: { data?: { message?: string } }
}

function apiMessage(error: unknown): string {
  const graphqlErrors = (error as { errors?: { message?: string }[] }).errors
  if (Array.isArray(graphqlErrors)) return graphqlErrors.map((graphqlError) => graphqlError.message ?? '').join('; ')
  const e = error as RequestErrorLike
  return e.response?.data?.message ?? e.message ?? ''
}

/** The HTTP status of a failed call; a GraphQL refusal (HTTP 200) by the status its type stands for. */
function status(error: unknown): number | undefined {
  const graphqlType = (error as { errors?: { type?: string }[] }).errors?.[0]?.type
  if (graphqlType === 'FORBIDDEN') return 403
  if (graphqlType === 'NOT_FOUND') return 404
  return (error as RequestErrorLike).status
}

/** The Git Data API of one repository, through Octokit: a plain object, which callers may spread to replace a call. */
export function createGitDatabase(octokit: GitHubClient, target: { owner: string; repo: string }): GitDatabase {
  const api = new OctokitGitDatabase(octokit, { owner: target.owner, repo: target.repo })
  return {
    getHead: (branch) => api.getHead(branch),
    listFiles: (treeSha) => api.listFiles(treeSha),
    readBlob: (sha) => api.readBlob(sha),
    readBlobs: (blobs) => api.readBlobs(blobs),
    streamBlob: (sha) => api.streamBlob(sha),
    writeTree: (baseTree, changes) => api.writeTree(baseTree, changes),
    createCommit: (message, treeSha, parents) => api.createCommit(message, treeSha, parents),
    createRef: (branch, sha) => api.createRef(branch, sha),
    updateRef: (branch, sha, expected) => api.updateRef(branch, sha, expected),
    replaceRef: (branch, sha, expected) => api.replaceRef(branch, sha, expected)
  }
}

class OctokitGitDatabase implements GitDatabase {
  private readonly where: string

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repo: { owner: string; repo: string }
  ) {
    this.where = `${repo.owner}/${repo.repo}`
  }

  async getHead(branch: string): Promise<BranchHead | undefined> {
    try {
      const { data: ref } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` })
      const { data: commit } = await this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: ref.object.sha })
      return { commitSha: commit.sha, treeSha: commit.tree.sha }
    } catch (error) {
      if (status(error) === 404) return undefined
      throw this.explain(error, `read branch '${branch}'`)
    }
  }

  async listFiles(treeSha: string): Promise<Map<string, BlobRef>> {
    const files = new Map<string, BlobRef>()
    try {
      await this.listFolder(treeSha, '', files)
    } catch (error) {
      throw this.explain(error, 'list the data branch files')
    }
    return files
  }

  /**
   * One recursive listing per folder, as long as GitHub gives it whole. A branch of some
   * years outgrows one listing (GitHub cuts it at 100,000 entries or 7 MB); its folders are
   * then listed one by one, each whole again below some depth.
   */
  private async listFolder(treeSha: string, prefix: string, files: Map<string, BlobRef>): Promise<void> {
    const { data } = await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: treeSha, recursive: 'true' })
    let entries = data.tree
    if (data.truncated) {
      const { data: folder } = await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: treeSha })
      // One folder past GitHub's limit by itself: listing part of it would read as files gone.
      if (folder.truncated)
        throw new Error(
          `the folder '${prefix || '/'}' of the data branch holds more entries than GitHub lists at once (100,000)`
        )
      entries = folder.tree
    }
    for (const entry of entries) {
      if (!entry.path || !entry.sha) continue
      if (entry.type === 'blob') files.set(`${prefix}${entry.path}`, { sha: entry.sha, size: entry.size ?? 0 })
      else if (entry.type === 'tree' && data.truncated)
        await this.listFolder(entry.sha, `${prefix}${entry.path}/`, files)
    }
  }

  async readBlob(sha: string): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const chunk of this.streamBlob(sha)) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  readBlobs(blobs: readonly BlobRef[]): Promise<Map<string, Buffer>> {
    return readBlobsInBatches(this.octokit, this.repo, blobs, (sha) => this.readBlob(sha))
  }

  async *streamBlob(sha: string): AsyncGenerator<Buffer> {
    let body: ReadableStream<Uint8Array> | null
    try {
      const response = await this.octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
        ...this.repo,
        file_sha: sha,
        headers: { accept: 'application/vnd.github.raw+json' },
        request: { parseSuccessResponseBody: false }
      })
      body = response.data as unknown as ReadableStream<Uint8Array> | null
    } catch (error) {
      throw this.explain(error, `read blob ${sha}`)
    }
    if (!body) return
    try {
      for await (const chunk of body) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    } catch (error) {
      throw new Error(
        `Could not read blob ${sha} in ${this.where}: the download broke off (${(error as Error).message}).`,
        { cause: error }
      )
    }
  }

  async writeTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    let tree = baseTree
    for (const chunk of chunkTreeChanges(changes)) {
      const entries: TreeEntry[] = []
      for (const change of chunk) entries.push(await this.treeEntry(change))
      tree = await this.createTree(tree, entries)
    }
    if (!tree) throw new Error('No tree was created for a non-empty change.')
    return tree
  }

  async createCommit(message: string, treeSha: string, parents: readonly string[]): Promise<string> {
    try {
      // No author or committer: with an Actions or App token GitHub then signs the commit.
      const { data } = await this.octokit.rest.git.createCommit({
        ...this.repo,
        message,
        tree: treeSha,
        parents: [...parents]
      })
      return data.sha
    } catch (error) {
      throw this.explain(error, 'create a commit')
    }
  }

  async createRef(branch: string, sha: string): Promise<'created' | 'exists'> {
    try {
      await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha })
      return 'created'
    } catch (error) {
      if (status(error) === 422 && apiMessage(error).includes(ERROR_REFERENCE_EXISTS)) return 'exists'
      throw this.explain(error, `create branch '${branch}'`)
    }
  }

  /**
   * REST's ref update checks only that the move is a fast forward: after an erasure reset the
   * branch to an older commit, a commit built on the erased tip is still a fast forward of it,
   * and the erased commits would come back. GraphQL's `updateRefs` also checks the value
   * before (https://docs.github.com/graphql/reference/mutations#updaterefs). Its refusals
   * are not documented by text, so any failure is judged by where the branch now points.
   */
  updateRef(branch: string, sha: string, expected: string): Promise<'updated' | 'moved'> {
    return this.swapRef(branch, sha, expected, false)
  }

  replaceRef(branch: string, sha: string, expected: string): Promise<'updated' | 'moved'> {
    return this.swapRef(branch, sha, expected, true)
  }

  private async swapRef(branch: string, sha: string, expected: string, force: boolean): Promise<'updated' | 'moved'> {
    let failure: unknown
    try {
      const answer = await this.octokit.graphql<{ updateRefs?: unknown } | undefined>(UPDATE_REFS, {
        repositoryId: await this.repositoryId(),
        refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: expected, afterOid: sha, force }]
      })
      // Only an answer that says so counts: a body cut short reaches here as no data at all.
      if (answer?.updateRefs) return 'updated'
      failure = new Error('GitHub answered the ref update without saying it was made')
    } catch (error) {
      failure = error
    }
    const now = await this.refSha(branch).catch(() => undefined)
    if (now === sha) return 'updated'
    if (now !== undefined && now !== expected) return 'moved'
    throw this.explain(failure, force ? `rewrite branch '${branch}' (a force push)` : `update branch '${branch}'`)
  }

  /** Where a branch points now (undefined when it is gone). */
  private async refSha(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` })
      return data.object.sha
    } catch (error) {
      if (status(error) === 404) return undefined
      throw error
    }
  }

  private repositoryNodeId: Promise<string> | undefined

  /** The repository's GraphQL id, asked for once. */
  private repositoryId(): Promise<string> {
    this.repositoryNodeId ??= this.octokit.rest.repos.get(this.repo).then(({ data }) => data.node_id)
    this.repositoryNodeId.catch(() => (this.repositoryNodeId = undefined))
    return this.repositoryNodeId
  }

  private async createTree(baseTree: string | undefined, entries: readonly TreeEntry[]): Promise<string> {
    try {
      const { data } = await this.octokit.rest.git.createTree({
        ...this.repo,
        ...(baseTree ? { base_tree: baseTree } : {}),
        tree: entries.map((entry) => ({ mode: '100644' as const, type: 'blob' as const, ...entry }))
      })
      return data.sha
    } catch (error) {
      throw this.explain(error, 'create a tree')
    }
  }

  /**
   * Small content goes inline in the tree request; files are uploaded as blobs first (see
   * blob-upload.ts), never held in memory.
   */
  private async treeEntry(change: TreeChange): Promise<TreeEntry> {
    if (!change.content) {
      if (change.sha === undefined) throw new Error(`${change.path}: a tree change needs content or a blob sha.`)
      return { path: change.path, sha: change.sha }
    }
    if (
      'bytes' in change.content &&
      change.content.bytes.byteLength <= INLINE_MAX_BYTES &&
      isUtf8(change.content.bytes)
    ) {
      return { path: change.path, content: change.content.bytes.toString('utf8') }
    }
    try {
      return { path: change.path, sha: await uploadBlob(this.octokit, this.repo, change.content) }
    } catch (error) {
      throw this.explain(error, `upload ${change.path}`)
    }
  }

  /** A failed call in words: what failed, where, and what to change. */
  private explain(error: unknown, action: string): Error {
    const code = status(error)
    const message = apiMessage(error)
    const where = this.where
    if (code === 409 && message.includes(ERROR_REPOSITORY_EMPTY)) {
      return new Error(
        `${where} has no commits yet, and GitHub's Git Data API does not work on an empty repository; create an initial commit (for example a README) and run again.`
      )
    }
    if (code === 401)
      return new Error(
        `GitHub rejected the token while trying to ${action} in ${where} (401 ${message}); check 'github-token'.`
      )
    if (code === 403 || code === 404) {
      return new Error(
        `GitHub refused to ${action} in ${where} (${code} ${message}); the token needs 'contents: write' on that repository ` +
          `(in the workflow: permissions: contents: write).`
      )
    }
    return new Error(`Could not ${action} in ${where}: ${code ?? ''} ${message}`.replace(/\s+/g, ' ').trim())
  }
}

const UPDATE_REFS = `mutation ($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
  updateRefs(input: { repositoryId: $repositoryId, refUpdates: $refUpdates }) { clientMutationId }
}`

/** Content up to this size (the ledger, the manifest, the README) goes inline in the tree request. */
const INLINE_MAX_BYTES = 1024 * 1024

/** One entry of a tree request: inline text, or a blob by sha (null deletes). */
type TreeEntry = { path: string; content: string } | { path: string; sha: string | null }

/**
 * GitHub times out on large tree requests ("Sorry, your request timed out"); chunks chain
 * through base_tree, each at most this many entries and (roughly) bytes of inline content.
 */
const TREE_CHUNK_ENTRIES = 100
const TREE_CHUNK_BYTES = 8 * 1024 * 1024

/**
 * Splits tree changes into requests of bounded entries and inline bytes. Files go up as blobs
 * first and weigh nothing in the tree request: counting them would only add requests, each
 * a paced content-creating call.
 */
export function chunkTreeChanges(entries: readonly TreeChange[]): TreeChange[][] {
  return chunkBySize(entries, TREE_CHUNK_ENTRIES, TREE_CHUNK_BYTES, (entry) =>
    entry.content && 'bytes' in entry.content ? entry.content.bytes.byteLength : 0
  )
}
