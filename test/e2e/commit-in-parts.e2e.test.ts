import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'csv-parse/sync'
import { expectBranchHoldsExactlyServed, ledgerBlobCount, ledgerFetched } from './assertions.js'
import { BRANCH, hourFloor, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

const HOUR = 3_600_000
const BUDGET = 400
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('records-per-commit', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('commits a large run in parts, each commit holding the data of every blob its ledger says was downloaded', async () => {
    world = await startWorld({ emulator: { seed: 5 } })
    const { emulator, github } = world
    // Two content types, and more records of each than one commit holds: parts split within
    // a type's range too, so several commits add to the same days.
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 13 * HOUR)
    const end = new Date(start.getTime() + 12 * HOUR)
    emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 4, recordsPerBlob: 20 })
    const perType = types.map((type) => emulator.servedRecords(type as never).length)

    const result = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(','),
      'records-per-commit': String(BUDGET)
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const served = await expectBranchHoldsExactlyServed(world, types)
    expect(Number(result.outputs['records-added'])).toBe(served)
    expect(result.outputs['commit-sha']).toBe(await world.head())
    for (const [id, count] of emulator.requests.blobFetchCounts()) expect(count, `blob ${id}`).toBe(1)

    // Each part holds a little over the budget (downloads under way finish), so several commits.
    const commits = (await github.git(['rev-list', '--reverse', BRANCH])).split('\n')
    expect(commits.length).toBeGreaterThanOrEqual(Math.floor(served / (BUDGET + 200)))
    expect(commits.length).toBeLessThanOrEqual(Math.ceil(served / BUDGET))
    expect(result.visibleLog).toMatch(/committing them before the \d+ window\(s\) left/)
    expect(perType.every((count) => count > BUDGET)).toBe(true)
    // The job summary adds the parts up: one row per content type and day.
    const summaryRows = [
      ...result.summary.matchAll(/<tr><td>(Audit\.\w+)<\/td><td>(\d{4}-\d{2}-\d{2})<\/td><td>(\d+)<\/td><\/tr>/g)
    ]
    expect(new Set(summaryRows.map((row) => `${row[1]} ${row[2]}`)).size).toBe(summaryRows.length)
    expect(summaryRows.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(served)

    // State never runs ahead of data: in every commit, each blob the ledger lists as
    // downloaded has all its records in that commit's files, and coverage only grows.
    const blobs = new Map(emulator.blobs().map((blob) => [blob.contentId, blob]))
    let previousCoverage = ''
    for (const commit of commits) {
      const files = await github.readAllFiles(commit)
      const ledger = JSON.parse(files.get('state/ledger.json')?.toString('utf8') ?? '{}')
      const ids = new Set<string>()
      for (const [path, bytes] of files) {
        if (!path.startsWith('audit/') || !path.endsWith('.csv')) continue
        for (const row of parse(bytes, { columns: true }) as { Id: string }[]) ids.add(row.Id)
      }
      for (const type of Object.keys(ledger.contentTypes)) {
        const fetched = ledgerFetched(ledger, type, [...blobs.keys()])
        expect(fetched.length).toBe(ledgerBlobCount(ledger, type))
        for (const contentId of fetched) {
          const blob = blobs.get(contentId)
          expect(blob?.contentType).toBe(type)
          for (const record of blob?.records ?? [])
            expect(ids.has(String(record.Id).toLowerCase()), `${commit}: ${String(record.Id)}`).toBe(true)
        }
      }
      const coverage = JSON.stringify(types.map((type) => ledger.contentTypes[type]?.coveredUntil ?? ''))
      expect(coverage >= previousCoverage).toBe(true)
      previousCoverage = coverage
    }
    const final = JSON.parse((await github.readFile(BRANCH, 'state/ledger.json'))?.toString('utf8') ?? '{}')
    for (const type of types) expect(final.contentTypes[type].coveredUntil).toBe(end.toISOString().replace('.000', ''))
  })

  it('refuses a value that is not a positive whole number', async () => {
    world = await startWorld()
    const result = await world.run({ 'records-per-commit': '0' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((e) => e.message)).toContain(
      "Input 'records-per-commit' must be a whole number from 1 to 5000000; got '0'."
    )
    expect(world.emulator.requests.length).toBe(0)
  })
})
