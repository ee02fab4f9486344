import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { asUsersPerDay, duckdbRecipes, launchUsersPerDay, runRecipe, userDocs } from './readme-recipes.js'
import { branchUsageFiles, expectedUsageFiles } from './usage-expectations.js'
import { BRANCH, expectedPath, hourFloor, startWorld, type World } from './world.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

interface ParquetRow {
  Id: string
  day: string
  type: string
  file: string
  time: string
  audit: string
}

/** Every row of the branch's Parquet files, read by DuckDB over a checkout, and the type it gives CreationTime. */
async function parquetRows(dir: string): Promise<{ rows: ParquetRow[]; creationTimeType: string }> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const glob = `${dir}/audit/*/*/*/*.parquet`
    const types = await connection.runAndReadAll(
      `SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('${glob}')) WHERE column_name = 'CreationTime'`
    )
    const result = await connection.runAndReadAll(
      `SELECT Id, strftime(CreationTime AT TIME ZONE 'UTC', '%Y-%m-%d') AS day, strftime(CreationTime AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') AS time,
              AuditData AS audit, filename AS file FROM read_parquet('${glob}', filename = true)`
    )
    const rows = (result.getRowObjects() as unknown as Omit<ParquetRow, 'type'>[]).map((row) => ({
      ...row,
      type: row.file.slice(dir.length + 1).split('/')[1]!
    }))
    return { rows, creationTimeType: String(types.getRows()[0]?.[0]) }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** Each record's JSON as the emulator served it, per copy (the API repeats records, keys in another order). */
function servedCopies(
  world: World,
  types: readonly string[]
): Map<string, { type: string; time: string; json: Set<string> }> {
  const copies = new Map<string, { type: string; time: string; json: Set<string> }>()
  for (const type of types) {
    for (const blob of world.emulator.blobs(type as never)) {
      for (const record of blob.records) {
        const id = String(record.Id).toLowerCase()
        const entry = copies.get(id) ?? { type, time: String(record.CreationTime), json: new Set<string>() }
        entry.json.add(JSON.stringify(record))
        copies.set(id, entry)
      }
    }
  }
  return copies
}

/** The manifest says what the branch holds: a format, size, row count and sha256 per data file, and no more. */
async function expectManifestMatchesFiles(dir: string, files: Map<string, Buffer>): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    files: Record<string, { format?: string; bytes: number; rows: number; sha256: string }>
  }
  const dataFiles = [...files.keys()].filter((path) => path.startsWith('audit/')).sort()
  expect(Object.keys(manifest.files).sort()).toEqual(dataFiles)
  for (const path of dataFiles) {
    const bytes = files.get(path)!
    const entry = manifest.files[path]!
    expect(entry.format ?? 'csv', path).toBe(path.endsWith('.parquet') ? 'parquet' : 'csv')
    expect(entry.bytes, path).toBe(bytes.length)
    expect(entry.sha256, path).toBe(createHash('sha256').update(bytes).digest('hex'))
  }
}

describe('Parquet snapshots', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('a 30-hour backfill of two content types: DuckDB reads every record once, typed, its JSON byte for byte as served', async () => {
    world = await startWorld({ emulator: { pageSize: 3 } })
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 31 * HOUR)
    const end = new Date(start.getTime() + 30 * HOUR)
    world.emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })

    const run = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(','),
      format: 'parquet'
    })
    expect(run.exitCode, run.visibleLog).toBe(0)

    const files = await world.github.readAllFiles(BRANCH)
    // Usage files are CSV in either format; no audit day is.
    expect([...files.keys()].filter((path) => path.startsWith('audit/') && path.endsWith('.csv'))).toEqual([])
    const dir = await world.checkout()
    const { rows, creationTimeType } = await parquetRows(dir)
    expect(creationTimeType).toBe('TIMESTAMP WITH TIME ZONE')
    const served = servedCopies(world, types)
    expect(served.size).toBeGreaterThan(300)
    expect(rows).toHaveLength(served.size)
    expect(Number(run.outputs['records-added'])).toBe(served.size)
    expect(new Set(rows.map((row) => row.Id)).size).toBe(rows.length)
    for (const row of rows) {
      const copy = served.get(row.Id)
      expect(copy, `record ${row.Id}`).toBeDefined()
      expect(row.type).toBe(copy!.type)
      expect(row.time).toBe(copy!.time.slice(0, 19))
      expect(row.file.slice(dir.length + 1)).toBe(expectedPath(copy!.type, copy!.time).replace(/\.csv$/, '.parquet'))
      // Commas, quotes, CR/LF and non-ASCII text included: the bytes the API sent.
      expect(copy!.json.has(row.audit), `AuditData of ${row.Id}`).toBe(true)
    }
    await expectManifestMatchesFiles(dir, files)
    // Usage is counted from Parquet days as from CSV ones (and written as CSV).
    expect(await branchUsageFiles(world)).toEqual(expectedUsageFiles(world.emulator.servedRecords('Audit.General')))

    // The recipes the READMEs give for Parquet read this branch and count what it holds.
    const branchReadme = files.get('README.md')!.toString('utf8')
    const [operations, ...otherBranchRecipes] = duckdbRecipes(branchReadme).filter((sql) =>
      sql.includes('read_parquet')
    )
    expect(otherBranchRecipes).toEqual([])
    const perOperation = await runRecipe(dir, operations!)
    const general = servedCopies(world, ['Audit.General'])
    expect(perOperation.reduce((sum, row) => sum + Number(row['count_star()']), 0)).toBe(general.size)
    const [usersPerDay, ...otherRecipes] = duckdbRecipes(await userDocs()).filter((sql) => sql.includes('read_parquet'))
    expect(otherRecipes).toEqual([])
    const expectedUsers = launchUsersPerDay(
      [...general.values()].map((copy) => {
        const record = JSON.parse([...copy.json][0]!) as { Operation?: string; UserId?: string }
        return { time: copy.time, operation: record.Operation, userId: record.UserId }
      })
    )
    expect(expectedUsers.length).toBeGreaterThan(0)
    expect(asUsersPerDay(await runRecipe(dir, usersPerDay!))).toEqual(expectedUsers)

    // The same run again: no byte changes, no commit.
    const head = await world.head()
    const again = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(','),
      format: 'parquet'
    })
    expect(again.exitCode, again.visibleLog).toBe(0)
    expect(await world.head()).toBe(head)
  })

  it('a day past the part cap is cut into parts, after whole row groups, that read back as one day; a re-run changes no byte', async () => {
    world = await startWorld({ emulator: { seed: 5 } })
    const type = 'Audit.General'
    const day = new Date(
      hourFloor(Date.now() - 30 * HOUR)
        .toISOString()
        .slice(0, 10) + 'T00:00:00Z'
    )
    const onTime = [{ share: 1, minMinutes: 0, maxMinutes: 30 }]
    // About 6,000 records of ~1 KB: more than one row group (ROW_GROUP_BYTES), so more than
    // one part under a low cap (parts are cut once a group brings them past it).
    world.emulator.generate({
      contentTypes: [type],
      from: new Date(day.getTime() + HOUR),
      to: new Date(day.getTime() + 7 * HOUR),
      blobsPerHour: 2,
      recordsPerBlob: 500,
      lateness: onTime
    })
    const range = {
      start: day.toISOString(),
      end: new Date(day.getTime() + 24 * HOUR).toISOString(),
      'content-types': type,
      format: 'parquet'
    }
    const hooks = { [TEST_HOOKS.maxPartBytes]: String(256 * 1024) }
    const stem = `audit/${type}/${range.start.slice(0, 4)}/${range.start.slice(5, 7)}/${range.start.slice(0, 10)}`
    const dayParts = async (): Promise<string[]> =>
      [...(await world!.github.readAllFiles(BRANCH)).keys()].filter((path) => path.startsWith(`${stem}.`))

    const first = await world.run(range, hooks)
    expect(first.exitCode, first.visibleLog).toBe(0)
    const parts = await dayParts()
    expect(parts.length).toBeGreaterThanOrEqual(2)
    expect(parts).toEqual(parts.map((_, index) => `${stem}.${index + 1}.parquet`))
    const dir = await world.checkout()
    const served = servedCopies(world, [type])
    const { rows } = await parquetRows(dir)
    expect(rows).toHaveLength(served.size)
    expect(new Set(rows.map((row) => row.Id)).size).toBe(served.size)
    await expectManifestMatchesFiles(dir, await world.github.readAllFiles(BRANCH))

    const head = await world.head()
    const again = await world.run(range, hooks)
    expect(again.exitCode, again.visibleLog).toBe(0)
    expect(await world.head()).toBe(head)

    // Late records of the same day merge across the parts: still every record once.
    world.emulator.generate({
      contentTypes: [type],
      from: new Date(day.getTime() + 20 * HOUR),
      to: new Date(day.getTime() + 22 * HOUR),
      blobsPerHour: 2,
      recordsPerBlob: 50,
      lateness: onTime
    })
    const late = await world.run(range, hooks)
    expect(late.exitCode, late.visibleLog).toBe(0)
    const after = await parquetRows(await world.checkout())
    expect(after.rows).toHaveLength(servedCopies(world, [type]).size)
    expect(new Set(after.rows.map((row) => row.Id)).size).toBe(after.rows.length)
  })

  it('switching a branch from CSV to Parquet converts each day when it is next written, never keeping one in both', async () => {
    world = await startWorld({ emulator: { pageSize: 5 } })
    const type = 'Audit.General'
    const start = hourFloor(Date.now() - 50 * HOUR)
    const middle = new Date(start.getTime() + 30 * HOUR)
    const end = new Date(start.getTime() + 48 * HOUR)
    world.emulator.generate({ contentTypes: [type], from: start, to: middle, blobsPerHour: 2 })
    const csv = await world.run({ start: start.toISOString(), end: middle.toISOString(), 'content-types': type })
    expect(csv.exitCode, csv.visibleLog).toBe(0)
    const csvDays = new Set(
      [...(await world.github.readAllFiles(BRANCH)).keys()]
        .filter((path) => path.startsWith('audit/') && path.endsWith('.csv'))
        .map((path) => path.slice(0, -4))
    )

    // Later blobs, some of whose late events fall on days already written as CSV.
    world.emulator.generate({ contentTypes: [type], from: middle, to: end, blobsPerHour: 2 })
    const parquet = await world.run({
      start: middle.toISOString(),
      end: end.toISOString(),
      'content-types': type,
      format: 'parquet'
    })
    expect(parquet.exitCode, parquet.visibleLog).toBe(0)

    const files = await world.github.readAllFiles(BRANCH)
    const days = [...files.keys()]
      .filter((path) => path.startsWith('audit/'))
      .map((path) => path.replace(/\.(csv|parquet)$/, ''))
    expect(new Set(days).size, 'a day in both formats').toBe(days.length)
    const converted = [...files.keys()].filter((path) => path.endsWith('.parquet') && csvDays.has(path.slice(0, -8)))
    expect(converted.length, 'a CSV day that got late events is now Parquet').toBeGreaterThan(0)

    const dir = await world.checkout()
    await expectManifestMatchesFiles(dir, files)
    const { rows } = await parquetRows(dir)
    const csvRows = (await world.branchRows()).map((entry) => entry.row.Id)
    const served = servedCopies(world, [type])
    expect([...rows.map((row) => row.Id), ...csvRows].sort()).toEqual([...served.keys()].sort())
  })
})
