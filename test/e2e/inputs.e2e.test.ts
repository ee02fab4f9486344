import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findLeaks, type ActionResult } from './run-action.js'
import { GITHUB_TOKEN, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})

afterAll(async () => {
  await world?.close()
})

function run(inputs: Record<string, string>): Promise<ActionResult> {
  return world.run(inputs)
}

async function dataBranchExists(): Promise<boolean> {
  return (await world.head()) !== undefined
}

describe('bad inputs fail fast against the shipped bundle', { timeout: E2E_TEST_BUDGET_MS }, () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ['missing tenant-id', { 'tenant-id': '' }, 'tenant-id', /is required/],
    ['non-GUID tenant-id', { 'tenant-id': 'contoso.onmicrosoft.com' }, 'tenant-id', /'contoso\.onmicrosoft\.com'/],
    ['non-GUID client-id', { 'client-id': 'my-app' }, 'client-id', /a GUID.*'my-app'/],
    ['unknown cloud', { cloud: 'china' }, 'cloud', /commercial, gcc, gcc-high, dod; got 'china'/],
    [
      'unknown content type',
      { 'content-types': 'Audit.General, Audit.Teams' },
      'content-types',
      /'Audit\.Teams'.*Audit\.AzureActiveDirectory, Audit\.Exchange, Audit\.SharePoint, Audit\.General, DLP\.All/
    ],
    ['bad format', { format: 'xlsx' }, 'format', /'csv' or 'parquet'; got 'xlsx'/],
    ['unparsable lookback', { lookback: 'one day' }, 'lookback', /duration.*'one day'/],
    ['unparsable segment', { segment: 'hourly' }, 'segment', /duration.*'hourly'/],
    ['segment over 24 h', { segment: '36h' }, 'segment', /at most 24 hours/],
    ['start not a date', { start: '20/11/2026' }, 'start', /ISO 8601.*'20\/11\/2026'/],
    ['start after end', { start: '2026-11-21T12:00Z', end: '2026-11-21T06:00Z' }, 'start', /before 'end'/],
    ['start beyond 7 days', { start: '2026-01-01' }, 'start', /keeps content for 7 days.*'import'/],
    [
      'too many segments',
      { lookback: '7d', segment: '5m' },
      'max-segments',
      /takes \d+ segments.*'max-segments' \(200\)/
    ],
    [
      'invalid branch',
      { 'data-branch': 'audit data:2026' },
      'data-branch',
      /not a valid git branch name.*'audit data:2026'/
    ],
    ['no credential', { 'client-secret': '' }, 'client-secret', /No credential/]
  ]

  it.each(cases)('%s', async (_, inputs, input, message) => {
    const requestsBefore = world.emulator.requests.length
    const githubBefore = world.github.requests.length
    const result = await run(inputs)

    expect(result.exitCode).toBe(1)
    const error = result.errors.find((e) => e.message.includes(`'${input}'`))
    expect(error?.message, result.stdout).toMatch(message)
    expect(world.emulator.requests.length, 'no token or API request').toBe(requestsBefore)
    expect(world.github.requests.length, 'no GitHub request').toBe(githubBefore)
    expect(await dataBranchExists()).toBe(false)
    expect(findLeaks([SECRET, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })).toEqual([])
  })

  it('reports several bad inputs at once, each as its own ::error::', async () => {
    const result = await run({ 'tenant-id': 'x', cloud: 'mars', segment: '2 days' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((e) => e.properties.title)).toEqual([
      "Invalid input 'tenant-id'",
      "Invalid input 'cloud'",
      "Invalid input 'segment'",
      undefined
    ])
    expect(result.errors.at(-1)?.message).toMatch(/3 inputs are invalid/)
  })

  it('masks the secret and the token before anything else is printed', async () => {
    const result = await run({ 'tenant-id': 'bad' })
    expect(result.masked).toEqual(expect.arrayContaining([SECRET, GITHUB_TOKEN]))
    const firstMask = result.stdout.indexOf('::add-mask::')
    const firstError = result.stdout.indexOf('::error')
    expect(firstMask).toBeGreaterThanOrEqual(0)
    expect(firstMask).toBeLessThan(firstError)
  })
})

describe('dry-run', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('prints the plan as a table, writes it to the summary and exits 0 without an API request, only reading GitHub', async () => {
    const requestsBefore = world.emulator.requests.length
    const githubBefore = world.github.requests.length
    const result = await run({
      'dry-run': 'true',
      start: new Date(Date.now() - 31 * 3600_000).toISOString().slice(0, 13) + ':00Z',
      end: new Date(Date.now() - 3600_000).toISOString().slice(0, 13) + ':00Z',
      segment: '1 hour',
      'content-types': 'Audit.General,Audit.SharePoint'
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.stdout).toMatch(
      /Backfill: .* 30 segments of 1h for Audit\.General, Audit\.SharePoint \(60 listings\)/
    )
    const rows = result.stdout
      .split('\n')
      .filter((line) => /^\s*\d+\s+\d{4}-\d\d-\d\dT\d\d:\d\d:00Z\s+\d{4}-/.test(line))
    expect(rows).toHaveLength(30)
    expect(result.summary).toContain('<table>')
    expect(result.summary.match(/<tr>/g)).toHaveLength(31)
    expect(world.emulator.requests.length).toBe(requestsBefore)
    // It looked for the branch's ledger (the branch does not exist yet), and wrote nothing.
    expect(world.github.requests.slice(githubBefore).map((request) => request.method)).toEqual(['GET'])
    expect(result.stdout).toContain(`Read branch 'audit-data' of contoso/audit (read-only): it does not exist yet`)
    expect(await dataBranchExists()).toBe(false)
    expect(findLeaks([SECRET, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })).toEqual([])
  })

  it('plans a scheduled run from the look-back', async () => {
    const result = await run({ 'dry-run': 'true', lookback: '1 day', segment: '15 minutes' })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/Scheduled run: .* 96 segments of 15m for Audit\.General/)
  })
})
