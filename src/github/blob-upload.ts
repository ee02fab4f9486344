import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { request } from 'undici'
import type { StagedFile } from '../branch/branch-files.js'
import { GITHUB_ANSWER_TIMEOUT_MS, type GitHubClient } from './client.js'

/**
 * Uploads content as a git blob (`POST /git/blobs`), base64 and streamed from disk: base64
 * needs no JSON escaping, and a part file is never held in memory (a CSV file sent inline in
 * a tree request would be escaped, decoded and encoded again, several copies of it at once,
 * costing more CPU and memory than the rest of the run). Returns the blob's sha.
 */
export async function uploadBlob(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  source: { bytes: Buffer } | StagedFile
): Promise<string> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/git/blobs', {
    ...repo,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    // Octokit does the auth, pacing and retries; this sends the body, from the file, for every attempt.
    request: {
      fetch: streamingFetch(
        () => base64BlobBody(source),
        blobBodyLength('bytes' in source ? source.bytes.byteLength : source.size)
      )
    }
  } as unknown as Parameters<typeof octokit.rest.git.createBlob>[0])
  return (data as { sha: string }).sha
}

const BLOB_BODY_START = Buffer.from('{"encoding":"base64","content":"')
const BLOB_BODY_END = Buffer.from('"}')
/** The slowest upload a deadline allows for: 256 KiB a second. */
const UPLOAD_BYTES_A_SECOND = 256 * 1024
/** Read this much of a file at a time. */
const UPLOAD_READ_BYTES = 1024 * 1024
/**
 * Encode this much at a time (a multiple of 3: base64 pieces then join without padding):
 * 64 KiB of text, a short-lived string V8 collects cheaply, where a megabyte would be
 * allocated as a large object. Each piece goes to the socket as the string it is: turned
 * into a Buffer first, every piece was a new allocation outside V8's heap, more than the
 * day's size in all, and V8 answers such a churn with full garbage collections
 * (docs/benchmarks.md, "Buffers outside V8's heap").
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
  for (let at = start; at < end; at += BASE64_PIECE_BYTES)
    yield bytes.toString('base64', at, Math.min(at + BASE64_PIECE_BYTES, end))
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
    // The answer's deadline (see client.ts) with time to send the body, even slowly.
    const deadlineMs = GITHUB_ANSWER_TIMEOUT_MS + Math.ceil(length / UPLOAD_BYTES_A_SECOND) * 1000
    const deadline = AbortSignal.timeout(deadlineMs)
    let response: Awaited<ReturnType<typeof request>>
    try {
      response = await request(url, {
        method: 'POST',
        headers,
        body: Readable.from(body()),
        signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline
      })
    } catch (error) {
      if (!deadline.aborted) throw error
      throw new Error(
        `GitHub at ${new URL(url).host} did not take a blob of ${length} bytes within ${Math.round(deadlineMs / 1000)} s`,
        { cause: error }
      )
    }
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
        responseHeaders.append(name, item)
    }
    return new Response(Readable.toWeb(response.body) as ReadableStream, {
      status: response.statusCode,
      headers: responseHeaders
    })
  }) as typeof fetch
}
