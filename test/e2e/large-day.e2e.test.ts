import { afterEach, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { hourFloor, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

const HOUR = 3_600_000
/**
 * The cap is lowered through the action's test hook so that a few hundred records make a
 * day of several parts; the production cap (32 MiB) is exercised by `npm run bench`.
 */
const MAX_PART_BYTES = 256 * 1024
const hooks = { [TEST_HOOKS.maxPartBytes]: String(MAX_PART_BYTES) }
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('a day too large for one file', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('is written as parts within the cap that DuckDB reads as one day, and late records go beside them, no part rewritten', async () => {
    world = await startWorld({ emulator: { seed: 11 } })
    const { emulator, github } = world
    // About 3 parts of CSV in one UTC day, all events on time so that they share the day.
    const day = new Date(
      hourFloor(Date.now() - 30 * HOUR)
        .toISOString()
        .slice(0, 10) + 'T00:00:00Z'
    )
    const onTime = [{ share: 1, minMinutes: 0, maxMinutes: 30 }]
    emulator.generate({
      from: new Date(day.getTime() + HOUR),
      to: new Date(day.getTime() + 7 * HOUR),
      blobsPerHour: 2,
      recordsPerBlob: 50,
      lateness: onTime
    })
    const range = { start: day.toISOString(), end: new Date(day.getTime() + 24 * HOUR).toISOString() }
    const dayFiles = async (): Promise<string[]> =>
      (await github.git(['ls-tree', '-r', '--name-only', 'audit-data']))
        .split('\n')
        .filter((path) => path.startsWith('audit/'))

    const first = await world.run(range, hooks)
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    const paths = await dayFiles()
    const stem = `audit/Audit.General/${range.start.slice(0, 4)}/${range.start.slice(5, 7)}/${range.start.slice(0, 10)}`
    expect(paths.length).toBeGreaterThanOrEqual(3)
    expect(paths).toEqual(paths.map((_, index) => `${stem}.${index + 1}.csv`))
    const sizes = await Promise.all(
      paths.map(async (path) => (await github.readFile('audit-data', path))?.byteLength ?? 0)
    )
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_PART_BYTES)
    // Parts are filled before the next one starts.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(MAX_PART_BYTES - 16 * 1024)
    const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect(Number(first.outputs['records-added'])).toBe(served)
    expect(first.outputs['files-changed']).toBe(String(paths.length))

    // Late content for the same day, which can still grow: a run writes it beside the parts.
    emulator.generate({
      from: new Date(day.getTime() + 20 * HOUR),
      to: new Date(day.getTime() + 23 * HOUR),
      blobsPerHour: 2,
      recordsPerBlob: 30,
      lateness: onTime
    })
    const second = await world.run(range, hooks)
    expect(second.exitCode, second.stdout + second.stderr).toBe(0)
    const total = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect(Number(second.outputs['records-added'])).toBe(total - served)
    const after = await dayFiles()
    expect(after.slice(0, paths.length)).toEqual(paths)
    const changed = (await github.git(['diff', '--name-only', 'audit-data~1', 'audit-data', '--', 'audit/'])).split(
      '\n'
    )
    expect(changed).toEqual([`${stem}.added-1.csv`])

    const manifest = JSON.parse((await github.readFile('audit-data', 'manifest.json'))?.toString('utf8') ?? '{}')
    expect(Object.keys(manifest.files)).toEqual(after)

    const dir = await world.checkout()
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    try {
      const result = await connection.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT Id) AS ids, min(CreationTime) >= '${range.start.slice(0, 10)}' AS same_day FROM read_csv('${dir}/audit/Audit.General/*/*/*.csv', header = true, all_varchar = true)`
      )
      expect(result.getRowObjects()).toEqual([{ n: BigInt(total), ids: BigInt(total), same_day: true }])
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })
})
