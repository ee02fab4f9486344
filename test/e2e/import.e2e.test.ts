import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, describe, expect, it } from 'vitest'
import { E2E_TEST_BUDGET_MS, IMPORT_RUN_BUDGET_MS, IMPORT_TEST_BUDGET_MS } from './budgets.js'
import { ledgerBlobCount } from './assertions.js'
import { writePurviewExports } from './purview-exports.js'
import { branchUsageFiles, expectedUsageFiles } from './usage-expectations.js'
import { BRANCH, expectedPath, hourFloor, startWorld, TENANT, type World } from './world.js'

const HOUR = 3_600_000
let world: World | undefined
let workspace: string | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
  if (workspace) await rm(workspace, { recursive: true, force: true })
  workspace = undefined
})

/** The content type the API files a record under, written out here rather than taken from the action. */
function contentTypeOf(record: Record<string, unknown>): string {
  if ([11, 13, 33, 107].includes(Number(record.RecordType))) return 'DLP.All'
  const workload = String(record.Workload)
  if (workload === 'Exchange') return 'Audit.Exchange'
  if (workload === 'SharePoint' || workload === 'OneDrive') return 'Audit.SharePoint'
  if (workload === 'AzureActiveDirectory') return 'Audit.AzureActiveDirectory'
  return 'Audit.General'
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex')

/** Every audit row on the branch as DuckDB reads it: its file and the md5 of its AuditData, by Id. */
async function auditDigests(
  world: World
): Promise<{ rows: number; byId: Map<string, { path: string; digest: string }> }> {
  const dir = await world.checkout()
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const result = await connection.runAndReadAll(
      `SELECT Id, filename, md5(AuditData) AS digest FROM read_csv('${dir}/audit/*/*/*/*.csv', header = true, all_varchar = true, filename = true)`
    )
    const rows = result.getRowObjects() as { Id: string; filename: string; digest: string }[]
    return {
      rows: rows.length,
      byId: new Map(rows.map((row) => [row.Id, { path: relative(dir, row.filename), digest: row.digest }]))
    }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

describe('importing Purview exports', { timeout: IMPORT_TEST_BUDGET_MS }, () => {
  it('imports 120,000 rows of both layouts exactly into their content types and UTC days, beside what the API collected, once', async () => {
    world = await startWorld({ emulator: { seed: 21 } })
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.Exchange', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 30 * HOUR)
    const end = new Date(start.getTime() + 4 * HOUR)
    emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })
    const collected = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(collected.exitCode, collected.visibleLog).toBe(0)
    const api = types.flatMap((type) => emulator.servedRecords(type as never))
    const ledger = async () => (await github.readFile(BRANCH, 'state/ledger.json'))?.toString('utf8')
    const ledgerBefore = await ledger()
    const apiCopies = new Map((await world.branchRows()).map((entry) => [entry.row.Id, entry.row.AuditData]))

    workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
    await mkdir(join(workspace, 'exports'))
    const exports = await writePurviewExports(workspace, {
      now: new Date(),
      tenantId: TENANT,
      rows: 120_000,
      shared: 3_000,
      extra: api.slice(0, 300),
      minDays: 8,
      maxDays: 12,
      seed: 7
    })
    const inputs = { import: 'exports/*.csv', 'content-types': 'none' }
    const env = { GITHUB_WORKSPACE: workspace }

    const requestsBefore = emulator.requests.length
    const started = Date.now()
    const imported = await world.run(inputs, env, IMPORT_RUN_BUDGET_MS)
    const seconds = (Date.now() - started) / 1000
    expect(imported.exitCode, imported.visibleLog).toBe(0)

    // Every record once, in the file of its content type and UTC day. Its AuditData is the
    // export's JSON written compactly, JSON.stringify of the record; a record the API
    // delivered keeps the bytes it served (the export's copies have their keys in another
    // order). Read back with DuckDB, a CSV reader that is not the action's.
    const onBranch = await auditDigests(world)
    const expected = new Map([
      ...exports.records,
      ...api.map((record) => [String(record.Id).toLowerCase(), record] as const)
    ])
    expect(onBranch.rows, 'no record twice').toBe(onBranch.byId.size)
    expect(onBranch.rows).toBe(expected.size)
    expect(apiCopies.size).toBe(api.length)
    const wrong: string[] = []
    for (const [id, record] of expected) {
      const entry = onBranch.byId.get(id)
      const path = expectedPath(contentTypeOf(record), String(record.CreationTime))
      const json = apiCopies.get(id) ?? JSON.stringify(record)
      if (entry?.path !== path) wrong.push(`${id}: in ${entry?.path ?? 'no file'}, expected in ${path}`)
      else if (entry.digest !== md5(json)) wrong.push(`${id}: AuditData is not ${json.slice(0, 120)}`)
    }
    expect(wrong.slice(0, 10)).toEqual([])
    expect(new Set([...onBranch.byId.values()].map((entry) => entry.path.split('/')[1]))).toEqual(
      new Set(['Audit.General', 'Audit.Exchange', 'Audit.SharePoint', 'Audit.AzureActiveDirectory', 'DLP.All'])
    )
    expect(Number(imported.outputs['records-added'])).toBe(expected.size - api.length)

    // Bad rows: counted and shown with file and line, in the log and the summary.
    expect(imported.outputs['bad-rows']).toBe('2')
    for (const { file, line } of exports.bad) {
      expect(imported.visibleLog).toContain(`${file}:${line}: bad row, not imported`)
      expect(imported.summary).toContain(`${file}:${line}`)
    }
    expect(imported.summary).toContain('Imported Purview exports')

    // Imports leave the ledger alone; the usage of imported days is counted like any other.
    expect(await ledger()).toBe(ledgerBefore)
    expect(await branchUsageFiles(world)).toEqual(expectedUsageFiles(expected.values()))

    // The same import again changes nothing.
    const head = await world.head()
    const again = await world.run(inputs, env, IMPORT_RUN_BUDGET_MS)
    expect(again.exitCode, again.visibleLog).toBe(0)
    expect(again.outputs['records-added']).toBe('0')
    expect(again.outputs['commit-sha']).toBe('')
    expect(await world.head()).toBe(head)
    // A run that only imports asks Microsoft for nothing, not even a token.
    expect(emulator.requests.length).toBe(requestsBefore)
    console.info(
      `import: ${exports.rows} rows (${exports.records.size} distinct records) in ${seconds.toFixed(1)} s including start-up and commit; ` +
        `${onBranch.rows} records on the branch; ${(await github.git(['rev-list', '--count', BRANCH])).trim()} commits`
    )
  })
})

describe('import and collection in one run', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('imports without any credential when it only imports, asking Microsoft for nothing', async () => {
    world = await startWorld({ emulator: { seed: 6 } })
    workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
    await mkdir(join(workspace, 'exports'))
    const exports = await writePurviewExports(workspace, {
      now: new Date(),
      tenantId: TENANT,
      rows: 400,
      shared: 20,
      extra: [],
      minDays: 8,
      maxDays: 9,
      seed: 4
    })
    const run = await world.run(
      { 'client-secret': '', import: 'exports/*.csv', 'content-types': 'none' },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(run.exitCode, run.visibleLog).toBe(0)
    expect(run.visibleLog).toContain('No sign-in: this run only imports')
    expect(world.emulator.requests.entries).toEqual([])
    expect(world.emulator.signIns).toEqual([])
    const ids = (await world.branchRows()).map((entry) => entry.row.Id)
    expect(ids.sort()).toEqual([...exports.records.keys()].sort())
  })

  it('commits imports in parts of records-per-commit, then collects, with records both delivered once', async () => {
    world = await startWorld({ emulator: { seed: 5 } })
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.Exchange']
    const start = hourFloor(Date.now() - 8 * HOUR)
    const end = new Date(start.getTime() + 3 * HOUR)
    const blobs = emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })
    const api = types.flatMap((type) => emulator.servedRecords(type as never))
    workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
    await mkdir(join(workspace, 'exports'))
    const exports = await writePurviewExports(workspace, {
      now: new Date(),
      tenantId: TENANT,
      rows: 2_000,
      shared: 50,
      extra: api.slice(0, 20),
      minDays: 8,
      maxDays: 9,
      seed: 3
    })

    const run = await world.run(
      {
        start: start.toISOString(),
        end: end.toISOString(),
        'content-types': types.join(','),
        import: 'exports/*.csv',
        'records-per-commit': '600'
      },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(run.exitCode, run.visibleLog).toBe(0)
    expect(run.visibleLog).toContain('committing them before reading on')
    expect(Number((await github.git(['rev-list', '--count', BRANCH])).trim())).toBeGreaterThanOrEqual(4)

    const rows = await world.branchRows()
    const ids = rows.map((entry) => entry.row.Id)
    expect(new Set(ids).size, 'no record twice').toBe(ids.length)
    const expected = new Set([...exports.records.keys(), ...api.map((record) => String(record.Id).toLowerCase())])
    expect(ids.sort()).toEqual([...expected].sort())
    const ledger = JSON.parse((await github.readFile(BRANCH, 'state/ledger.json'))?.toString('utf8') ?? '{}')
    expect(types.reduce((sum, type) => sum + ledgerBlobCount(ledger, type), 0)).toBe(blobs.length)
  })
})

describe('import: files that are not exports', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('fails before any request or commit on a file that is not an export, or not valid CSV, naming the file and line; a dry run checks the files', async () => {
    world = await startWorld()
    const { emulator } = world
    const start = hourFloor(Date.now() - 6 * HOUR)
    emulator.generate({ from: start, to: new Date(start.getTime() + 2 * HOUR) })
    workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
    await mkdir(join(workspace, 'exports'))
    const good = `CreationDate,UserIds,Operations,AuditData\r\n1/1/2026 1:00:00 AM,a,Op,"{""Id"":""x"",""CreationTime"":""2026-01-01T01:00:00""}"\r\n`
    await writeFile(join(workspace, 'exports', 'a.csv'), good)
    const env = { GITHUB_WORKSPACE: workspace }
    const range = { start: start.toISOString(), end: new Date(start.getTime() + 2 * HOUR).toISOString() }

    const dry = await world.run({ ...range, import: 'exports/*.csv', 'dry-run': 'true' }, env)
    expect(dry.exitCode, dry.visibleLog).toBe(0)
    expect(dry.visibleLog).toContain('Would import exports/a.csv (a classic Purview audit export).')

    await writeFile(
      join(workspace, 'exports', 'users.csv'),
      'DisplayName,UserPrincipalName\r\nAmber,amber@contoso.com\r\n'
    )
    const notExport = await world.run({ ...range, import: 'exports/*.csv' }, env)
    expect(notExport.exitCode).toBe(1)
    expect(notExport.errors.map((error) => error.message).join('\n')).toMatch(
      /exports\/users\.csv is not a Microsoft Purview audit log export: its header is 'DisplayName,UserPrincipalName'; expected 'CreationDate,UserIds,Operations,AuditData'/
    )
    expect(emulator.requests.length).toBe(0)

    await writeFile(join(workspace, 'exports', 'users.csv'), `${good}2/1/2026 1:00:00 AM,a,Op,"{""Id"":""y"",\r\n`)
    const cut = await world.run({ ...range, import: 'exports/*.csv' }, env)
    expect(cut.exitCode).toBe(1)
    expect(cut.errors.map((error) => error.message).join('\n')).toMatch(
      /exports\/users\.csv:3: not valid CSV \(.*\)\. Was the file cut off/
    )
    expect(emulator.requests.byRoute('blob')).toEqual([])

    const nothing = await world.run({ import: 'history/*.csv' }, env)
    expect(nothing.exitCode).toBe(1)
    expect(nothing.errors.map((error) => error.message).join('\n')).toContain(
      `Input 'import': 'history/*.csv' matches no file under ${workspace}.`
    )
    expect(await world.head()).toBeUndefined()
  })
})
