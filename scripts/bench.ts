/**
 * `npm run bench`: how fast and how lean a sync is, measured on this machine with the test
 * fakes (no tenant, no github.com): the shipped dist/index.js end to end, a backfill, then
 * the same run again (which must download nothing and commit nothing). Wall time, requests,
 * and the action's peak memory and CPU.
 *
 * Workload flags (defaults in brackets): --hours [24] --types [2] --blobs-per-hour [12]
 * --records-per-blob [150] --concurrency [8]. Figures go to stdout and build/bench.json.
 * BENCH_NODE_OPTIONS adds Node flags to the action's process (`--max-old-space-size=256`
 * shows whether a workload fits a given heap).
 * The action keeps under the tenant's API quota (~2,000 calls a minute), so past a couple of
 * hundred calls the end-to-end time is bounded by that limit, not by this machine.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { ContentType } from '../src/config/content-types.js'
import { BRANCH, startWorld } from '../test/e2e/world.js'

const HOUR = 3_600_000
/** The content types in the order --types takes them: the CoE's own first, as the README's figures assume. */
const ALL_TYPES: ContentType[] = ['Audit.General', 'Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'DLP.All']

interface Workload {
  hours: number
  types: ContentType[]
  blobsPerHour: number
  recordsPerBlob: number
  concurrency: number
}

function readWorkload(): Workload {
  const { values } = parseArgs({
    options: {
      hours: { type: 'string', default: '24' },
      types: { type: 'string', default: '2' },
      'blobs-per-hour': { type: 'string', default: '12' },
      'records-per-blob': { type: 'string', default: '150' },
      concurrency: { type: 'string', default: '8' }
    }
  })
  const number = (name: keyof typeof values, max: number): number => {
    const value = Number(values[name])
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be a whole number from 1 to ${max}; got '${values[name]}'.`)
    return value
  }
  return {
    // The API serves 7 days; a backfill further back is refused by the action itself.
    hours: number('hours', 167),
    types: ALL_TYPES.slice(0, number('types', ALL_TYPES.length)),
    blobsPerHour: number('blobs-per-hour', 200),
    recordsPerBlob: number('records-per-blob', 5_000),
    concurrency: number('concurrency', 64)
  }
}

const perSecond = (count: number, ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`
const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** Loaded into the action's process (NODE_OPTIONS=--import) to report its own resource use. */
const PROBE = `import { writeFileSync } from 'node:fs'
const peaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }
const timeline = []
const started = Date.now()
const sample = () => {
  const usage = process.memoryUsage()
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key])
  if (process.env.BENCH_TIMELINE) timeline.push([Date.now() - started, ...Object.keys(peaks).map((key) => Math.round(usage[key] / 1048576))])
}
setInterval(sample, 50).unref()
process.on('exit', () => {
  sample()
  const usage = process.resourceUsage()
  writeFileSync(process.env.BENCH_PROBE_FILE, JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peaks, timeline }))
})
`

async function main(): Promise<void> {
  const workload = readWorkload()
  const outDir = resolve(process.cwd(), 'build', 'bench')
  await mkdir(outDir, { recursive: true })
  const probePath = resolve(outDir, 'probe.mjs')
  await writeFile(probePath, PROBE)

  const world = await startWorld({ emulator: { seed: 2026 } })
  const { emulator, github } = world
  try {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
    const start = new Date(end.getTime() - workload.hours * HOUR)
    const blobs = emulator.generate({
      contentTypes: workload.types,
      from: start,
      to: end,
      blobsPerHour: workload.blobsPerHour,
      recordsPerBlob: workload.recordsPerBlob
    })
    const served = workload.types.reduce((sum, type) => sum + emulator.servedRecords(type).length, 0)
    console.log(
      `Workload: ${workload.hours} h × ${workload.types.join(', ')}; ${blobs.length} blobs, ${served.toLocaleString('en-US')} distinct records; ` +
        `concurrency ${workload.concurrency}.`
    )

    const runs: Record<string, Record<string, string | number>> = {}
    for (const name of ['backfill', 'repeat'] as const) {
      const probeFile = resolve(outDir, `${name}.json`)
      const apiBefore = emulator.requests.byRoute('list', 'content', 'blob', 'start', 'token').length
      const githubBefore = github.requests.length
      const started = performance.now()
      const result = await world.run(
        { start: start.toISOString(), end: end.toISOString(), 'content-types': workload.types.join(','), concurrency: String(workload.concurrency) },
        { NODE_OPTIONS: `--import=${pathToFileURL(probePath).href} ${process.env.BENCH_NODE_OPTIONS ?? ''}`, BENCH_PROBE_FILE: probeFile, BENCH_TIMELINE: process.env.BENCH_TIMELINE ?? "" },
        30 * 60_000
      )
      const wallMs = performance.now() - started
      if (result.exitCode !== 0) throw new Error(`The ${name} run failed:\n${result.visibleLog}`)
      const added = Number(result.outputs['records-added'])
      const expected = name === 'backfill' ? served : 0
      if (added !== expected) throw new Error(`The ${name} run added ${added} records; ${expected} were due.`)
      const probe = JSON.parse(await readFile(probeFile, 'utf8')) as { maxRssKb: number; cpuMs: number }
      const apiCalls = emulator.requests.byRoute('list', 'content', 'blob', 'start', 'token').length - apiBefore
      runs[name] = {
        'wall time': seconds(wallMs),
        'records added': added,
        'records/s': name === 'backfill' ? perSecond(added, wallMs) : '-',
        'API calls': apiCalls,
        'API calls/min': Math.round((apiCalls / wallMs) * 60_000),
        'GitHub calls': github.requests.length - githubBefore,
        'files changed': Number(result.outputs['files-changed']),
        'peak RSS': megabytes(probe.maxRssKb * 1024),
        'CPU time': seconds(probe.cpuMs)
      }
    }
    console.log('\ndist/index.js end to end (a backfill, then the same run again)')
    console.table(runs)
    const commits = await github.git(['rev-list', '--count', BRANCH])
    console.log(`The data branch has ${commits} commit(s).`)

    const report = { date: new Date().toISOString(), node: process.version, workload, blobs: blobs.length, served, runs }
    await writeFile(resolve(process.cwd(), 'build', 'bench.json'), `${JSON.stringify(report, null, 2)}\n`)
    console.log('\nWritten to build/bench.json.')
  } finally {
    await world.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
