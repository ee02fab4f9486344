import { afterEach, describe, expect, it } from 'vitest'
import {
  duckdbRowsPerDay,
  parseCoverageTable,
  parseSummaryCoverage,
  svgProblems,
  type CoverageCell
} from './coverage-readme.js'
import { hourFloor, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

/** The rows of the summary's "records added" table: `type day` → records. */
function summaryAdded(summary: string): Map<string, number> {
  const rows = [...summary.matchAll(/<tr><td>(Audit\.\w+)<\/td><td>(\d{4}-\d{2}-\d{2})<\/td><td>(\d+)<\/td><\/tr>/g)]
  return new Map(rows.map((row) => [`${row[1]} ${row[2]}`, Number(row[3])]))
}

/** The UTC day `ms` falls on. */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

describe(
  'coverage pictures: the data branch README and chart, and the job summary',
  { timeout: E2E_TEST_BUDGET_MS },
  () => {
    it('shows records per type and day as DuckDB counts them, in the README, the chart and the summary; a run adding nothing commits nothing', async () => {
      world = await startWorld({ emulator: { seed: 12 } })
      const { emulator } = world
      const types = ['Audit.General', 'Audit.SharePoint']
      const start = hourFloor(Date.now() - 31 * HOUR)
      const end = new Date(start.getTime() + 30 * HOUR)
      emulator.generate({ contentTypes: types as never, from: start, to: end, blobsPerHour: 2 })
      const inputs = { start: start.toISOString(), end: end.toISOString(), 'content-types': types.join(',') }

      const first = await world.run(inputs)
      expect(first.exitCode, first.stdout + first.stderr).toBe(0)
      const files = await world.branchFiles()
      const readme = files.get('README.md') ?? ''
      const counted = await duckdbRowsPerDay(await world.checkout(), types)
      const dataDays = [...counted.values()].flatMap((days) => [...days.keys()])
      expect(new Set(dataDays).size).toBeGreaterThanOrEqual(2)

      // The README: a 30-day table, newest first, whose numbers are DuckDB's; the chart beside it.
      expect(readme).toContain('![Records per UTC day, last 30 days](coverage.svg)')
      const table = parseCoverageTable(readme)
      expect([...table.keys()].sort()).toEqual(types)
      for (const type of types) {
        const days = [...table.get(type)!.keys()]
        expect(days).toHaveLength(30)
        expect(days).toEqual([...days].sort().reverse())
        expect(days[0]! >= dataDays.sort().at(-1)!).toBe(true)
        for (const [day, cell] of table.get(type)!) {
          expect(cell, `${type} ${day}`).toEqual({ records: counted.get(type)!.get(day) ?? 0, marks: '' })
        }
        for (const day of counted.get(type)!.keys())
          expect(table.get(type)!.has(day), `${type} ${day} in the table`).toBe(true)
      }
      // The repository's own recipes stay as they were.
      expect(readme).toContain(
        `duckdb -c "SELECT Operation, count(*) FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY 2 DESC"`
      )

      const svg = files.get('coverage.svg') ?? ''
      expect(svgProblems(svg)).toEqual([])
      expect(svg.match(/ records<\/title>/g)).toHaveLength(30 * types.length)
      for (const [day, records] of counted.get('Audit.General')!)
        expect(svg).toContain(`<title>Audit.General ${day}: ${records} records</title>`)

      // The job summary: records added per type and day (all of them, on a first run), and the
      // last 7 days at a glance with the same numbers.
      const added = summaryAdded(first.summary)
      const expectedAdded = new Map(
        [...counted].flatMap(([type, days]) => [...days].map(([day, n]): [string, number] => [`${type} ${day}`, n]))
      )
      expect(added).toEqual(expectedAdded)
      expect(first.summary).toContain('Coverage of the data branch, last 7 days')
      const glance = parseSummaryCoverage(first.summary)
      for (const type of types) {
        expect(glance.get(type)?.size).toBe(7)
        for (const [day, cell] of glance.get(type)!) expect(cell).toEqual(table.get(type)!.get(day))
      }
      expect(first.summary).toContain(
        'Data branch: <a href="https://github.com/contoso/audit/tree/audit-data">audit-data</a>.'
      )

      // The same run again adds nothing: no commit, not even for the README's dates.
      const head = await world.head()
      const again = await world.run(inputs)
      expect(again.exitCode, again.stdout + again.stderr).toBe(0)
      expect(again.outputs['commit-sha']).toBe('')
      expect(await world.head()).toBe(head)
      expect(again.summary).toContain('No commit: nothing new.')
      expect(summaryAdded(again.summary).size).toBe(0)
      expect(parseSummaryCoverage(again.summary)).toEqual(glance)
    })

    it('marks the day of a window that keeps failing with ⚠ in the README and the summary, links the failure issue, and says so when a later run stops before committing', async () => {
      world = await startWorld()
      const { emulator, github } = world
      emulator.subscriptions.enable('Audit.General')
      // Windows on the hour, 10 to 2 hours ago; the one 8 to 7 hours ago cannot be downloaded.
      const now = hourFloor(Date.now())
      const failingStart = now.getTime() - 8 * HOUR
      emulator.generate({
        contentTypes: ['Audit.General'],
        from: new Date(now.getTime() - 10 * HOUR),
        to: new Date(now.getTime() - 2 * HOUR),
        blobsPerHour: 2
      })
      const doomed = new Set(
        emulator
          .blobs('Audit.General')
          .filter(
            (blob) =>
              blob.contentCreated.getTime() >= failingStart && blob.contentCreated.getTime() < failingStart + HOUR
          )
          .map((blob) => blob.contentId)
      )
      expect(doomed.size).toBeGreaterThan(0)
      emulator.faults.add({ route: 'blob', kind: 'missing', match: (request) => doomed.has(request.contentId ?? '') })
      const backfill = {
        start: new Date(now.getTime() - 10 * HOUR).toISOString(),
        end: new Date(now.getTime() - 2 * HOUR).toISOString()
      }

      const first = await world.run(backfill)
      expect(first.exitCode).toBe(1)
      expect(first.outputs['failed-segments']).toBe('1')
      const failingDay = dayOf(failingStart)
      const expectMarks = (cells: Map<string, CoverageCell> | undefined, where: string): void => {
        expect(cells?.get(failingDay)?.marks, `${where}: ${failingDay}`).toBe('⚠ 1 failed')
        for (const [day, cell] of cells ?? []) if (day !== failingDay) expect(cell.marks, `${where}: ${day}`).toBe('')
      }
      expectMarks(parseCoverageTable((await world.branchFiles()).get('README.md') ?? '').get('Audit.General'), 'README')
      expectMarks(parseSummaryCoverage(first.summary).get('Audit.General'), 'summary')
      expect(svgProblems((await world.branchFiles()).get('coverage.svg') ?? '')).toEqual([])
      expect((await world.branchFiles()).get('coverage.svg')).toContain(
        `<title>${failingDay}: 1 failing window(s)</title>`
      )
      expect(github.issues).toHaveLength(1)
      const issueUrl = `${github.htmlUrl}/contoso/audit/issues/${github.issues[0]!.number}`
      expect(first.summary).toContain(`failure issue <a href="${issueUrl}">#${github.issues[0]!.number}</a>`)

      // GitHub now refuses every commit: the run stops before committing anything, and its
      // summary says why, that nothing was committed, and where the issue and the branch are.
      const head = await world.head()
      github.faults.add({
        method: 'POST',
        path: /\/git\/commits$/,
        status: 403,
        body: { message: 'Resource not accessible by integration' },
        times: Infinity
      })
      const stopped = await world.run(backfill)
      expect(stopped.exitCode).toBe(1)
      expect(await world.head()).toBe(head)
      expect(stopped.summary).toContain('m365-audit-sync: stopped')
      expect(stopped.summary).toMatch(
        /The run stopped while committing to the data branch: .*Resource not accessible by integration/
      )
      expect(stopped.summary).toContain('Nothing was committed: the data branch is as it was')
      expect(stopped.summary).toMatch(
        /Before it stopped, the run listed 8 of 8 windows \(\d+ blobs\), downloaded \d+ blobs with \d+ records\./
      )
      expect(stopped.summary).toContain(
        `Data branch: <a href="https://github.com/contoso/audit/tree/audit-data">audit-data</a>; failure issue <a href="${issueUrl}">`
      )
      expect(stopped.errors.at(-1)?.message).toMatch(/Resource not accessible by integration/)
    })

    it('a run that stops after committing part of its data summarises the commits it made, and long runs log their progress', async () => {
      world = await startWorld({ emulator: { seed: 21 } })
      const { emulator, github } = world
      const start = hourFloor(Date.now() - 7 * HOUR)
      const end = new Date(start.getTime() + 6 * HOUR)
      emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 4, recordsPerBlob: 10 })
      // Listing is slow, downloads quick: a window's records are in while the next is listed, so
      // records-per-commit 1 cuts the run into parts, and the run lasts long enough for progress.
      emulator.faults.add({ route: 'content', kind: 'slow', delayMs: 150 })
      // The first commit lands; every later one is refused.
      github.faults.add({
        method: 'POST',
        path: /\/git\/commits$/,
        status: 403,
        body: { message: 'Resource not accessible by integration' },
        times: Infinity,
        after: 1
      })

      const result = await world.run(
        { start: start.toISOString(), end: end.toISOString(), 'records-per-commit': '1', concurrency: '2' },
        { [TEST_HOOKS.progressEveryMs]: '100' }
      )
      expect(result.exitCode, result.stdout).toBe(1)
      const head = await world.head()
      expect(head).toBeDefined()
      const rows = (await world.branchRows()).length
      expect(rows).toBeGreaterThan(0)
      expect(rows).toBeLessThan(emulator.servedRecords('Audit.General').length)

      const { summary } = result
      expect(summary).toContain('m365-audit-sync: stopped')
      expect(summary).toMatch(
        /The run stopped while committing to the data branch: .*Resource not accessible by integration/
      )
      expect(summary).toContain(
        `Committed before it stopped: ${rows} new records in 1 commit(s), kept; the next run goes on from there.`
      )
      expect(summary).toContain(`<a href="https://github.com/contoso/audit/commit/${head}">${head!.slice(0, 7)}</a>`)
      expect([...summaryAdded(summary).values()].reduce((sum, n) => sum + n, 0)).toBe(rows)
      expect(summary).toContain(
        'Data branch: <a href="https://github.com/contoso/audit/tree/audit-data">audit-data</a>.'
      )
      expect(parseCoverageTable((await world.branchFiles()).get('README.md') ?? '').get('Audit.General')?.size).toBe(30)

      // Progress lines while it ran, none once it had stopped.
      const lines = result.stdout.split('\n')
      const progress = lines.flatMap((line, index) => (line.startsWith('Progress after ') ? [index] : []))
      expect(progress.length, result.stdout).toBeGreaterThan(0)
      expect(lines[progress[0]!]).toMatch(
        /^Progress after \d+ s: \d+ of \d+ windows listed, \d+ of \d+ blobs downloaded, [\d,]+ records \([\d,]+ a second\)\.$/
      )
      expect(progress.at(-1)!).toBeLessThan(lines.findIndex((line) => line === '::group::Failure issue'))
    })
  }
)

describe('dates of the coverage window', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('ends at today even when the newest data is days old', async () => {
    world = await startWorld()
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const start = hourFloor(Date.now() - 4 * DAY)
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: start,
      to: new Date(start.getTime() + 2 * HOUR),
      blobsPerHour: 2,
      lateness: [{ share: 1, minMinutes: 0, maxMinutes: 10 }]
    })
    const result = await world.run({
      start: start.toISOString(),
      end: new Date(start.getTime() + 3 * HOUR).toISOString()
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const days = [
      ...(parseCoverageTable((await world.branchFiles()).get('README.md') ?? '')
        .get('Audit.General')
        ?.keys() ?? [])
    ]
    expect([dayOf(Date.now()), dayOf(Date.now() - DAY)]).toContain(days[0])
    expect(days).toContain(dayOf(start.getTime()))
  })
})
