import { afterEach, describe, expect, it } from 'vitest'
import { findLeaks } from './run-action.js'
import { BRANCH, GITHUB_TOKEN, hourFloor, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

/** `t` as the ledger writes instants. */
const instant = (t: Date): string => t.toISOString().replace('.000', '')

describe('dry run of a scheduled run', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it("plans from the branch's ledger, read-only: where earlier runs stopped, and the windows they failed on first", async () => {
    world = await startWorld()
    const { emulator, github } = world
    const now = hourFloor(Date.now())
    const coveredUntil = new Date(now.getTime() - 5 * HOUR)
    const failed = { start: new Date(now.getTime() - 30 * HOUR), end: new Date(now.getTime() - 29 * HOUR) }
    const ledger = {
      version: 2,
      contentTypes: {
        'Audit.General': {
          coveredUntil: instant(coveredUntil),
          fetched: {},
          failed: [
            {
              start: instant(failed.start),
              end: instant(failed.end),
              code: 'AF50000',
              message: 'Internal error',
              attempts: 2,
              firstFailure: instant(now),
              lastFailure: instant(now)
            }
          ],
          gaps: []
        }
      }
    }
    const head = await github.commitFiles(BRANCH, { 'state/ledger.json': `${JSON.stringify(ledger, null, 2)}\n` })
    const githubBefore = github.requests.length

    const result = await world.run({ 'dry-run': 'true', lookback: '1h', segment: '1h' })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    // The look-back alone would list 1 hour; the ledger says the run starts 5 hours back (the
    // last segment partial unless the run starts on the hour).
    const headline = new RegExp(
      `Scheduled run: ${instant(coveredUntil)} to \\S+, ([5-7]) segments of 1h for Audit\\.General`
    ).exec(result.stdout)
    expect(headline, result.stdout).not.toBeNull()
    expect(result.stdout).toContain(
      `Read the ledger of branch '${BRANCH}' of contoso/audit (read-only): Audit.General covered until ${instant(coveredUntil)}.`
    )
    const retry = `Would first retry 1 window(s) earlier runs failed on: Audit.General ${instant(failed.start)} to ${instant(failed.end)}.`
    expect(result.stdout).toContain(retry)
    expect(result.summary).toContain(retry)
    expect(result.summary.match(/<tr>/g)).toHaveLength(Number(headline![1]) + 1)
    expect(result.stdout).toContain("the branch's ledger was read, nothing was written")

    // Read-only, and nothing asked of Microsoft 365.
    expect(github.requests.slice(githubBefore).filter((request) => request.method !== 'GET')).toEqual([])
    expect(github.requests.length).toBeGreaterThan(githubBefore)
    expect(await world.head()).toBe(head)
    expect(emulator.requests.length).toBe(0)
    expect(findLeaks([SECRET, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })).toEqual([])
  })

  it('says why it plans from the look-back alone when it has no token, or cannot read the branch', async () => {
    world = await startWorld()
    const { github } = world
    const noToken = await world.run({ 'dry-run': 'true', lookback: '2h', 'github-token': '' })
    expect(noToken.exitCode, noToken.stdout + noToken.stderr).toBe(0)
    expect(noToken.stdout).toMatch(/Scheduled run: .* 2 segments of 1h for Audit\.General/)
    expect(noToken.stdout).toContain(
      "The ledger of branch 'audit-data' was not read (input 'github-token' is empty), so this plan does not know what earlier runs did: " +
        'a real run starts where they stopped (up to 7 days back) and first retries the windows they failed on.'
    )
    expect(noToken.summary).toContain("was not read (input 'github-token' is empty)")
    expect(noToken.stdout).toContain('nothing was requested or written')
    expect(github.requests).toEqual([])

    github.faults.add({
      method: 'GET',
      path: /\/git\/ref\//,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
      times: Infinity
    })
    const refused = await world.run({ 'dry-run': 'true', lookback: '2h' })
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(0)
    expect(refused.stdout).toMatch(
      /The ledger of branch 'audit-data' was not read \(reading branch 'audit-data' of contoso\/audit failed: GitHub refused .*\(403 /
    )
    expect(refused.stdout).toMatch(/Scheduled run: .* 2 segments of 1h for Audit\.General/)
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([])
  })
})
