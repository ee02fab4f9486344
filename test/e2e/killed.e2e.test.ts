import { afterEach, describe, expect, it } from 'vitest'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { BRANCH, hourFloor, startWorld, type World } from './world.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('a run killed at any point', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('leaves the branch valid, whether killed while listing, downloading or committing, and the next run completes the data exactly', async () => {
    world = await startWorld({ emulator: { pageSize: 2, seed: 21 } })
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 9 * HOUR)
    const end = new Date(start.getTime() + 8 * HOUR)
    emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 3, recordsPerBlob: 30 })
    const inputs = { start: start.toISOString(), end: end.toISOString(), 'content-types': types.join(',') }
    const requests = (route: 'content' | 'blob') => emulator.requests.byRoute(route).length

    // Each kill gets a base to land on: a committed branch to leave untouched.
    const base = await world.run({ ...inputs, end: new Date(start.getTime() + HOUR).toISOString() })
    expect(base.exitCode, base.stdout + base.stderr).toBe(0)
    const committed = await world.head()

    const kills: { name: string; slow: () => void; killWhen: () => boolean; env?: Record<string, string> }[] = [
      {
        name: 'listing',
        slow: () => emulator.faults.add({ route: 'content', kind: 'slow', delayMs: 100 }),
        killWhen: () => requests('content') >= 3
      },
      {
        name: 'downloading',
        slow: () => emulator.faults.add({ route: 'blob', kind: 'slow', delayMs: 50 }),
        killWhen: () => requests('blob') >= 10
      },
      {
        // GitHub writes spaced out, so that the kill lands between a blob and the ref update.
        name: 'committing',
        slow: () => undefined,
        killWhen: () =>
          github.requests.some((request) => request.method === 'POST' && request.path.endsWith('/git/blobs')),
        env: { [TEST_HOOKS.githubPacingMs]: '400' }
      }
    ]
    for (const kill of kills) {
      emulator.faults.clear()
      emulator.requests.clear()
      github.requests.length = 0
      kill.slow()
      const killed = await world.run(inputs, kill.env ?? {}, undefined, kill.killWhen)
      expect(killed.signal, `killed while ${kill.name}: ${killed.stdout}`).toBe('SIGKILL')
      expect(await world.head(), `killed while ${kill.name}`).toBe(committed)
      await github.git(['fsck', '--strict', '--no-dangling'])
    }
    expect(github.requests.some((request) => JSON.stringify(request.body ?? '').includes('updateRefs'))).toBe(false)

    emulator.faults.clear()
    const after = await world.run(inputs)
    expect(after.exitCode, after.stdout + after.stderr).toBe(0)
    await expectBranchHoldsExactlyServed(world, types)
    await github.git(['fsck', '--strict'])
    expect(await github.git(['rev-list', '--count', BRANCH])).toBe('2')
  })

  it('keeps every record exactly once when killed while compacting a settled day, and the next run compacts it', async () => {
    world = await startWorld({ emulator: { seed: 5 } })
    const { emulator, github } = world
    // Hours of a day that has ended, so that it can settle.
    const start = new Date(Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR + 6 * HOUR)
    emulator.generate({ from: start, to: new Date(start.getTime() + 4 * HOUR), blobsPerHour: 3, recordsPerBlob: 30 })
    // Hour by hour, as a schedule runs: the day's first files, then additions beside them.
    for (let hour = 0; hour < 4; hour++) {
      const from = new Date(start.getTime() + hour * HOUR)
      const run = await world.run({ start: from.toISOString(), end: new Date(from.getTime() + HOUR).toISOString() })
      expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    }
    const files = async (): Promise<string[]> =>
      (await github.git(['ls-tree', '-r', '--name-only', BRANCH])).split('\n')
    expect((await files()).some((path) => path.includes('.added-'))).toBe(true)
    expect((await files()).some((path) => path.startsWith('state/keys/'))).toBe(true)
    const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    const before = await world.head()

    // The days settle once they end: the next run compacts them. It is killed once its first blob is up.
    const settle = { [TEST_HOOKS.settleAfterMs]: '0', [TEST_HOOKS.githubPacingMs]: '400' }
    const window = { start: start.toISOString(), end: new Date(start.getTime() + HOUR).toISOString() }
    github.requests.length = 0
    const killed = await world.run(window, settle, undefined, () =>
      github.requests.some((request) => request.method === 'POST' && request.path.endsWith('/git/blobs'))
    )
    expect(killed.signal, killed.stdout).toBe('SIGKILL')
    expect(await world.head()).toBe(before)
    expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBe(served)
    await github.git(['fsck', '--strict', '--no-dangling'])

    const compacted = await world.run(window, { [TEST_HOOKS.settleAfterMs]: '0' })
    expect(compacted.exitCode, compacted.stdout + compacted.stderr).toBe(0)
    expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBe(served)
    const after = await files()
    expect(after.filter((path) => path.includes('.added-') || path.startsWith('state/keys/'))).toEqual([])
    const manifest = JSON.parse((await github.readFile(BRANCH, 'manifest.json'))?.toString('utf8') ?? '{}')
    expect(Object.keys(manifest.files).sort()).toEqual(after.filter((path) => path.startsWith('audit/')).sort())
  })
})
