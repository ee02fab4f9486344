import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { expectBranchHoldsExactlyServed, ledgerBlobCount, ledgerFetched } from './assertions.js'
import { findLeaks } from './run-action.js'
import { BRANCH, csvFiles, GITHUB_TOKEN, hourFloor, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { parseCoverageTable } from './coverage-readme.js'
import {
  asUsersPerDay,
  duckdbRecipes,
  lastLaunchPerApp,
  launchUsersPerDay,
  runRecipe,
  userDocs
} from './readme-recipes.js'
import { expectedUsageFiles } from './usage-expectations.js'

const HOUR = 3_600_000
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('sync: backfill of two content types', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('puts every served record on the branch once, requests every page and blob once, and repeats as a no-op', async () => {
    world = await startWorld({ emulator: { pageSize: 1 } })
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.SharePoint']
    const start = hourFloor(Date.now() - 31 * HOUR)
    const end = new Date(start.getTime() + 30 * HOUR)
    const blobs = emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })
    expect(emulator.subscriptions.get('Audit.General')).toBeUndefined()

    const first = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)

    const served = await expectBranchHoldsExactlyServed(world, types)
    expect(served).toBeGreaterThan(300)
    expect(Number(first.outputs['records-added'])).toBe(served)
    expect(first.outputs['commit-sha']).toBe(await world.head())
    expect(Number(first.outputs['files-changed'])).toBeGreaterThanOrEqual(4)

    // Late events: records of days before the window land in those days' files.
    const days = new Set((await world.branchRows()).map((entry) => entry.row.CreationTime?.slice(0, 10)))
    expect(days.size).toBeGreaterThanOrEqual(3)

    const log = emulator.requests
    expect(log.byRoute('start')).toHaveLength(2)
    const windows = log.listWindows()
    expect(windows).toHaveLength(60)
    expect(new Set(windows.map((w) => `${w.contentType} ${w.startTime}`)).size).toBe(60)
    for (const window of windows)
      expect((window.end?.getTime() ?? 0) - (window.start?.getTime() ?? 0)).toBeLessThanOrEqual(24 * HOUR)
    const pages = log.nextPageFollowCounts()
    expect(pages.size).toBeGreaterThan(0)
    for (const [page, count] of pages) expect(count, `page ${page}`).toBe(1)
    const fetched = log.blobFetchCounts({ successfulOnly: false })
    expect(fetched.size).toBe(blobs.length)
    for (const [id, count] of fetched) expect(count, `blob ${id}`).toBe(1)
    expect(log.withoutPublisherId()).toEqual([])
    console.info(
      `backfill: ${served} records from ${blobs.length} blobs, ${windows.length} windows, ${pages.size} next pages, ` +
        `${first.outputs['files-changed']} day files, ${days.size} days, ${log.length} API requests, ` +
        `${github.requests.filter((r) => r.method !== 'GET').length} GitHub writes`
    )

    // The same run again: nothing downloaded, no data file changed, no commit.
    const head = await world.head()
    const filesBefore = await world.branchFiles()
    const requestsBefore = log.length
    const again = await world.run({
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': types.join(',')
    })
    expect(again.exitCode, again.stdout + again.stderr).toBe(0)
    expect(again.outputs['commit-sha']).toBe('')
    expect(again.outputs['records-added']).toBe('0')
    expect(await world.head()).toBe(head)
    expect(await world.branchFiles()).toEqual(filesBefore)
    expect(log.entries.slice(requestsBefore).filter((e) => e.route === 'blob')).toEqual([])
    expect(log.entries.slice(requestsBefore).filter((e) => e.route === 'start')).toEqual([])

    // The branch is readable as data: DuckDB reads every CSV with the right row count.
    const dir = await world.checkout()
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    let total = 0
    for (const file of await csvFiles(join(dir, 'audit'))) {
      const result = await connection.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT Id) AS ids, count(*) FILTER (WHERE json_valid(AuditData)) AS json FROM read_csv('${file}', header = true, all_varchar = true)`
      )
      const [row] = result.getRowObjects() as { n: bigint; ids: bigint; json: bigint }[]
      expect(row?.ids).toBe(row?.n)
      expect(row?.json).toBe(row?.n)
      total += Number(row?.n)
    }
    expect(total).toBe(served)
    connection.closeSync()

    // The recipes the READMEs give for CSV read this branch and count what it holds.
    const [operations, ...otherBranchRecipes] = duckdbRecipes((await world.branchFiles()).get('README.md')!).filter(
      (sql) => sql.includes('read_csv')
    )
    expect(otherBranchRecipes).toEqual([])
    const general = (await world.branchRows())
      .filter((entry) => entry.path.startsWith('audit/Audit.General/'))
      .map((entry) => entry.row)
    expect((await runRecipe(dir, operations!)).reduce((sum, row) => sum + Number(row['count_star()']), 0)).toBe(
      general.length
    )
    const readmeRecipes = duckdbRecipes(await userDocs())
    const [usersPerDay, perContentType, ...otherRecipes] = readmeRecipes.filter((sql) =>
      sql.includes("read_csv('audit/")
    )
    expect(otherRecipes).toEqual([])
    const [launchesPerApp, lastLaunched, ...otherUsageRecipes] = readmeRecipes.filter((sql) =>
      sql.includes("read_csv('usage/")
    )
    expect(otherUsageRecipes).toEqual([])
    // The CoE's App Last Launched On, to the day: per app, the last day the served records launch it.
    const expectedLastLaunch = lastLaunchPerApp(expectedUsageFiles(emulator.servedRecords('Audit.General')))
    expect(expectedLastLaunch.size).toBeGreaterThan(1)
    const lastLaunchRows = await runRecipe(dir, lastLaunched!)
    expect(new Map(lastLaunchRows.map((row) => [String(row['AppId']), String(row['last_launched'])]))).toEqual(
      expectedLastLaunch
    )
    const launches = general.filter((row) => row.Operation === 'LaunchPowerApp').length
    expect(launches).toBeGreaterThan(0)
    expect((await runRecipe(dir, launchesPerApp!)).reduce((sum, row) => sum + Number(row['launches']), 0)).toBe(
      launches
    )
    const expectedUsers = launchUsersPerDay(
      general.map((row) => ({ time: row.CreationTime!, operation: row.Operation, userId: row.UserId }))
    )
    expect(expectedUsers.length).toBeGreaterThan(0)
    expect(asUsersPerDay(await runRecipe(dir, usersPerDay!))).toEqual(expectedUsers)
    // The content type of each row is its folder: the recipe counts every file's rows under it.
    const expectedPerType = new Map<string, number>()
    for (const { path } of await world.branchRows()) {
      const type = path.split('/')[1]!
      expectedPerType.set(type, (expectedPerType.get(type) ?? 0) + 1)
    }
    expect([...expectedPerType.keys()].sort()).toEqual([...types].sort())
    const perTypeRows = await runRecipe(dir, perContentType!)
    expect(new Map(perTypeRows.map((row) => [String(row['content_type']), Number(row['records'])]))).toEqual(
      expectedPerType
    )

    // Secrets stay out of logs, summaries and data.
    const texts: Record<string, string> = {
      log: first.visibleLog + again.visibleLog,
      summary: first.summary + again.summary
    }
    for (const [path, text] of await world.branchFiles()) texts[path] = text
    texts.commits = await github.git(['log', '--format=%B', BRANCH])
    expect(findLeaks([SECRET, GITHUB_TOKEN], texts)).toEqual([])
    expect(first.summary).toContain('records added')
  })
})

describe('sync: concurrent writers', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('lands all three runs of a matrix on one branch, nothing lost or doubled, with ref updates colliding', async () => {
    world = await startWorld()
    const { emulator, github } = world
    const types = ['Audit.General', 'Audit.SharePoint', 'Audit.Exchange']
    const start = hourFloor(Date.now() - 7 * HOUR)
    const end = new Date(start.getTime() + 6 * HOUR)
    emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })
    await github.commitFiles(BRANCH, { 'notes/hello.txt': 'written by someone else\n' })
    const foreign = github.raceNextRefUpdates(3, BRANCH)

    const results = await Promise.all(
      types.map((type) => world!.run({ start: start.toISOString(), end: end.toISOString(), 'content-types': type }))
    )
    for (const result of results) expect(result.exitCode, result.stdout + result.stderr).toBe(0)

    await expectBranchHoldsExactlyServed(world, types)
    expect(foreign).toHaveLength(3)
    for (const sha of foreign) await github.git(['merge-base', '--is-ancestor', sha, BRANCH])
    const files = await world.branchFiles()
    expect(files.get('notes/hello.txt')).toBe('written by someone else\n')
    const ledger = JSON.parse(files.get('state/ledger.json') ?? '{}') as {
      contentTypes: Record<string, { fetched: Record<string, string> }>
    }
    expect(Object.keys(ledger.contentTypes).sort()).toEqual([...types].sort())
    for (const type of types) {
      const served = emulator.blobs(type as never).map((blob) => blob.contentId)
      expect(ledgerFetched(ledger, type, served)).toEqual(served)
      expect(ledgerBlobCount(ledger, type)).toBe(served.length)
    }
    const manifest = JSON.parse(files.get('manifest.json') ?? '{}') as { files: Record<string, { rows: number }> }
    const rowsPerFile = new Map<string, number>()
    for (const { path } of await world.branchRows()) rowsPerFile.set(path, (rowsPerFile.get(path) ?? 0) + 1)
    expect(Object.keys(manifest.files).sort()).toEqual([...rowsPerFile.keys()].sort())
    for (const [path, rows] of rowsPerFile) expect(manifest.files[path]?.rows, path).toBe(rows)
    // The README was rebuilt on the tip each commit landed on: its coverage counts every run's days.
    const coverage = parseCoverageTable(files.get('README.md') ?? '')
    expect([...coverage.keys()].sort()).toEqual([...types].sort())
    const perDay = new Map<string, number>()
    for (const [path, rows] of rowsPerFile) {
      const [, type, day] = /^audit\/([^/]+)\/\d{4}\/\d{2}\/(\d{4}-\d{2}-\d{2})\.csv$/.exec(path) ?? []
      perDay.set(`${type} ${day}`, (perDay.get(`${type} ${day}`) ?? 0) + rows)
    }
    for (const [key, rows] of perDay) {
      const [type = '', day = ''] = key.split(' ')
      expect(coverage.get(type)?.get(day)?.records, key).toBe(rows)
    }
    expect(results.some((result) => /moved while committing/.test(result.stdout))).toBe(true)
    const rebuilt = results.map((result) => result.stdout.match(/moved while committing/g)?.length ?? 0)
    console.info(
      `matrix: ${(await world.branchRows()).length} records, commit rebuilds per run ${rebuilt.join('/')}, ${foreign.length} foreign commits kept`
    )
  })
})

describe('sync: scheduled runs', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('covers a two-day gap after missed runs, then downloads no blob twice', async () => {
    world = await startWorld()
    const { emulator, github } = world
    const coveredUntil = hourFloor(Date.now() - 3 * 24 * HOUR)
    await github.commitFiles(BRANCH, {
      'state/ledger.json': `${JSON.stringify({ version: 1, contentTypes: { 'Audit.General': { coveredUntil: coveredUntil.toISOString().replace('.000', ''), fetched: {} } } }, null, 2)}\n`
    })
    emulator.subscriptions.enable('Audit.General')
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: coveredUntil,
      to: new Date(Date.now() - HOUR),
      blobsPerHour: 1
    })

    const first = await world.run({ lookback: '1d', segment: '6h' })
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    const windows = emulator.requests.listWindows()
    expect(windows[0]?.start).toEqual(coveredUntil)
    for (let i = 1; i < windows.length; i++) expect(windows[i]?.start).toEqual(windows[i - 1]?.end)
    expect(Date.now() - (windows.at(-1)?.end?.getTime() ?? 0)).toBeLessThan(5 * 60_000)
    expect(emulator.requests.byRoute('start')).toEqual([])
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])

    // New content arrives, some of it late; the next run fetches it and nothing twice.
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(Date.now() - HOUR),
      to: new Date(Date.now() - 60_000),
      blobsPerHour: 4
    })
    const second = await world.run({ lookback: '1d', segment: '6h' })
    expect(second.exitCode, second.stdout + second.stderr).toBe(0)
    const secondWindows = emulator.requests.listWindows().slice(windows.length)
    expect(secondWindows[0]?.start?.getTime()).toBeGreaterThan(Date.now() - 25 * HOUR)
    for (const [id, count] of emulator.requests.blobFetchCounts({ successfulOnly: false }))
      expect(count, `blob ${id}`).toBe(1)
    expect(emulator.requests.blobFetchCounts().size).toBe(emulator.blobs('Audit.General').length)
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
  })
})

describe('sync: records without a CreationTime', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('keeps one copy of such a record when its copies arrive in blobs of different days and runs', async () => {
    world = await startWorld()
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    const odd = { Id: '0DD00000-0000-4000-8000-000000000001', Operation: 'NoTime', Workload: 'Odd', RecordType: 1 }
    const timed = {
      Id: '0DD00000-0000-4000-8000-000000000002',
      CreationTime: new Date(now.getTime() - 30 * HOUR).toISOString().slice(0, 19),
      Operation: 'Timed'
    }
    emulator.publish({
      contentType: 'Audit.General',
      contentCreated: new Date(now.getTime() - 30 * HOUR),
      records: [odd, timed]
    })
    const first = await world.run({
      start: new Date(now.getTime() - 31 * HOUR).toISOString(),
      end: new Date(now.getTime() - 29 * HOUR).toISOString()
    })
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)

    // A copy, keys in another order, in a blob created a day later, listed by a later run.
    emulator.publish({
      contentType: 'Audit.General',
      contentCreated: new Date(now.getTime() - 2 * HOUR),
      records: [{ RecordType: 1, Workload: 'Odd', Operation: 'NoTime', Id: odd.Id }]
    })
    const second = await world.run({ start: new Date(now.getTime() - 3 * HOUR).toISOString(), end: now.toISOString() })
    expect(second.exitCode, second.stdout + second.stderr).toBe(0)
    expect(second.outputs['records-added']).toBe('0')

    const rows = (await world.branchRows()).filter((entry) => entry.row.Id === odd.Id.toLowerCase())
    expect(rows).toHaveLength(1)
    expect(rows[0]!.row.CreationTime).toBe(new Date(now.getTime() - 30 * HOUR).toISOString().replace('.000', ''))
    expect(JSON.parse(rows[0]!.row.AuditData ?? '')).toEqual(odd)
  })
})
