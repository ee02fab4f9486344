import { afterEach, describe, expect, it } from 'vitest'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { findLeaks } from './run-action.js'
import { BRANCH, GITHUB_TOKEN, hourFloor, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('transient faults everywhere', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('15% of API calls fail, 5% of blobs are cut off, 5% of GitHub calls answer 502, tokens are revoked: the branch holds exactly what was served', async () => {
    world = await startWorld({ emulator: { pageSize: 3, seed: 7 } })
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 13 * HOUR)
    const end = new Date(start.getTime() + 12 * HOUR)
    emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 3 })

    const api = ['list', 'start', 'content', 'blob'] as const
    // About 15% of API calls in all, every transient answer the service is known to give.
    // The bulk is drawn at random (independent per request, as real faults are); the rare
    // kinds fire a counted couple of times so that each is sure to be exercised.
    const faults = [
      emulator.faults.add({ route: [...api], kind: 'throttle', probability: 0.03, retryAfterSeconds: 1 }),
      emulator.faults.add({ route: [...api], kind: 'throttle-429', probability: 0.02 }),
      emulator.faults.add({ route: [...api], kind: 'internal-error', probability: 0.03 }),
      emulator.faults.add({ route: [...api], kind: 'unavailable', probability: 0.03 }),
      emulator.faults.add({ route: [...api], kind: 'reset', probability: 0.02 }),
      emulator.faults.add({ route: [...api], kind: 'timeout', every: 17, times: 2 }),
      emulator.faults.add({ route: ['content', 'blob'], kind: 'error-object', every: 23, times: 2 }),
      emulator.faults.add({ route: 'blob', kind: 'truncated', probability: 0.05 })
    ]
    // Six attempts lose to independent 17% faults about once in 500 runs; this test is about
    // recovery, so no request faults more than three times in a row.
    emulator.faults.limitStreaks(3)
    let blobRequests = 0
    emulator.faults.add({
      route: 'blob',
      kind: 'slow',
      delayMs: 0,
      match: () => {
        if (++blobRequests === 20 || blobRequests === 45) emulator.revokeTokens()
        return false
      }
    })
    const badGateway = github.faults.add({
      path: /\/repos\//,
      status: 502,
      body: { message: 'Server Error' },
      times: Infinity,
      every: 20
    })

    const result = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.outputs['failed-segments']).toBe('0')

    const served = await expectBranchHoldsExactlyServed(world, types)
    expect(Number(result.outputs['records-added'])).toBe(served)
    const fired = faults.map((fault) => fault.fired)
    const apiCalls = emulator.requests.byRoute(...api).length
    const faulted = fired.reduce((sum, count) => sum + count, 0)
    console.info(
      `fault soup: ${faulted} of ${apiCalls} API calls faulted (${fired.join(', ')}), ${served} records, ${badGateway.fired} GitHub 502s`
    )
    expect(fired.filter((count) => count > 0).length, `faults fired: ${fired.join(', ')}`).toBeGreaterThanOrEqual(6)
    expect(fired[5], 'timeouts').toBe(2)
    expect(fired[6], 'error objects').toBe(2)
    expect(faulted / apiCalls).toBeGreaterThanOrEqual(0.05)
    expect(emulator.requests.byRoute('blob').filter((e) => e.status === 401).length).toBeGreaterThan(0)
    expect(emulator.issuedTokens).toBeGreaterThanOrEqual(3)
    expect(badGateway.fired).toBeGreaterThan(0)
    expect(await github.git(['fsck', '--strict']).then(() => 'ok')).toBe('ok')
    expect(findLeaks([SECRET, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })).toEqual([])
  })
})

describe('a window that keeps failing', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('commits the rest, opens one issue, updates it on a repeat, and closes it when a later scheduled run recovers the window', async () => {
    world = await startWorld()
    const { emulator, github } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    const failingStart = new Date(now.getTime() - 8 * HOUR)
    const failingEnd = new Date(now.getTime() - 7 * HOUR)
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 10 * HOUR),
      to: new Date(now.getTime() - HOUR),
      blobsPerHour: 2
    })
    const doomed = new Set(
      emulator
        .blobs('Audit.General')
        .filter((blob) => blob.contentCreated >= failingStart && blob.contentCreated < failingEnd)
        .map((blob) => blob.contentId)
    )
    expect(doomed.size).toBeGreaterThan(0)
    const missing = emulator.faults.add({
      route: 'blob',
      kind: 'missing',
      match: (request) => doomed.has(request.contentId ?? '')
    })
    const backfill = {
      start: new Date(now.getTime() - 10 * HOUR).toISOString(),
      end: new Date(now.getTime() - 2 * HOUR).toISOString()
    }

    const first = await world.run(backfill)
    expect(first.exitCode).toBe(1)
    expect(first.outputs['failed-segments']).toBe('1')
    expect(first.errors.map((e) => e.properties.title)).toContain('Window failed (AF20050)')
    expect(first.outputs['commit-sha']).toBe(await world.head())
    const committed = (await world.branchRows()).length
    expect(committed).toBeGreaterThan(0)
    expect(github.issues).toHaveLength(1)
    const issue = github.issues[0]!
    expect(first.outputs['issue-url']).toBe(`${github.htmlUrl}/contoso/audit/issues/${issue.number}`)
    expect(issue.title).toBe('m365-audit-sync: 1 audit log window failed to sync')
    expect(issue.labels).toEqual(['audit-sync'])
    expect(issue.body).toContain(
      `| Audit.General | ${failingStart.toISOString().replace('.000', '')} – ${failingEnd.toISOString().replace('.000', '')} | AF20050 |`
    )
    expect(issue.body).toContain(`-f start=${failingStart.toISOString().replace('.000', '')}`)
    // The run's context (@actions/github, read in the action's worker thread) names the workflow and the run.
    expect(issue.body).toContain('gh workflow run audit-sync.yml --repo contoso/audit ')
    expect(issue.body).toContain('Last failing run: https://github.com/contoso/audit/actions/runs/4242')
    const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
    expect(ledger.contentTypes['Audit.General'].failed).toHaveLength(1)

    const repeat = await world.run(backfill)
    expect(repeat.exitCode).toBe(1)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0]!.comments.length).toBe(1)
    expect(github.issues[0]!.comments[0]!.body).toMatch(/Still failing/)
    expect(github.issues[0]!.state).toBe('open')
    const afterRepeat = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
    expect(afterRepeat.contentTypes['Audit.General'].failed[0].attempts).toBe(2)

    // The service serves the content again; the next scheduled run only looks back 2 hours,
    // so the window comes back from the ledger, not from the look-back.
    missing.remove()
    const listedBefore = emulator.requests.listWindows().length
    const scheduled = await world.run({ lookback: '2h' })
    expect(scheduled.exitCode, scheduled.stdout + scheduled.stderr).toBe(0)
    const windows = emulator.requests.listWindows().slice(listedBefore)
    expect(windows[0]?.start).toEqual(failingStart)
    expect(windows[0]?.end).toEqual(failingEnd)
    expect(scheduled.outputs['failed-segments']).toBe('0')
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    for (const [id, count] of emulator.requests.blobFetchCounts()) expect(count, `blob ${id}`).toBe(1)
    const closed = github.issues[0]!
    expect(closed.state).toBe('closed')
    expect(closed.state_reason).toBe('completed')
    expect(closed.comments.at(-1)?.body).toMatch(/All failed windows have recovered/)
    expect(scheduled.outputs['issue-url']).toBe(first.outputs['issue-url'])
    const finalLedger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
    expect(finalLedger.contentTypes['Audit.General'].failed).toEqual([])

    const texts: Record<string, string> = { logs: first.visibleLog + repeat.visibleLog + scheduled.visibleLog }
    for (const issueOrComment of [closed, ...closed.comments])
      texts[`issue ${issueOrComment.body?.slice(0, 20)}`] = issueOrComment.body ?? ''
    for (const [path, text] of await world.branchFiles()) texts[path] = text
    texts.commits = await github.git(['log', '--format=%B', BRANCH])
    expect(findLeaks([SECRET, GITHUB_TOKEN], texts)).toEqual([])
  })

  it('without issues permission: explains it, keeps the committed data, still fails the step', async () => {
    world = await startWorld({ github: { permissions: { issues: 'none' } } })
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 4 * HOUR),
      to: new Date(now.getTime() - 2 * HOUR),
      blobsPerHour: 2
    })
    const doomed = emulator.blobs('Audit.General')[0]!.contentId
    emulator.faults.add({ route: 'blob', kind: 'missing', match: (request) => request.contentId === doomed })
    const result = await world.run({
      start: new Date(now.getTime() - 4 * HOUR).toISOString(),
      end: new Date(now.getTime() - 2 * HOUR).toISOString()
    })
    expect(result.exitCode).toBe(1)
    const warning = result.commands.find(
      (c) => c.command === 'warning' && c.properties.title === 'Failure issue not updated'
    )
    expect(warning?.message).toMatch(/issues: write.*The collected data was committed/)
    expect(result.outputs['commit-sha']).toBe(await world.head())
    expect((await world.branchRows()).length).toBeGreaterThan(0)
  })

  it('with fail-on-error false and open-issue false: warns, opens nothing, exits 0', async () => {
    world = await startWorld()
    const { emulator, github } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 3 * HOUR),
      to: new Date(now.getTime() - 2 * HOUR),
      blobsPerHour: 2
    })
    emulator.faults.add({ route: 'content', kind: 'internal-error' })
    const result = await world.run({
      start: new Date(now.getTime() - 3 * HOUR).toISOString(),
      end: new Date(now.getTime() - 2 * HOUR).toISOString(),
      'fail-on-error': 'false',
      'open-issue': 'false'
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['failed-segments']).toBe('1')
    expect(github.issues).toHaveLength(0)
    expect(result.commands.some((c) => c.command === 'warning' && /failed after retries/.test(c.message))).toBe(true)
  })
})

describe('content the API no longer serves, and tokens that expire', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('records a blob that expired before download as a gap, warns, and commits the rest', async () => {
    world = await startWorld()
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 3 * HOUR),
      to: new Date(now.getTime() - HOUR),
      blobsPerHour: 3
    })
    const expired = emulator.blobs('Audit.General')[1]!
    emulator.faults.add({ route: 'blob', kind: 'expired', match: (request) => request.contentId === expired.contentId })
    const result = await world.run({
      start: new Date(now.getTime() - 3 * HOUR).toISOString(),
      end: new Date(now.getTime() - HOUR).toISOString()
    })

    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.outputs['failed-segments']).toBe('0')
    const warning = result.commands.find(
      (c) => c.command === 'warning' && c.properties.title === 'Audit content no longer available from the API'
    )
    expect(warning?.message).toMatch(/AF20051/)
    expect(result.summary).toContain('Gaps the API can no longer fill')
    const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
    expect(ledger.contentTypes['Audit.General'].gaps).toEqual([
      expect.objectContaining({ reason: 'expired-blob', code: 'AF20051', contentId: expired.contentId })
    ])
    const ids = new Set((await world.branchRows()).map((entry) => entry.row.Id))
    const others = emulator.blobs('Audit.General').filter((blob) => blob.contentId !== expired.contentId)
    for (const record of others.flatMap((blob) => blob.records))
      expect(ids.has(String(record.Id).toLowerCase())).toBe(true)
    expect(await world.github.git(['log', '-1', '--format=%B', BRANCH])).toMatch(/New gaps .*: 1/)
  })

  it('renews tokens that expire during a run instead of failing on them', async () => {
    world = await startWorld({ emulator: { tokenLifetimeSeconds: 1 } })
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 4 * HOUR),
      to: new Date(now.getTime() - HOUR),
      blobsPerHour: 3
    })
    emulator.faults.add({ route: 'blob', kind: 'slow', delayMs: 150 })
    const result = await world.run({
      start: new Date(now.getTime() - 4 * HOUR).toISOString(),
      end: new Date(now.getTime() - HOUR).toISOString(),
      concurrency: '2'
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(emulator.issuedTokens).toBeGreaterThan(1)
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
  })
})

describe('one issue for the whole data branch', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('a run of another content type that succeeds does not close the issue of a failing one', async () => {
    world = await startWorld()
    const { emulator, github } = world
    const now = hourFloor(Date.now())
    const window = { start: new Date(now.getTime() - 5 * HOUR), end: new Date(now.getTime() - 4 * HOUR) }
    emulator.subscriptions.enable('Audit.General')
    emulator.subscriptions.enable('Audit.Exchange')
    emulator.generate({
      contentTypes: ['Audit.General', 'Audit.Exchange'],
      from: window.start,
      to: new Date(now.getTime() - 2 * HOUR),
      blobsPerHour: 2
    })
    const exchangeDown = emulator.faults.add({
      route: 'content',
      kind: 'missing',
      match: (request) => request.query.get('contenttype') === 'Audit.Exchange'
    })
    const backfill = { start: window.start.toISOString(), end: new Date(now.getTime() - 2 * HOUR).toISOString() }

    const exchange = await world.run({ ...backfill, 'content-types': 'Audit.Exchange' })
    expect(exchange.exitCode).toBe(1)
    expect(github.issues.filter((issue) => issue.state === 'open')).toHaveLength(1)

    const general = await world.run({ ...backfill, 'content-types': 'Audit.General' })
    expect(general.exitCode, general.stdout + general.stderr).toBe(0)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0]!.state).toBe('open')

    exchangeDown.remove()
    const recovered = await world.run({ lookback: '1h', 'content-types': 'Audit.Exchange' })
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0)
    expect(github.issues[0]!.state).toBe('closed')
    await expectBranchHoldsExactlyServed(world, ['Audit.General', 'Audit.Exchange'])
  })
})

describe('hostile text from the tenant', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('stays text in the log: an error body full of workflow commands forges none, masks nothing, stops nothing', async () => {
    world = await startWorld()
    const { emulator } = world
    const start = hourFloor(Date.now() - 3 * HOUR)
    const end = new Date(start.getTime() + 2 * HOUR)
    emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 2 })
    const hostile =
      'Retry later.\n::warning title=forged::from the tenant\n::add-mask::Audit\r\n  ::stop-commands::pwned\n::error::forged too'
    emulator.faults.add({ route: 'content', kind: 'internal-error', message: hostile })
    const run = await world.run({ start: start.toISOString(), end: end.toISOString(), 'fail-on-error': 'false' })
    expect(run.exitCode, run.visibleLog).toBe(0)
    // The text reached the log, as text: no line the runner reads as a command carries it.
    expect(run.visibleLog.replace(/\u200B/g, '')).toContain('::add-mask::Audit')
    const commandLines = run.stdout.split(/\r\n|\n|\r/).filter((line) => /^\s*(::|##\[)/.test(line))
    expect(commandLines.length).toBeGreaterThan(0)
    expect(
      commandLines.filter((line) =>
        /^\s*::(warning title=forged|add-mask::Audit|stop-commands::pwned|error::forged)/.test(line)
      )
    ).toEqual([])
    expect(run.masked).not.toContain('Audit')
  })
})

describe('a day file broken by hand, through the shipped bundle', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('holds that day, commits every other, names the file on the issue; once the file is restored the day fills and the issue closes', async () => {
    world = await startWorld()
    const { emulator, github } = world
    const to = hourFloor(Date.now() - HOUR)
    const from = new Date(to.getTime() - 30 * HOUR)
    const inputs = { start: from.toISOString(), end: to.toISOString() }
    const generate = (): void =>
      void emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 1, recordsPerBlob: 4 })
    generate()
    expect((await world.run(inputs)).exitCode).toBe(0)
    const broken = `audit/Audit.General/${from.toISOString().slice(0, 4)}/${from.toISOString().slice(5, 7)}/${from.toISOString().slice(0, 10)}.csv`
    const original = (await github.readFile(BRANCH, broken))!
    expect(original).toBeDefined()
    await github.commitFiles(BRANCH, {
      [broken]: Buffer.concat([original, Buffer.from('"edited by hand,')]),
      'manifest.json': '{"version": 1, "files": {'
    })

    generate()
    // Days settle at once: the broken day is compacted, which reads it.
    const settleNow = { [TEST_HOOKS.settleAfterMs]: '0' }
    const held = await world.run(inputs, settleNow)
    expect(held.exitCode, held.visibleLog).toBe(1)
    expect(held.errors.map((error) => error.properties.title)).toContain('Day not merged')
    const files = await world.branchFiles()
    expect([...files.keys()].filter((path) => path.startsWith('state/held/'))).toEqual([
      `state/held/Audit.General/${from.toISOString().slice(0, 10)}.1.csv`
    ])
    // The broken manifest is rebuilt: an entry for every audit file of the branch but the one
    // that does not read (described once it is fixed).
    const manifest = JSON.parse(files.get('manifest.json')!) as { files: Record<string, unknown> }
    expect(Object.keys(manifest.files).sort()).toEqual(
      [...files.keys()].filter((path) => path.startsWith('audit/') && path !== broken).sort()
    )
    expect(github.issues.at(-1)?.state).toBe('open')
    expect(github.issues.at(-1)?.body).toContain(broken)

    await github.commitFiles(BRANCH, { [broken]: original })
    const fixed = await world.run(inputs, settleNow)
    expect(fixed.exitCode, fixed.visibleLog).toBe(0)
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect([...(await world.branchFiles()).keys()].filter((path) => path.startsWith('state/held/'))).toEqual([])
    expect(github.issues.at(-1)?.state).toBe('closed')
  })
})
