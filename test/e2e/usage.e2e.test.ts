import { afterEach, describe, expect, it } from 'vitest'
import { expectBranchHoldsExactlyServed, ledgerBlobCount } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { branchUsageFiles, expectedUsageFiles } from './usage-expectations.js'
import { hourFloor, startWorld, type World } from './world.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('Power Apps usage per day', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('counts launches and unique users per app, environment and UTC day from both schemas, and recounts a day its late events reach', async () => {
    world = await startWorld({ emulator: { seed: 10 } })
    const { emulator } = world
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 40 * HOUR)
    const middle = new Date(start.getTime() + 20 * HOUR)
    const end = new Date(start.getTime() + 39 * HOUR)
    // Default lateness: most events within the hour, some a day or more before their blob.
    emulator.generate({ contentTypes: types as never, from: start, to: middle, blobsPerHour: 3 })

    const first = await world.run({
      start: start.toISOString(),
      end: middle.toISOString(),
      'content-types': types.join(',')
    })
    expect(first.exitCode, first.visibleLog).toBe(0)
    const served = emulator.servedRecords('Audit.General')
    const launches = served.filter((record) => record.Operation === 'LaunchPowerApp')
    expect(new Set(launches.map((record) => record.RecordType))).toEqual(new Set([45, 256]))
    const expected = expectedUsageFiles(served)
    expect(expected.size).toBeGreaterThanOrEqual(2)
    expect(await branchUsageFiles(world)).toEqual(expected)
    expect(first.summary).toMatch(/Power Apps usage \(usage\/power-apps\/\) recomputed for \d+ day/)

    // Later blobs bring late launches into the days already counted: their files are recounted.
    emulator.generate({ contentTypes: types as never, from: middle, to: end, blobsPerHour: 3 })
    const second = await world.run({
      start: middle.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(second.exitCode, second.visibleLog).toBe(0)
    const all = emulator.servedRecords('Audit.General')
    const late = all.filter(
      (record) =>
        record.Operation === 'LaunchPowerApp' && String(record.CreationTime) < middle.toISOString().slice(0, 19)
    )
    expect(late.length).toBeGreaterThan(launches.length)
    const recounted = expectedUsageFiles(all)
    expect(await branchUsageFiles(world)).toEqual(recounted)
    expect(
      [...recounted.keys()].some(
        (path) => expected.has(path) && JSON.stringify(expected.get(path)) !== JSON.stringify(recounted.get(path))
      )
    ).toBe(true)
    await expectBranchHoldsExactlyServed(world, types)
    const rows = [...recounted.values()].flat()
    console.info(
      `usage: ${rows.length} app-days over ${recounted.size} days, ${rows.reduce((sum, row) => sum + Number(row.Launches), 0)} launches ` +
        `(${all.filter((r) => r.Operation === 'LaunchPowerApp' && r.RecordType === 45).length} of RecordType 45)`
    )

    // Nothing new: nothing recounted, no commit.
    const head = await world.head()
    const again = await world.run({
      start: middle.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(again.exitCode, again.visibleLog).toBe(0)
    expect(await world.head()).toBe(head)
  })

  it('usage: false writes no usage file', async () => {
    world = await startWorld({ emulator: { seed: 12 } })
    const start = hourFloor(Date.now() - 6 * HOUR)
    world.emulator.generate({ from: start, to: new Date(start.getTime() + 4 * HOUR), blobsPerHour: 2 })
    const run = await world.run({
      start: start.toISOString(),
      end: new Date(start.getTime() + 4 * HOUR).toISOString(),
      usage: 'false'
    })
    expect(run.exitCode, run.visibleLog).toBe(0)
    expect(await branchUsageFiles(world)).toEqual(new Map())
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
  })
})

describe('the CoE preset: operations LaunchPowerApp,DeletePowerApp', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('keeps exactly the matching records, counts every blob as collected, and gives the same usage as a full collection', async () => {
    world = await startWorld({ emulator: { seed: 10 } })
    const { emulator } = world
    const start = hourFloor(Date.now() - 30 * HOUR)
    const end = new Date(start.getTime() + 24 * HOUR)
    const blobs = emulator.generate({ from: start, to: end, blobsPerHour: 3 })
    const range = { start: start.toISOString(), end: end.toISOString() }

    const run = await world.run({ ...range, operations: 'launchpowerapp,\nDeletePowerApp' })
    expect(run.exitCode, run.visibleLog).toBe(0)
    const served = emulator.servedRecords('Audit.General')
    const kept = served.filter(
      (record) => record.Operation === 'LaunchPowerApp' || record.Operation === 'DeletePowerApp'
    )
    expect(kept.length).toBeGreaterThan(100)
    expect(kept.length).toBeLessThan(served.length)
    const rows = await world.branchRows()
    expect(rows.map((entry) => entry.row.Id).sort()).toEqual(
      kept.map((record) => String(record.Id).toLowerCase()).sort()
    )
    for (const { row } of rows) expect(['LaunchPowerApp', 'DeletePowerApp']).toContain(row.Operation)
    expect(Number(run.outputs['records-added'])).toBe(kept.length)
    expect(run.visibleLog).toContain('Keeping only records with operations launchpowerapp, DeletePowerApp.')
    expect(run.summary).toMatch(/left out by the filters/)
    expect(await branchUsageFiles(world)).toEqual(expectedUsageFiles(served))

    // Filtered-out records were collected: every blob is in the ledger, none is fetched again.
    const ledger = JSON.parse((await world.branchFiles()).get('state/ledger.json') ?? '{}')
    expect(ledgerBlobCount(ledger, 'Audit.General')).toBe(blobs.length)
    const before = emulator.requests.length
    const again = await world.run({ ...range, operations: 'LaunchPowerApp,DeletePowerApp' })
    expect(again.exitCode, again.visibleLog).toBe(0)
    expect(emulator.requests.entries.slice(before).filter((entry) => entry.route === 'blob')).toEqual([])
    expect(again.outputs['commit-sha']).toBe('')

    const size = (records: Record<string, unknown>[]) =>
      records.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0)
    console.info(
      `CoE preset on the emulator's mix: kept ${kept.length} of ${served.length} records, ${size(kept)} of ${size(served)} bytes of JSON`
    )
  })
})
