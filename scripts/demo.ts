/**
 * `npm run demo`: the action end to end on this machine, with no tenant and no github.com.
 * Starts the Management API emulator (with Microsoft Graph's audit log queries) and the GitHub
 * fake (a real bare repository), publishes generated audit data (one hour of it made
 * unavailable, to show how a failing window looks), runs the shipped dist/index.js as a runner
 * would, then shows the job summary,
 * the data branch's files with their sizes, its README and coverage chart, the first rows of a
 * day file and of a Power Apps usage file, and queries the branch with DuckDB. The branch is
 * left in .demo/audit-data to explore.
 *
 *   npm run demo                          a month of Audit.General as CSV in one backfill (source: auto:
 *                                         the Management API for 7 days, Graph queries for the rest),
 *                                         signed in with a client secret
 *   npm run demo -- --coe                 the CoE preset (examples/coe-power-apps-usage.yml):
 *                                         launches and deletions only, GitHub OIDC, a dry run first
 *   npm run demo -- --format parquet      every content type as Parquet (examples/parquet.yml)
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { parse } from 'csv-parse/sync'
import { BRANCH, startWorld, type World } from '../test/e2e/world.js'
import { startFakeOidcIssuer, type FakeOidcIssuer } from '../test/fake-github/index.js'
import { CONTENT_TYPES, type ContentType } from '../test/emulator/content-types.js'
import { summaryAsText } from './summary-text.js'
import { TEST_HOOKS } from '../src/action/test-hooks.js'

const exec = promisify(execFile)
const HOUR = 3_600_000
const DAY = 24 * HOUR
/** How long a Graph query takes here; minutes to hours in a tenant (docs/graph-history.md). */
const DEMO_QUERY_MS = 1_500

function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`)
}

/** Rows as a fixed-width text table, header first; a line break inside a cell shows as ⏎. */
function textTable(table: readonly (readonly string[])[]): string {
  const rows = table.map((row) => row.map((cell) => cell.replace(/\r?\n/g, '⏎')))
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

/** What the demo runs: the default, or one of the two set-ups the examples are ready for. */
interface DemoOptions {
  format: 'csv' | 'parquet'
  /** The CoE preset, signed in with GitHub OIDC, after a dry run. */
  coe: boolean
}

function demoOptions(args: string[]): DemoOptions {
  const { values } = parseArgs({
    args,
    options: { format: { type: 'string', default: 'csv' }, coe: { type: 'boolean', default: false } }
  })
  if (values.format !== 'csv' && values.format !== 'parquet')
    throw new Error(`--format must be csv or parquet, not '${values.format}'.`)
  return { format: values.format, coe: values.coe }
}

/** 1234567 → "1.2 MB", as the docs write sizes. */
function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}

/** Runs SQL on the cloned branch (paths relative to it) and prints the result. */
async function query(dir: string, title: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    console.log(`\n${title}\n  ${sql}\n`)
    const statements = sql
      .replace(/(read_(?:csv|parquet)\(')(?=audit\/|usage\/)/g, `$1${dir}/`)
      .split(';')
      .map((statement) => statement.trim())
      .filter(Boolean)
    for (const statement of statements.slice(0, -1)) await connection.run(statement)
    const result = await connection.runAndReadAll(statements.at(-1) ?? '')
    const columns = result.columnNames()
    const rows = result.getRows().map((row) => row.map((value) => String(value)))
    console.log(textTable([columns, ...rows]).replace(/^/gm, '  '))
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** The fakes, and for the CoE set-up a GitHub OIDC issuer the emulator's app trusts (as examples/coe-power-apps-usage.yml signs in). */
async function startDemoWorld(options: DemoOptions): Promise<{ world: World; issuer: FakeOidcIssuer | undefined }> {
  if (!options.coe)
    return {
      world: await startWorld({ emulator: { seed: 2026, graphQueryDurationMs: DEMO_QUERY_MS } }),
      issuer: undefined
    }
  const subject = 'repo:contoso/audit:ref:refs/heads/main'
  const issuer = await startFakeOidcIssuer({ subject })
  const federated = {
    issuer: issuer.issuer,
    subject,
    audience: 'api://AzureADTokenExchange',
    publicKeyPem: issuer.publicKeyPem
  }
  return { world: await startWorld({ emulator: { seed: 2026, clientSecret: null, federated } }), issuer }
}

/** The log of a run without debug lines and group markers. */
function visibleLog(log: string): string {
  return log
    .split('\n')
    .filter((line) => !line.startsWith('::debug::'))
    .join('\n')
    .replace(/^::(end)?group::/gm, '')
    .trim()
}

async function main(options: DemoOptions): Promise<void> {
  const demoDir = resolve(process.cwd(), '.demo')
  const outputDir = join(demoDir, BRANCH)
  const { world, issuer } = await startDemoWorld(options)
  const { emulator, github } = world
  const contentTypes: readonly ContentType[] =
    options.format === 'parquet' && !options.coe ? CONTENT_TYPES : ['Audit.General']
  const extension = options.format
  const read = options.format === 'parquet' ? 'read_parquet' : 'read_csv'
  // The default set-up backfills a month through both APIs; the others two days of the Management API.
  const history = options.format === 'csv' && !options.coe
  try {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR)
    const recent = new Date(end.getTime() - 48 * HOUR)
    const start = history ? new Date(end.getTime() - 30 * DAY) : recent
    const blobs = [
      ...(history ? emulator.generate({ contentTypes, from: start, to: recent, blobsPerHour: 1 }) : []),
      ...emulator.generate({ contentTypes, from: recent, to: end, blobsPerHour: 4 })
    ]
    // One hour's content cannot be downloaded (AF20050, as the service answers for content it lost).
    const failing = new Date(recent.getTime() + 20 * HOUR)
    const lost = new Set(
      blobs
        .filter((blob) => blob.contentCreated >= failing && blob.contentCreated.getTime() < failing.getTime() + HOUR)
        .map((blob) => blob.contentId)
    )
    emulator.faults.add({ route: 'blob', kind: 'missing', match: (request) => lost.has(request.contentId ?? '') })
    const served = contentTypes.reduce((sum, type) => sum + emulator.servedRecords(type).length, 0)
    heading('Generated audit content')
    console.log(
      `${blobs.length} content blobs of ${contentTypes.join(', ')} holding ${served} distinct records ` +
        `(Power Apps launches in both schemas, SharePoint, Teams, Flow, Exchange; duplicates and late events included). ` +
        `The ${lost.size} blobs of ${failing.toISOString()} cannot be downloaded: that window fails, and the run says so.` +
        (history
          ? ` Days older than 7 come from Microsoft Graph audit log queries (${DEMO_QUERY_MS / 1000} s each here; minutes to hours in a tenant).`
          : '')
    )

    // What the workflow's step gives the action, besides the IDs and the fakes' addresses.
    const inputs: Record<string, string> = {
      start: start.toISOString(),
      end: end.toISOString(),
      segment: history ? '24h' : '1 hour',
      ...(history ? { source: 'auto', 'graph-url': emulator.graphUrl } : {}),
      'content-types': contentTypes.join(','),
      format: options.format,
      // fail-on-error: false keeps the step green despite the failing window; the issue is still opened.
      'fail-on-error': 'false',
      // The CoE preset; no client secret, so the action signs in with GitHub OIDC (the fake issuer's token).
      ...(options.coe ? { operations: 'LaunchPowerApp,DeletePowerApp', 'client-secret': '' } : {})
    }
    // Polls a query every half second rather than from 5 s up: queries take seconds here.
    const env = { ...(issuer?.env() ?? {}), ...(history ? { [TEST_HOOKS.graphPollMs]: '500' } : {}) }
    heading(
      `Set-up: ${options.coe ? 'the CoE preset, signed in with GitHub OIDC' : options.format === 'parquet' ? 'every content type, as Parquet' : 'a month of Audit.General as CSV, through the Management API and Graph (source: auto)'}`
    )
    console.log(
      Object.entries(inputs)
        .filter(([, value]) => value !== '')
        .map(([name, value]) => `  ${name}: ${value}`)
        .join('\n')
    )

    if (options.coe) {
      heading('Dry run first (dry-run: true): the plan, without calling Microsoft 365 or writing anything')
      const dry = await world.run({ ...inputs, 'dry-run': 'true' }, env)
      console.log(visibleLog(dry.visibleLog))
      if (dry.exitCode !== 0) throw new Error('The dry run failed; see its log above.')
    }

    heading(`Running dist/index.js: backfill ${start.toISOString()} to ${end.toISOString()}`)
    const result = await world.run(inputs, env)
    console.log(visibleLog(result.visibleLog))
    console.log(`\nexit code ${result.exitCode}; outputs: ${JSON.stringify(result.outputs)}`)
    if (result.exitCode !== 0) throw new Error('The action failed; see its log above.')

    await mkdir(demoDir, { recursive: true })
    const summaryFile = join(demoDir, 'job-summary.md')
    await writeFile(summaryFile, result.summary)
    heading(
      `Job summary (as GitHub shows it on the run's page; the Markdown is in ${relative(process.cwd(), summaryFile)})`
    )
    console.log(summaryAsText(result.summary))

    heading(`git log ${BRANCH}`)
    console.log(await github.git(['log', '--stat', '--format=%h %s%n%b', BRANCH]))

    heading(`Files on ${BRANCH}, with their sizes`)
    const tree = (await github.git(['ls-tree', '-r', '-l', BRANCH]))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', path = ''] = line.split('\t')
        return { path, bytes: Number(meta.trim().split(/\s+/)[3]) }
      })
    console.log(textTable(tree.map(({ path, bytes }) => [size(bytes).padStart(9), path])).replace(/^/gm, '  '))
    const days = tree.filter(({ path }) => path.startsWith('audit/'))
    const usage = tree.filter(({ path }) => path.startsWith('usage/'))
    const total = (files: typeof tree) => size(files.reduce((sum, file) => sum + file.bytes, 0))
    console.log(
      `\n  ${days.length} ${options.format} day files, ${total(days)} together; ${usage.length} usage files, ${total(usage)} together`
    )

    await rm(outputDir, { recursive: true, force: true })
    await exec('git', ['clone', '--quiet', '--branch', BRANCH, github.repoPath, outputDir])
    heading(`README.md of the data branch (as GitHub shows it on the branch's page)`)
    console.log((await github.readFile(BRANCH, 'README.md'))?.toString('utf8').trimEnd() ?? '(none)')

    const chart = join(demoDir, 'coverage.svg')
    await copyFile(join(outputDir, 'coverage.svg'), chart)
    heading('Coverage chart')
    console.log(`The README embeds coverage.svg from the branch. Open it in a browser: file://${chart}`)

    const dayFile = days.filter(({ path }) => path.startsWith('audit/Audit.General/')).at(-1)?.path ?? ''
    heading(`First rows of a day file: ${dayFile} (${size(days.find(({ path }) => path === dayFile)?.bytes ?? 0)})`)
    if (options.format === 'csv') {
      const text = (await github.readFile(BRANCH, dayFile))?.toString('utf8') ?? ''
      for (const line of text.split('\r\n').slice(0, 4))
        console.log(line.length > 160 ? `${line.slice(0, 157)}...` : line)
    } else {
      await query(
        outputDir,
        'Parquet is binary; DuckDB shows its typed columns:',
        `SELECT CreationTime, Id, Operation, Workload, RecordType, UserId FROM read_parquet('${dayFile}') LIMIT 3`
      )
    }

    const usageFile = usage.at(-1)
    heading(
      `First rows of a Power Apps usage file: ${usageFile ? `${usageFile.path} (${size(usageFile.bytes)})` : '(none)'}`
    )
    if (usageFile) {
      // Parsed, since app and environment names may hold commas, quotes and line breaks.
      const rows = parse((await github.readFile(BRANCH, usageFile.path)) ?? '') as string[][]
      console.log(textTable(rows.slice(0, 6)))
    }

    const general = `${read}('audit/Audit.General/*/*/*.${extension}')`
    heading(`DuckDB on the branch (cloned in ${join('.demo', BRANCH)}), from this script: no separate duckdb needed`)
    await query(
      outputDir,
      'Records per UTC day:',
      `SET TimeZone = 'UTC'; SELECT CreationTime::DATE AS day, count(*) AS records FROM ${general} GROUP BY 1 ORDER BY 1`
    )
    if (contentTypes.length > 1) {
      await query(
        outputDir,
        'Records per content type (the folder of each file: docs/data-branch.md):',
        `SELECT split_part(filename, '/', -4) AS content_type, count(*) AS records FROM ${read}('audit/*/*/*/*.${extension}', filename = true) GROUP BY 1 ORDER BY 1`
      )
    }
    await query(
      outputDir,
      'The busiest operations:',
      `SELECT Operation, count(*) AS n FROM ${general} GROUP BY 1 ORDER BY n DESC, Operation LIMIT 8`
    )
    await query(
      outputDir,
      'Power Apps users per day:',
      `SET TimeZone = 'UTC'; SELECT CreationTime::DATE AS day, count(DISTINCT UserId) AS users FROM ${general} WHERE Operation = 'LaunchPowerApp' GROUP BY 1 ORDER BY 1`
    )
    if (usage.length > 0) {
      await query(
        outputDir,
        "Each app's last launch (the CoE's App Last Launched On):",
        "SELECT AppId, arg_max(AppName, Date) AS app, max(Date) AS last_launched FROM read_csv('usage/power-apps/*/*/*.csv') GROUP BY 1 ORDER BY 3 DESC"
      )
    }
    console.log(`\nWith the duckdb CLI or pandas, from ${join('.demo', BRANCH)}:
duckdb -c "SELECT Operation, count(*) AS n FROM ${general} GROUP BY 1 ORDER BY n DESC"
python -c "import pandas as pd, glob; df = pd.concat(pd.read_${extension}(f) for f in glob.glob('audit/*/*/*/*.${extension}')); print(df.Operation.value_counts())"`)
  } finally {
    await Promise.all([world.close(), issuer?.close()])
  }
}

Promise.resolve()
  .then(() => main(demoOptions(process.argv.slice(2))))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
