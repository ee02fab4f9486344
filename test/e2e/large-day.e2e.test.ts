import { afterEach, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { hourFloor, startWorld, type World } from './world.js'

const HOUR = 3_600_000
const MAX_PART_BYTES = 32 * 1024 * 1024
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('a day too large for one file', () => {
  it('is written as parts within the cap that DuckDB reads as one day, and re-split when late records arrive', async () => {
    world = await startWorld({ emulator: { seed: 11 } })
    const { emulator, github } = world
    // About 40 MB of CSV in one UTC day, all events on time so that they share the day.
    const day = new Date(hourFloor(Date.now() - 30 * HOUR).toISOString().slice(0, 10) + 'T00:00:00Z')
    const onTime = [{ share: 1, minMinutes: 0, maxMinutes: 30 }]
    emulator.generate({ from: new Date(day.getTime() + HOUR), to: new Date(day.getTime() + 7 * HOUR), blobsPerHour: 10, recordsPerBlob: 520, lateness: onTime })
    const range = { start: day.toISOString(), end: new Date(day.getTime() + 24 * HOUR).toISOString() }

    const first = await world.run(range, {}, 120_000)
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    const paths = (await github.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n').filter((path) => path.startsWith('audit/'))
    const stem = `audit/Audit.General/${range.start.slice(0, 4)}/${range.start.slice(5, 7)}/${range.start.slice(0, 10)}`
    expect(paths).toEqual([`${stem}.1.csv`, `${stem}.2.csv`])
    const sizes = await Promise.all(paths.map(async (path) => (await github.readFile('audit-data', path))?.byteLength ?? 0))
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_PART_BYTES)
    expect(sizes[0]).toBeGreaterThan(MAX_PART_BYTES - 64 * 1024)
    const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect(Number(first.outputs['records-added'])).toBe(served)
    expect(first.outputs['files-changed']).toBe('2')

    // Late content for the same day: a run merges it across the parts, keeping their order.
    emulator.generate({ from: new Date(day.getTime() + 20 * HOUR), to: new Date(day.getTime() + 23 * HOUR), blobsPerHour: 10, recordsPerBlob: 300, lateness: onTime })
    const second = await world.run(range, {}, 120_000)
    expect(second.exitCode, second.stdout + second.stderr).toBe(0)
    const total = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect(Number(second.outputs['records-added'])).toBe(total - served)
    const after = (await github.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n').filter((path) => path.startsWith('audit/'))
    expect(after).toEqual([`${stem}.1.csv`, `${stem}.2.csv`])
    // The first part was full and the new records are the day's latest: it did not change.
    expect(await github.git(['diff', '--name-only', 'audit-data~1', 'audit-data', '--', 'audit/'])).toBe(`${stem}.2.csv`)

    const manifest = JSON.parse((await github.readFile('audit-data', 'manifest.json'))?.toString('utf8') ?? '{}')
    expect(Object.keys(manifest.files)).toEqual(after)

    const dir = await world.checkout()
    const connection = await (await DuckDBInstance.create(':memory:')).connect()
    const result = await connection.runAndReadAll(
      `SELECT count(*) AS n, count(DISTINCT Id) AS ids, min(CreationTime) >= '${range.start.slice(0, 10)}' AS same_day FROM read_csv('${dir}/audit/Audit.General/*/*/*.csv', header = true, all_varchar = true)`
    )
    expect(result.getRowObjects()).toEqual([{ n: BigInt(total), ids: BigInt(total), same_day: true }])
    connection.closeSync()
  }, 180_000)
})
