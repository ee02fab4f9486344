import { isUtf8 } from 'node:buffer'
import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { request } from 'undici'
import type { StagedFile } from '../branch/branch-files.js'
import type { GitHubClient } from './client.js'

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
  listFiles(treeSha: string): Promise<Map<string, { sha: string; size: number }>>
  readBlob(sha: string): Promise<Buffer>
  /** A blob's bytes in chunks as they download (the raw media type: no base64, no JSON). */
  streamBlob(sha: string): AsyncIterable<Buffer>
  /** Writes the changes as a tree on `baseTree` (in as many requests as their size needs). */
  writeTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string>
  createCommit(message: string, treeSha: string, parents: readonly string[]): Promise<string>
  /** Creates the branch; 'exists' when another writer created it first. */
  createRef(branch: string, sha: string): Promise<'created' | 'exists'>
  /** Moves the branch without force; 'not-fast-forward' when another writer moved it first. */
  updateRef(branch: string, sha: string): Promise<'updated' | 'not-fast-forward'>
}

/** API error texts the logic recognises. */
export const ERROR_NOT_FAST_FORWARD = 'Update is not a fast forward'
export const ERROR_REFERENCE_EXISTS = 'Reference already exists'
export const ERROR_REPOSITORY_EMPTY = 'Git Repository is empty'

interface RequestErrorLike {
  status?: number
  message?: string
  response?: { data?: { message?: string } }
}

function apiMessage(error: unknown): string {
  const e = error as RequestErrorLike
  return e.response?.data?.message ?? e.message ?? ''
}

function status(error: unknown): number | undefined {
  return (error as RequestErrorLike).status
}

/** The Git Data API of one repository, through Octokit. */
export function createGitDatabase(octokit: GitHubClient, target: { owner: string; repo: string }): GitDatabase {
  const repo = { owner: target.owner, repo: target.repo }
  const where = `${target.owner}/${target.repo}`
  const explain = (error: unknown, action: string): Error => {
    const code = status(error)
    const message = apiMessage(error)
    if (code === 409 && message.includes(ERROR_REPOSITORY_EMPTY)) {
      return new Error(`${where} has no commits yet, and GitHub's Git Data API does not work on an empty repository; create an initial commit (for example a README) and run again.`)
    }
    if (code === 401) return new Error(`GitHub rejected the token while trying to ${action} in ${where} (401 ${message}); check 'github-token'.`)
    if (code === 403 || code === 404) {
      return new Error(
        `GitHub refused to ${action} in ${where} (${code} ${message}); the token needs 'contents: write' on that repository ` +
          `(in the workflow: permissions: contents: write).`
      )
    }
    return new Error(`Could not ${action} in ${where}: ${code ?? ''} ${message}`.replace(/\s+/g, ' ').trim())
  }

  const createTree = async (baseTree: string | undefined, entries: readonly TreeEntry[]): Promise<string> => {
    try {
      const { data } = await octokit.rest.git.createTree({
        ...repo,
        ...(baseTree ? { base_tree: baseTree } : {}),
        tree: entries.map((entry) => ({ mode: '100644' as const, type: 'blob' as const, ...entry }))
      })
      return data.sha
    } catch (error) {
      throw explain(error, 'create a tree')
    }
  }

  async function* streamBlob(sha: string): AsyncGenerator<Buffer> {
    let body: ReadableStream<Uint8Array> | null
    try {
      const response = await octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
        ...repo,
        file_sha: sha,
        headers: { accept: 'application/vnd.github.raw+json' },
        request: { parseSuccessResponseBody: false }
      })
      body = response.data as unknown as ReadableStream<Uint8Array> | null
    } catch (error) {
      throw explain(error, `read blob ${sha}`)
    }
    if (!body) return
    try {
      for await (const chunk of body) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    } catch (error) {
      throw new Error(`Could not read blob ${sha} in ${where}: the download broke off (${(error as Error).message}).`)
    }
  }

  /**
   * Small content goes inline in the tree request; files are uploaded as base64 blobs first,
   * binary-safe and streamed from disk: base64 needs no JSON escaping, and a part file is
   * never held in memory (a CSV file sent inline would be escaped, decoded and encoded again,
   * several copies of it at once, costing more CPU and memory than the rest of the run).
   */
  const treeEntry = async (change: TreeChange): Promise<TreeEntry> => {
    if (!change.content) {
      if (change.sha === undefined) throw new Error(`${change.path}: a tree change needs content or a blob sha.`)
      return { path: change.path, sha: change.sha }
    }
    if ('bytes' in change.content && change.content.bytes.byteLength <= INLINE_MAX_BYTES && isUtf8(change.content.bytes)) {
      return { path: change.path, content: change.content.bytes.toString('utf8') }
    }
    const source = change.content
    try {
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/git/blobs', {
        ...repo,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        // Octokit does the auth, pacing and retries; this sends the body, from the file, for every attempt.
        request: { fetch: streamingFetch(() => base64BlobBody(source), blobBodyLength('bytes' in source ? source.bytes.byteLength : source.size)) }
      } as unknown as Parameters<typeof octokit.rest.git.createBlob>[0])
      return { path: change.path, sha: (data as { sha: string }).sha }
    } catch (error) {
      throw explain(error, `upload ${change.path}`)
    }
  }

  return {
    async getHead(branch) {
      try {
        const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` })
        const { data: commit } = await octokit.rest.git.getCommit({ ...repo, commit_sha: ref.object.sha })
        return { commitSha: commit.sha, treeSha: commit.tree.sha }
      } catch (error) {
        if (status(error) === 404) return undefined
        throw explain(error, `read branch '${branch}'`)
      }
    },
    async listFiles(treeSha) {
      try {
        const { data } = await octokit.rest.git.getTree({ ...repo, tree_sha: treeSha, recursive: 'true' })
        if (data.truncated) throw new Error(`the tree ${treeSha} is too large for one listing`)
        const files = new Map<string, { sha: string; size: number }>()
        for (const entry of data.tree) {
          if (entry.type === 'blob' && entry.path && entry.sha) files.set(entry.path, { sha: entry.sha, size: entry.size ?? 0 })
        }
        return files
      } catch (error) {
        throw explain(error, 'list the data branch files')
      }
    },
    async readBlob(sha) {
      const chunks: Buffer[] = []
      for await (const chunk of streamBlob(sha)) chunks.push(chunk)
      return Buffer.concat(chunks)
    },
    streamBlob,
    async writeTree(baseTree, changes) {
      let tree = baseTree
      for (const chunk of chunkTreeChanges(changes)) {
        const entries: TreeEntry[] = []
        for (const change of chunk) entries.push(await treeEntry(change))
        tree = await createTree(tree, entries)
      }
      if (!tree) throw new Error('No tree was created for a non-empty change.')
      return tree
    },
    async createCommit(message, treeSha, parents) {
      try {
        // No author or committer: with an Actions or App token GitHub then signs the commit.
        const { data } = await octokit.rest.git.createCommit({ ...repo, message, tree: treeSha, parents: [...parents] })
        return data.sha
      } catch (error) {
        throw explain(error, 'create a commit')
      }
    },
    async createRef(branch, sha) {
      try {
        await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha })
        return 'created'
      } catch (error) {
        if (status(error) === 422 && apiMessage(error).includes(ERROR_REFERENCE_EXISTS)) return 'exists'
        throw explain(error, `create branch '${branch}'`)
      }
    },
    async updateRef(branch, sha) {
      try {
        await octokit.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha, force: false })
        return 'updated'
      } catch (error) {
        if (status(error) === 422 && apiMessage(error).includes(ERROR_NOT_FAST_FORWARD)) return 'not-fast-forward'
        throw explain(error, `update branch '${branch}'`)
      }
    }
  }
}

/** Content up to this size (the ledger, the manifest, the README) goes inline in the tree request. */
const INLINE_MAX_BYTES = 1024 * 1024
const BLOB_BODY_START = Buffer.from('{"encoding":"base64","content":"')
const BLOB_BODY_END = Buffer.from('"}')
/** Read this much of a file at a time. */
const UPLOAD_READ_BYTES = 1024 * 1024
/**
 * Encode this much at a time (a multiple of 3: base64 pieces then join without padding):
 * 64 KiB of text, a short-lived string V8 collects cheaply, where a megabyte would be
 * allocated as a large object. Each piece goes to the socket as the string it is: turned
 * into a Buffer first, every piece was a new allocation outside V8's heap, some 480 MB of
 * them for a 360 MB day, and V8 answers such a churn with full garbage collections (19 in
 * a 250,000-record backfill, against 2 with strings; measured by `npm run bench` with
 * BENCH_V8_FLAGS=--trace-gc).
 */
const BASE64_PIECE_BYTES = 3 * 16 * 1024

/** The length of the createBlob body for content of `size` bytes. */
function blobBodyLength(size: number): number {
  return BLOB_BODY_START.length + 4 * Math.ceil(size / 3) + BLOB_BODY_END.length
}

/** The createBlob JSON body, `{"encoding":"base64","content":"…"}`, as it is read from its source. */
async function* base64BlobBody(source: { bytes: Buffer } | StagedFile): AsyncGenerator<Buffer | string> {
  yield BLOB_BODY_START
  if ('bytes' in source) {
    yield* base64Pieces(source.bytes, 0, source.bytes.length)
  } else {
    const file = await open(source.file, 'r')
    try {
      const chunk = Buffer.allocUnsafe(UPLOAD_READ_BYTES - (UPLOAD_READ_BYTES % BASE64_PIECE_BYTES))
      for (;;) {
        let filled = 0
        while (filled < chunk.length) {
          const { bytesRead } = await file.read(chunk, filled, chunk.length - filled, null)
          if (bytesRead === 0) break
          filled += bytesRead
        }
        if (filled === 0) break
        yield* base64Pieces(chunk, 0, filled)
        if (filled < chunk.length) break
      }
    } finally {
      await file.close()
    }
  }
  yield BLOB_BODY_END
}

function* base64Pieces(bytes: Buffer, start: number, end: number): Generator<string> {
  for (let at = start; at < end; at += BASE64_PIECE_BYTES) yield bytes.toString('base64', at, Math.min(at + BASE64_PIECE_BYTES, end))
}

/**
 * A fetch for one Octokit request that sends its body from `body()` (called afresh for every
 * attempt) with a known length, through undici's request on the global dispatcher (so a
 * proxy applies): the whole body never has to exist in memory at once.
 */
function streamingFetch(body: () => AsyncIterable<Buffer | string>, length: number): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value))
    headers['content-length'] = String(length)
    const response = await request(url, {
      method: 'POST',
      headers,
      body: Readable.from(body()),
      ...(init?.signal ? { signal: init.signal } : {})
    })
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, item)
    }
    return new Response(Readable.toWeb(response.body) as ReadableStream, { status: response.statusCode, headers: responseHeaders })
  }) as typeof fetch
}

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
  const chunks: TreeChange[][] = []
  let current: TreeChange[] = []
  let bytes = 0
  for (const entry of entries) {
    const size = entry.content && 'bytes' in entry.content ? entry.content.bytes.byteLength : 0
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
