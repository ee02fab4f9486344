import { createHash } from 'node:crypto'
import { Octokit } from '@octokit/rest'
import type { FakeGitHub } from './index.js'

/**
 * An Octokit client for the fake. `request.fetch` is the global fetch, passed explicitly so
 * no proxy agent or global dispatcher a test installed elsewhere gets in the way.
 */
export function clientFor(fake: FakeGitHub, token: string = fake.token): Octokit {
  return new Octokit({ auth: token, baseUrl: fake.url, request: { fetch: globalThis.fetch }, log: quiet })
}

// Octokit logs every failed request to console.error; these tests fail requests on purpose.
const quiet = { debug: () => undefined, info: () => undefined, warn: console.warn, error: () => undefined }

/** The parts of an Octokit `RequestError` the tests look at. */
export interface Failure {
  status: number
  data: { message?: string; documentation_url?: string; status?: string; errors?: unknown[] }
  headers: Record<string, string | undefined>
}

/** Awaits a request that must fail, and returns its status, body and headers. */
export async function failure(request: Promise<unknown>): Promise<Failure> {
  try {
    await request
  } catch (error) {
    const { status, response } = error as { status?: unknown; response?: { data?: unknown; headers?: unknown } }
    if (typeof status !== 'number') throw error
    return {
      status,
      data: (response?.data ?? {}) as Failure['data'],
      headers: (response?.headers ?? {}) as Failure['headers']
    }
  }
  throw new Error('Expected the request to fail, but it succeeded')
}

/** The id git gives a blob with these bytes, computed without git, to check the fake independently. */
export function gitBlobSha(bytes: Uint8Array | string): string {
  const content = Buffer.from(bytes)
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}
