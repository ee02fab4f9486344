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
    expect(github.requests.some((request) => request.method === 'PATCH')).toBe(false)

    emulator.faults.clear()
    const after = await world.run(inputs)
    expect(after.exitCode, after.stdout + after.stderr).toBe(0)
    await expectBranchHoldsExactlyServed(world, types)
    await github.git(['fsck', '--strict'])
    expect(await github.git(['rev-list', '--count', BRANCH])).toBe('2')
  })
})
