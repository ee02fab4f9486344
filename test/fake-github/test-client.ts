import { createHash } from 'node:crypto'
import { Octokit } from '@octokit/rest'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './index.js'

/**
 * Fakes per test: the returned function starts one (as many as a test needs); after each test
 * every fake it started is closed, even when the test failed, and the test fails if one of them
 * met an error of its own.
 */
export function useFakeGitHub(): (options?: FakeGitHubOptions) => Promise<FakeGitHub> {
  const fakes: FakeGitHub[] = []
  afterEach(() => closeAll(fakes))
  return async (options = {}) => {
    const fake = await startFakeGitHub(options)
    fakes.push(fake)
    return fake
  }
}

/**
 * One fake for the tests of a file or describe block: started before the first, closed after
 * the last (then checked for errors of its own, as {@link useFakeGitHub} checks). The returned
 * function gives the fake to a test.
 */
export function useSharedFakeGitHub(options: FakeGitHubOptions = {}): () => FakeGitHub {
  const fakes: FakeGitHub[] = []
  beforeAll(async () => {
    fakes.push(await startFakeGitHub(options))
  })
  afterAll(() => closeAll(fakes))
  return () => {
    const [fake] = fakes
    if (!fake) throw new Error('The shared fake GitHub is started in beforeAll: ask for it inside a test or hook.')
    return fake
  }
}

/** Closes every fake in `fakes` (and forgets them), after checking none met an internal error. */
async function closeAll(fakes: FakeGitHub[]): Promise<void> {
  const closing = fakes.splice(0)
  try {
    for (const fake of closing) expect(fake.internalErrors).toEqual([])
  } finally {
    await Promise.all(closing.map((fake) => fake.close()))
  }
}

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
