import { afterEach, describe, expect, it } from 'vitest'
import { createOctokit, GITHUB_PACING_MS } from '../../src/github/git-database.js'
import { readTestHooks, TEST_HOOKS } from '../../src/test-hooks.js'
import { startFakeGitHub, type FakeGitHub } from '../fake-github/index.js'

let fake: FakeGitHub | undefined

afterEach(async () => {
  await fake?.close()
  fake = undefined
})

/** Milliseconds between the arrival of the first and the last of `count` blob creations sent at once. */
async function spreadOfWrites(count: number, pacingMs?: number): Promise<number> {
  fake = await startFakeGitHub()
  const octokit = createOctokit({ owner: fake.owner, repo: fake.repo, token: fake.token, baseUrl: fake.url, ...(pacingMs === undefined ? {} : { pacingMs }) })
  // A read first, so that every write reuses the same connection and arrives as it is sent.
  await octokit.rest.repos.get({ owner: fake.owner, repo: fake.repo })
  await Promise.all(
    Array.from({ length: count }, (_, index) => octokit.rest.git.createBlob({ owner: fake!.owner, repo: fake!.repo, content: `blob ${index}\n` }))
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

  it('is lowered only through the documented test hooks, and ignores values that are not numbers', () => {
    expect(readTestHooks({})).toEqual({})
    expect(readTestHooks({ [TEST_HOOKS.githubPacingMs]: '0', [TEST_HOOKS.retryBaseDelayMs]: ' 20 ', [TEST_HOOKS.maxPartBytes]: '262144' })).toEqual({
      githubPacingMs: 0,
      retryBaseDelayMs: 20,
      maxPartBytes: 262_144
    })
    expect(readTestHooks({ [TEST_HOOKS.githubPacingMs]: 'fast', [TEST_HOOKS.retryBaseDelayMs]: '-1' })).toEqual({})
  })
})
