import { afterEach, describe, expect, it } from 'vitest'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { hourFloor, startWorld, type World } from './world.js'

const HOUR = 3_600_000

let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

/** A world with an hour of audit content, and the backfill that lists it. */
async function worldWithContent(): Promise<{ world: World; backfill: Record<string, string> }> {
  world = await startWorld()
  const now = hourFloor(Date.now())
  world.emulator.generate({
    contentTypes: ['Audit.General'],
    from: new Date(now.getTime() - 2 * HOUR),
    to: new Date(now.getTime() - HOUR),
    blobsPerHour: 2
  })
  return { world, backfill: { start: new Date(now.getTime() - 2 * HOUR).toISOString(), end: now.toISOString() } }
}

describe('which GitHub the action talks to', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('a GitHub Enterprise Server run: says so, and links the commit on that server', async () => {
    const { world, backfill } = await worldWithContent()
    const result = await world.run(backfill, { GITHUB_SERVER_URL: 'https://ghes.contoso.com' })
    expect(result.exitCode, result.visibleLog).toBe(0)
    expect(result.visibleLog).toContain(
      `GitHub Enterprise Server at https://ghes.contoso.com, API ${world.github.url}.`
    )
    expect(result.summary).toContain(`https://ghes.contoso.com/contoso/audit/commit/${await world.head()}`)
  })

  it("input 'github-api-url' wins over the runner's GITHUB_API_URL, which a workflow cannot change", async () => {
    const { world, backfill } = await worldWithContent()
    // Nothing listens on the discard port: a call that went there would fail the run.
    const result = await world.run(
      { ...backfill, 'github-api-url': world.github.url },
      { GITHUB_API_URL: 'http://127.0.0.1:9' }
    )
    expect(result.exitCode, result.visibleLog).toBe(0)
    expect(result.visibleLog).toContain(`GitHub API: ${world.github.url} (input 'github-api-url').`)
    expect(await world.head()).toBe(result.outputs['commit-sha'])
    expect(Number(result.outputs['records-added'])).toBeGreaterThan(0)
  })
})
