import { chunkBySize } from '../util/chunk.js'
import { createConcurrencyGate } from '../util/concurrency-gate.js'
import type { GitHubClient } from './client.js'

/** A blob to read, with the size its tree entry gives. */
export interface BlobRef {
  sha: string
  size: number
}

/** Blobs asked for in one GraphQL request, and the most text one request brings back. */
const BATCH_BLOBS = 100
const BATCH_BYTES = 2 * 1024 * 1024
/** Larger blobs are read over REST: GitHub truncates a Blob's text past a size it does not document. */
const BATCH_BLOB_MAX_BYTES = 256 * 1024
/** A git object id as the query may quote it (SHA-1, or SHA-256 repositories). */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/
/** REST reads at a time, for blobs a batch did not bring. */
const REST_READS_AT_ONCE = 8

interface BlobText {
  byteSize?: number
  isBinary?: boolean | null
  isTruncated?: boolean
  text?: string | null
}

/**
 * Reads many small blobs in few requests. The REST API answers one blob a request; GitHub's
 * GraphQL API answers the text of many (`Blob.text`,
 * https://docs.github.com/graphql/reference/objects#blob). A run reads every key file of the
 * days it adds to, a few hundred small text files once days have gathered additions, and a
 * workflow's GITHUB_TOKEN has 1,000 REST requests an hour for the repository
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api). Binary
 * blobs, large ones, text that does not come back whole, and any batch the GraphQL API does
 * not answer are read one by one over REST with `readOne`.
 */
export async function readBlobsInBatches(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  blobs: readonly BlobRef[],
  readOne: (sha: string) => Promise<Buffer>
): Promise<Map<string, Buffer>> {
  const read = new Map<string, Buffer>()
  const unique = [...new Map(blobs.map((blob) => [blob.sha, blob])).values()]
  const rest: BlobRef[] = []
  let graphqlAnswers = true
  const batchable = (blob: BlobRef): boolean => blob.size <= BATCH_BLOB_MAX_BYTES && OBJECT_ID.test(blob.sha)
  for (const batch of chunkBySize(unique.filter(batchable), BATCH_BLOBS, BATCH_BYTES, (blob) => blob.size)) {
    // A query that failed once (no GraphQL for this token, an outage) is not tried again.
    const texts = graphqlAnswers ? await queryBlobTexts(octokit, repo, batch) : undefined
    if (!texts) graphqlAnswers = false
    batch.forEach((blob, index) => {
      const bytes = wholeText(texts?.[`b${index}`], blob.size)
      if (bytes) read.set(blob.sha, bytes)
      else rest.push(blob)
    })
  }
  rest.push(...unique.filter((blob) => !batchable(blob)))
  const gate = createConcurrencyGate(REST_READS_AT_ONCE)
  await Promise.all(rest.map((blob) => gate.run(async () => read.set(blob.sha, await readOne(blob.sha)))))
  return read
}

/** The texts of a batch by alias (`b0`, `b1`, …), or undefined when the query failed. */
async function queryBlobTexts(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  batch: readonly BlobRef[]
): Promise<Record<string, BlobText | null> | undefined> {
  const fields = batch
    .map(
      (blob, index) => `b${index}: object(oid: "${blob.sha}") { ... on Blob { byteSize isBinary isTruncated text } }`
    )
    .join('\n    ')
  const query = `query ($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n    ${fields}\n  }\n}`
  try {
    const data = await octokit.graphql<{ repository: Record<string, BlobText | null> | null }>(query, {
      owner: repo.owner,
      name: repo.repo
    })
    return data.repository ?? undefined
  } catch {
    // REST reads each blob of the batch instead, and explains a failure in its own words.
    return undefined
  }
}

/** A blob's bytes from its text, when GitHub gave it whole. */
function wholeText(blob: BlobText | null | undefined, size: number): Buffer | undefined {
  if (!blob || blob.isBinary !== false || blob.isTruncated !== false || typeof blob.text !== 'string') return undefined
  const bytes = Buffer.from(blob.text, 'utf8')
  return bytes.length === size ? bytes : undefined
}
