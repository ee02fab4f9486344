/**
 * `npm run demo`: the action end to end on this machine, with no tenant and no github.com.
 * Starts the Management API emulator and the GitHub fake (a real bare repository), publishes
 * two days of generated audit data (one hour of it made unavailable, to show how a failing
 * window looks), runs the shipped dist/index.js as a runner would, then shows the job summary,
 * the data branch's README and coverage chart, and queries the branch with DuckDB. The branch
 * is left in .demo/audit-data to explore.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { BRANCH, startWorld } from '../test/e2e/world.js'
import { summaryAsText } from './summary-text.js'

const exec = promisify(execFile)
const HOUR = 3_600_000

function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`)
}

/** Rows as a fixed-width text table, header first. */
function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n')
}

/** Runs SQL on the cloned branch (paths relative to it) and prints the result. */
async function query(dir: string, title: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    console.log(`\n${title}\n  ${sql}\n`)
    const result = await connection.runAndReadAll(sql.replaceAll("read_csv('audit/", `read_csv('${dir}/audit/`))
    const columns = result.columnNames()
    const rows = result.getRows().map((row) => row.map((value) => String(value)))
    console.log(textTable([columns, ...rows]).replace(/^/gm, '  '))
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

async function main(): Promise<void> {
  const demoDir = resolve(process.cwd(), '.demo')
  const outputDir = join(demoDir, BRANCH)
  const world = await startWorld({ emulator: { seed: 2026 } })
  const { emulator, github } = world
  try {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR)
    const start = new Date(end.getTime() - 48 * HOUR)
    const blobs = emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 4 })
    // One hour's content cannot be downloaded (AF20050, as the service answers for content it lost).
    const failing = new Date(start.getTime() + 20 * HOUR)
    const lost = new Set(blobs.filter((blob) => blob.contentCreated >= failing && blob.contentCreated.getTime() < failing.getTime() + HOUR).map((blob) => blob.contentId))
    emulator.faults.add({ route: 'blob', kind: 'missing', match: (request) => lost.has(request.contentId ?? '') })
    heading('Generated audit content')
    console.log(
      `${blobs.length} content blobs holding ${emulator.servedRecords('Audit.General').length} distinct records ` +
        `(Power Apps launches in both schemas, SharePoint, Teams, Flow, Exchange; duplicates and late events included). ` +
        `The ${lost.size} blobs of ${failing.toISOString()} cannot be downloaded: that window fails, and the run says so.`
    )

    heading(`Running dist/index.js: backfill ${start.toISOString()} to ${end.toISOString()}`)
    // fail-on-error: false keeps the step green despite the failing window; the issue is still opened.
    const result = await world.run({ start: start.toISOString(), end: end.toISOString(), segment: '1 hour', 'fail-on-error': 'false' })
    console.log(
      result.visibleLog
        .split('\n')
        .filter((line) => !line.startsWith('::debug::'))
        .join('\n')
        .replace(/^::(end)?group::/gm, '')
        .trim()
    )
    console.log(`\nexit code ${result.exitCode}; outputs: ${JSON.stringify(result.outputs)}`)
    if (result.exitCode !== 0) throw new Error('The action failed; see its log above.')

    await mkdir(demoDir, { recursive: true })
    const summaryFile = join(demoDir, 'job-summary.md')
    await writeFile(summaryFile, result.summary)
    heading(`Job summary (as GitHub shows it on the run's page; the Markdown is in ${relative(process.cwd(), summaryFile)})`)
    console.log(summaryAsText(result.summary))

    heading(`git log ${BRANCH}`)
    console.log(await github.git(['log', '--stat', '--format=%h %s%n%b', BRANCH]))

    await rm(outputDir, { recursive: true, force: true })
    await exec('git', ['clone', '--quiet', '--branch', BRANCH, github.repoPath, outputDir])
    heading(`README.md of the data branch (as GitHub shows it on the branch's page)`)
    console.log((await github.readFile(BRANCH, 'README.md'))?.toString('utf8').trimEnd() ?? '(none)')

    const chart = join(demoDir, 'coverage.svg')
    await copyFile(join(outputDir, 'coverage.svg'), chart)
    heading('Coverage chart')
    console.log(`The README embeds coverage.svg from the branch. Open it in a browser: file://${chart}`)

    heading('First rows of a day file')
    const files = (await github.git(['ls-tree', '-r', '--name-only', BRANCH])).split('\n')
    const dayFile = files.filter((path) => path.startsWith('audit/') && path.endsWith('.csv')).at(-1) ?? ''
    const text = (await github.readFile(BRANCH, dayFile))?.toString('utf8') ?? ''
    console.log(dayFile)
    for (const line of text.split('\r\n').slice(0, 4)) console.log(line.length > 160 ? `${line.slice(0, 157)}...` : line)

    heading(`DuckDB on the branch (cloned in ${join('.demo', BRANCH)}), from this script: no separate duckdb needed`)
    await query(outputDir, 'Records per UTC day:', "SELECT CreationTime::DATE AS day, count(*) AS records FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY 1")
    await query(
      outputDir,
      'The busiest operations:',
      "SELECT Operation, count(*) AS n FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY n DESC, Operation LIMIT 8"
    )
    await query(
      outputDir,
      'Power Apps users per day:',
      "SELECT CreationTime::DATE AS day, count(DISTINCT UserId) AS users FROM read_csv('audit/Audit.General/*/*/*.csv') WHERE Operation = 'LaunchPowerApp' GROUP BY 1 ORDER BY 1"
    )
    console.log(`\nWith the duckdb CLI or pandas, from ${join('.demo', BRANCH)}:
duckdb -c "SELECT Operation, count(*) AS n FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY n DESC"
python -c "import pandas as pd, glob; df = pd.concat(pd.read_csv(f) for f in glob.glob('audit/*/*/*/*.csv')); print(df.Operation.value_counts())"`)
  } finally {
    await world.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
