import { describe, expect, it } from 'vitest'
import { createGitHubClient, GITHUB_PACING_MS } from '../../src/github/client.js'
import { readTestHooks, TEST_HOOKS } from '../../src/action/test-hooks.js'
import { secondaryRateLimit } from '../fake-github/index.js'
import { useFakeGitHub } from '../fake-github/test-client.js'

const startFake = useFakeGitHub()

/** Milliseconds between the arrival of the first and the last of `count` blob creations sent at once. */
async function spreadOfWrites(count: number, pacingMs?: number): Promise<number> {
  const fake = await startFake()
  const octokit = createGitHubClient({
    token: fake.token,
    baseUrl: fake.url,
    ...(pacingMs === undefined ? {} : { pacingMs })
  })
  // A read first, so that every write reuses the same connection and arrives as it is sent.
  await octokit.rest.repos.get({ owner: fake.owner, repo: fake.repo })
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      octokit.rest.git.createBlob({ owner: fake.owner, repo: fake.repo, content: `blob ${index}\n` })
    )
  )
  const arrivals = fake.requests.filter((request) => request.method === 'POST').map((request) => request.receivedAt)
  expect(arrivals).toHaveLength(count)
  return Math.max(...arrivals) - Math.min(...arrivals)
}

describe('GitHub pacing', () => {
  it('spaces content-creating requests a second apart by default, as GitHub asks', async () => {
    expect(GITHUB_PACING_MS).toBe(1_000)
    // Only lower bounds are asserted: a busy machine makes the spread longer, never shorter
    // (the slack covers a request that waits a little longer on its way to the fake).
    expect(await spreadOfWrites(2)).toBeGreaterThanOrEqual(GITHUB_PACING_MS - 300)
  })

  it('is a setting of the client, not the process-wide default of the plugin', async () => {
    // Longer than the default, so that a client ignoring the setting (2 × 1,000 ms) fails.
    expect(await spreadOfWrites(3, 1_500)).toBeGreaterThanOrEqual(2 * 1_500 - 300)
  })

  it('leaves a 429 to the throttling plugin alone: retried as GitHub asks, a bounded number of times', async () => {
    const fake = await startFake()
    const octokit = createGitHubClient({ token: fake.token, baseUrl: fake.url, pacingMs: 0 })
    const blob = (content: string) => octokit.rest.git.createBlob({ owner: fake.owner, repo: fake.repo, content })
    const posts = () => fake.requests.filter((request) => request.method === 'POST').map((request) => request.status)

    const once = fake.faults.add({
      ...secondaryRateLimit(0, { method: 'POST', path: /\/git\/blobs$/, times: 1 }),
      status: 429
    })
    await blob('limited once\n')
    expect(posts()).toEqual([429, 201])
    once.remove()

    // Were 429 also the retry plugin's, each of its retries would go through the throttling
    // plugin's retries again: many more requests, the later ones without waiting as asked.
    fake.faults.add({
      ...secondaryRateLimit(0, { method: 'POST', path: /\/git\/blobs$/, times: Infinity }),
      status: 429
    })
    await expect(blob('limited for ever\n')).rejects.toMatchObject({ status: 429 })
    expect(posts().slice(2)).toEqual([429, 429, 429, 429])
  })

  it('is lowered only through the documented test hooks, and ignores values that are not numbers', () => {
    expect(readTestHooks({})).toEqual({})
    expect(
      readTestHooks({
        [TEST_HOOKS.githubPacingMs]: '0',
        [TEST_HOOKS.retryBaseDelayMs]: ' 20 ',
        [TEST_HOOKS.maxPartBytes]: '262144'
      })
    ).toEqual({
      githubPacingMs: 0,
      retryBaseDelayMs: 20,
      maxPartBytes: 262_144
    })
    expect(readTestHooks({ [TEST_HOOKS.githubPacingMs]: 'fast', [TEST_HOOKS.retryBaseDelayMs]: '-1' })).toEqual({})
  })
})
