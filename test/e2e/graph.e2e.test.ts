import { afterEach, describe, expect, it } from 'vitest'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { expectBranchHoldsServedBetween } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { hourFloor, SECRET, startWorld, type World } from './world.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('the bundle with source: auto', () => {
  it(
    'backfills 10 days through both sources with two tokens, exactly once, and masks both tokens and the secret',
    async () => {
      world = await startWorld({ emulator: { graphQueryDurationMs: 50 } })
      const { emulator } = world
      const to = hourFloor(Date.now() - HOUR)
      const from = new Date(to.getTime() - 10 * DAY)
      emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 1, recordsPerBlob: [1, 2] })
      const result = await world.run(
        {
          start: from.toISOString(),
          end: to.toISOString(),
          source: 'auto',
          'graph-url': emulator.graphUrl,
          segment: '24h'
        },
        { [TEST_HOOKS.graphPollMs]: '20', [TEST_HOOKS.graphRetryMs]: '10' }
      )
      expect(result.exitCode, result.visibleLog).toBe(0)
      expect(await expectBranchHoldsServedBetween(world, ['Audit.General'], from, to)).toBeGreaterThan(200)
      expect(result.visibleLog).toMatch(/Graph: \d+ queries submitted, \d+ windows read/)
      expect(result.summary).toMatch(/Graph: \d+ queries submitted/)
      // One token per resource; every token the run held is masked, and the secret never shows.
      // Two sign-ins, one per resource: each API accepts only tokens for its own audience.
      expect(emulator.requests.filter((entry) => entry.route === 'token')).toHaveLength(2)
      expect(emulator.requests.filter((entry) => entry.status === 401)).toHaveLength(0)
      // Both access tokens (one per resource) were masked, and the secret.
      expect(new Set(result.masked.filter((value) => value.split('.').length === 3)).size).toBe(2)
      expect(result.masked).toContain(SECRET)
      expect(result.visibleLog).not.toContain(SECRET)
    },
    E2E_TEST_BUDGET_MS
  )
})
