/**
 * `npm run demo`: the action end to end on this machine, with no tenant and no github.com.
 * Starts the Management API emulator and the GitHub fake (a real bare repository), publishes
 * a day of generated audit data, runs the shipped dist/index.js as a runner would, then shows
 * the data branch and how to query it. The branch is left in .demo/audit-data to explore.
 */
import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { BRANCH, startWorld } from '../test/e2e/world.js'

const exec = promisify(execFile)
const HOUR = 3_600_000

function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`)
}

async function main(): Promise<void> {
  const outputDir = resolve(process.cwd(), '.demo', BRANCH)
  const world = await startWorld({ emulator: { seed: 2026 } })
  const { emulator, github } = world
  try {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR)
    const start = new Date(end.getTime() - 24 * HOUR)
    const blobs = emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 4 })
    heading('Generated audit content')
    console.log(
      `${blobs.length} content blobs holding ${emulator.servedRecords('Audit.General').length} distinct records ` +
        `(Power Apps launches in both schemas, SharePoint, Teams, Flow, Exchange; duplicates and late events included).`
    )

    heading(`Running dist/index.js: backfill ${start.toISOString()} to ${end.toISOString()}`)
    const result = await world.run({ start: start.toISOString(), end: end.toISOString(), segment: '1 hour' })
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

    heading(`git log ${BRANCH}`)
    console.log(await github.git(['log', '--stat', '--format=%h %s%n%b', BRANCH]))

    heading('First rows of a day file')
    const files = (await github.git(['ls-tree', '-r', '--name-only', BRANCH])).split('\n')
    const dayFile = files.filter((path) => path.startsWith('audit/') && path.endsWith('.csv')).at(-1) ?? ''
    const text = (await github.readFile(BRANCH, dayFile))?.toString('utf8') ?? ''
    console.log(dayFile)
    for (const line of text.split('\r\n').slice(0, 4)) console.log(line.length > 160 ? `${line.slice(0, 157)}...` : line)

    heading('Power Apps launches and unique users of that day')
    const day = /(\d{4})-(\d{2})-\d{2}/.exec(dayFile)
    const usageFile = day ? `usage/power-apps/${day[1]}/${day[2]}/${day[0]}.csv` : ''
    console.log(usageFile)
    console.log((await github.readFile(BRANCH, usageFile))?.toString('utf8').trimEnd() ?? '(none)')

    await rm(outputDir, { recursive: true, force: true })
    await exec('git', ['clone', '--quiet', '--branch', BRANCH, github.repoPath, outputDir])
    heading(`Query it (the branch is cloned in ${join('.demo', BRANCH)})`)
    console.log(`cd ${join('.demo', BRANCH)}
duckdb -c "SELECT Operation, count(*) AS n FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY n DESC"
duckdb -c "SELECT CreationTime::DATE AS day, count(DISTINCT UserId) AS users FROM read_csv('audit/Audit.General/*/*/*.csv') WHERE Operation = 'LaunchPowerApp' GROUP BY 1 ORDER BY 1"
python -c "import pandas as pd, glob; df = pd.concat(pd.read_csv(f) for f in glob.glob('audit/*/*/*/*.csv')); print(df.Operation.value_counts())"`)
  } finally {
    await world.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
