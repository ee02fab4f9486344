/**
 * `npm run bench`: how lean, fast and polite a sync is, measured on this machine with the test
 * fakes (no tenant, no github.com). Every figure is of the shipped dist/index.js, run as a
 * runner runs it, with a probe in its process for peak memory and CPU time. Four scenarios:
 *
 * - day: one UTC day of N records (--day-records, a list), collected by a backfill of the
 *   first 20 hours, then a second run whose late events are added to that day, then the run
 *   that compacts the day once it settles. Peak RSS and CPU per record of each run; the
 *   day's rows are counted back with DuckDB after run 2 and after the compaction. Power Apps usage
 *   files are off (`usage: false`) here and in growth: the emulator's Audit.General is mostly
 *   launches, nothing like a tenant's mix, and counting them would measure JSON.parse.
 * - quota: a 36-hour backfill of about 800 calls against a rolling-minute quota the action is
 *   not told (--quota per minute): calls, throttled calls, and wall time against the least
 *   possible, ⌊(calls − 1) / quota⌋ minutes.
 * - growth: one day collected by 24 hourly runs of --growth-hour-records each (3,000), events late with a tail, then the run that
 *   compacts the days once settled: bytes sent to GitHub, CPU per record, and the
 *   repository's packed size after `git gc` against the final files.
 * - codecs: our CSV codec against csv-stringify and csv-parse on the same records, in this
 *   process: what writing and reading back a record costs each way (the libraries are the
 *   oracles of the codec's tests; docs/benchmarks.md says why the codec is ours).
 * - graph: a backfill of --graph-days (90) with `source: auto`, Graph audit log queries taking
 *   --graph-query-minutes (10) each, continued by hourly runs until nothing waits: runs
 *   needed, queries submitted and refused, CPU per record and peak RSS. Time is modelled:
 *   one second here is GRAPH_TIME_SCALE / 60 minutes of the queries, polls and waits.
 *
 * `--smoke` runs them all on small numbers, for CI. BENCH_NODE_OPTIONS adds Node flags to the
 * action's process (`--cpu-prof`), BENCH_V8_FLAGS sets V8 flags from inside it (those Node
 * refuses in NODE_OPTIONS, such as `--trace-gc`); BENCH_TIMELINE=1 samples its memory every
 * 100 ms (or every N ms, BENCH_TIMELINE=N), among the lines it logs. Each run leaves
 * build/bench/<run>.json (peak memory, CPU per thread, garbage collections, the timeline)
 * and build/bench/<run>.log (its output). Results go to stdout,
 * build/bench.json and build/bench.md (the tables docs/benchmarks.md is made from).
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { blobRows } from '../src/collect/blob-rows.js'
import { SCANNED_COLUMNS } from '../src/record/columns.js'
import { fieldKeys, scanRecords } from '../src/record/record-scanner.js'
import { CSV_FORMAT, CSV_HEADER, readCsvRows } from '../src/snapshot/format/csv.js'
import { findDayFiles } from '../src/branch/paths.js'
import { KINDS_BY_CONTENT_TYPE, makeRecord } from '../test/emulator/records.js'
import { Rng } from '../test/emulator/rng.js'
import { TEST_HOOKS } from '../src/action/test-hooks.js'
import { BRANCH, startWorld, type World } from '../test/e2e/world.js'

const exec = promisify(execFile)
const HOUR = 3_600_000
const DAY = 24 * HOUR
const TYPE = 'Audit.General'

interface Options {
  scenarios: Set<string>
  dayRecords: number[]
  /** Day sizes measured in Parquet too (a subset: the figures are alike per record). */
  parquetDayRecords: number[]
  /** Records served to each hourly run of the growth scenario (in six blobs). */
  growthHourRecords: number
  formats: ('csv' | 'parquet')[]
  quota: number
  /** Days of history the graph scenario backfills, records a day, and minutes a query takes. */
  graphDays: number
  graphDayRecords: number
  graphQueryMinutes: number
  smoke: boolean
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string', default: 'day,quota,growth,codecs,graph,huge-blob' },
      'day-records': { type: 'string', default: '50000,250000,1000000' },
      formats: { type: 'string', default: 'csv,parquet' },
      'parquet-day-records': { type: 'string', default: '250000' },
      'growth-hour-records': { type: 'string', default: '3000' },
      quota: { type: 'string', default: '300' },
      'graph-days': { type: 'string', default: '90' },
      'graph-day-records': { type: 'string', default: '2000' },
      'graph-query-minutes': { type: 'string', default: '10' },
      smoke: { type: 'boolean', default: false }
    }
  })
  const numbers = (text: string, name: string): number[] =>
    text.split(',').map((part) => {
      const value = Number(part.trim())
      if (!Number.isInteger(value) || value < 100)
        throw new Error(`--${name} takes whole numbers of at least 100; got '${part}'.`)
      return value
    })
  const scenarios = new Set(values.scenarios.split(',').map((name) => name.trim()))
  for (const name of scenarios)
    if (!['day', 'quota', 'growth', 'codecs', 'graph', 'huge-blob'].includes(name))
      throw new Error(`Unknown scenario '${name}': day, quota, growth, codecs, graph or huge-blob.`)
  return {
    scenarios,
    dayRecords: values.smoke ? [2_000] : numbers(values['day-records'], 'day-records'),
    parquetDayRecords: values.smoke ? [2_000] : numbers(values['parquet-day-records'], 'parquet-day-records'),
    growthHourRecords: values.smoke ? 120 : (numbers(values['growth-hour-records'], 'growth-hour-records')[0] ?? 3000),
    formats: values.formats.split(',').map((name) => {
      const format = name.trim()
      if (format !== 'csv' && format !== 'parquet') throw new Error(`--formats takes csv and parquet; got '${name}'.`)
      return format
    }),
    quota: values.smoke ? 600 : (numbers(values.quota, 'quota')[0] ?? 300),
    graphDays: values.smoke ? 9 : Number(values['graph-days']),
    graphDayRecords: values.smoke ? 100 : (numbers(values['graph-day-records'], 'graph-day-records')[0] ?? 2000),
    graphQueryMinutes: values.smoke ? 2 : Number(values['graph-query-minutes']),
    smoke: values.smoke
  }
}

/** Loaded into the action's process (NODE_OPTIONS=--import) to report its own resource use. */
// Peak RSS is the kernel's VmHWM of the action's own address space: getrusage's maxRSS also
// counts the process it was spawned from (Linux carries it across fork and exec), here the
// bench holding every generated record.
const PROBE = `import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
if (process.env.BENCH_V8_FLAGS) setFlagsFromString(process.env.BENCH_V8_FLAGS)
const timeline = []
if (process.env.BENCH_ALLOCATIONS && !(await import('node:worker_threads')).isMainThread) {
  // Every allocation sampled, those already collected too: where the garbage comes from.
  const { Session } = await import('node:inspector')
  const session = new Session()
  session.connect()
  session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  process.on('exit', () => session.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) writeFileSync(process.env.BENCH_PROBE_FILE + '.heapprofile', JSON.stringify(result.profile))
  }))
}
if (process.env.BENCH_HEAP_SNAPSHOT_MS && !(await import('node:worker_threads')).isMainThread) {
  setTimeout(async () => (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_PROBE_FILE + '.heapsnapshot'), Number(process.env.BENCH_HEAP_SNAPSHOT_MS)).unref()
}
const gc = {}
const gcKinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak' }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = gcKinds[entry.detail?.kind] ?? 'other'
    const seen = (gc[kind] ??= { count: 0, ms: 0 })
    seen.count++
    seen.ms += entry.duration
  }
}).observe({ entryTypes: ['gc'] })
if (process.env.BENCH_TIMELINE) {
  const started = Date.now()
  // The start of each line the action logs, among the samples: which phase of the run they fall in.
  // A value to mask is a secret: only the command is kept.
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (chunk, ...rest) => {
    const line = String(chunk)
    timeline.push([Date.now() - started, line.startsWith('::add-mask::') ? '::add-mask::' : line.slice(0, 50)])
    return write(chunk, ...rest)
  }
  setInterval(() => {
    const m = process.memoryUsage()
    timeline.push([Date.now() - started, ...[m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers].map((v) => Math.round(v / 1048576))])
  }, Number(process.env.BENCH_TIMELINE) > 1 ? Number(process.env.BENCH_TIMELINE) : 100).unref()
}
import { isMainThread } from 'node:worker_threads'
// The action works in a worker thread: its garbage collections are the worker's; process
// figures are read by the main thread, which exits last.
if (!isMainThread) process.on('exit', () => writeFileSync(process.env.BENCH_PROBE_FILE + '.worker', JSON.stringify({ gc, timeline })))
else process.on('exit', () => {
  const usage = process.resourceUsage()
  let peakKb = usage.maxRSS
  try {
    peakKb = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1])
  } catch {}
  const threads = {}
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ticks = Number(fields[11]) + Number(fields[12])
      threads[name] = (threads[name] ?? 0) + ticks * 10
    }
  } catch {}
  writeFileSync(process.env.BENCH_PROBE_FILE, JSON.stringify({ maxRssKb: peakKb, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, threads, gc, user: usage.userCPUTime / 1000, system: usage.systemCPUTime / 1000, timeline }))
})
`

interface Measured {
  exitCode: number | null
  outputs: Record<string, string>
  wallMs: number
  peakRssMb: number
  cpuMs: number
  /** Of cpuMs, V8's own threads: concurrent compilation, marking and sweeping. */
  v8BackgroundMs: number
  /** Bytes of the requests the run sent to GitHub. */
  sentBytes: number
  /** Requests the run made to GitHub. */
  githubRequests: number
}

const outDir = resolve(process.cwd(), 'build', 'bench')
const probePath = resolve(outDir, 'probe.mjs')

/** One run of the action with the probe; fails the bench when the action fails. */
async function measure(
  world: World,
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  allowFailure = false
): Promise<Measured> {
  const probeFile = resolve(outDir, `${name}.json`)
  const started = performance.now()
  const requestsBefore = world.github.requests.length
  const result = await world.run(
    inputs,
    {
      NODE_OPTIONS: `--import=${pathToFileURL(probePath).href} ${process.env.BENCH_NODE_OPTIONS ?? ''}`,
      BENCH_PROBE_FILE: probeFile,
      BENCH_TIMELINE: process.env.BENCH_TIMELINE ?? '',
      BENCH_V8_FLAGS: process.env.BENCH_V8_FLAGS ?? '',
      BENCH_HEAP_SNAPSHOT_MS: process.env.BENCH_HEAP_SNAPSHOT_MS ?? '',
      BENCH_ALLOCATIONS: process.env.BENCH_ALLOCATIONS ?? '',
      ...env
    },
    60 * 60_000
  )
  const wallMs = performance.now() - started
  await writeFile(resolve(outDir, `${name}.log`), result.visibleLog)
  if (result.exitCode !== 0 && !allowFailure) throw new Error(`The ${name} run failed:\n${result.visibleLog}`)
  const probe = JSON.parse(await readFile(probeFile, 'utf8')) as {
    maxRssKb: number
    cpuMs: number
    threads: Record<string, number>
  }
  const worker = await readFile(`${probeFile}.worker`, 'utf8').catch(() => undefined)
  if (worker !== undefined) {
    const { gc, timeline } = JSON.parse(worker) as { gc: unknown; timeline: unknown }
    Object.assign(probe, { workerGc: gc, workerTimeline: timeline })
    await writeFile(probeFile, JSON.stringify(probe))
    await rm(`${probeFile}.worker`)
  }
  // What the run sent to GitHub: the bodies of its requests (blob uploads are base64).
  const sentBytes = world.github.requests.slice(requestsBefore).reduce((sum, request) => sum + (request.bytes ?? 0), 0)
  const githubRequests = world.github.requests.length - requestsBefore
  // The fake keeps parsed request bodies for tests; the bench has no use for them.
  for (const request of world.github.requests.slice(requestsBefore)) delete request.body
  return {
    exitCode: result.exitCode,
    outputs: result.outputs,
    wallMs,
    peakRssMb: probe.maxRssKb / 1024,
    cpuMs: probe.cpuMs,
    v8BackgroundMs: probe.threads.V8Worker ?? 0,
    sentBytes,
    githubRequests
  }
}

const round = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The UTC day two days back: fully in the past, well inside the API's 7 days. */
function benchDay(): Date {
  return new Date(Math.floor(Date.now() / DAY) * DAY - 2 * DAY)
}

/**
 * The day's rows on the branch, counted by DuckDB over a clone (all rows, and distinct Ids),
 * and how long an analyst waits for two queries over the day read as docs/data-branch.md reads it:
 * launches' users (a few typed columns) and a field of every record's AuditData JSON. Each
 * the best of two, the files in the page cache.
 */
async function countDayRows(
  world: World,
  day: string,
  format: 'csv' | 'parquet'
): Promise<{ rows: number; ids: number; columnsMs: number; jsonMs: number }> {
  const dir = await world.checkout()
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const glob = `${dir}/audit/${TYPE}/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}*.${format}`
    const source =
      format === 'csv' ? `read_csv('${glob}', header = true, all_varchar = true)` : `read_parquet('${glob}')`
    const result = await connection.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT Id) AS ids FROM ${source}`)
    const [row] = result.getRowObjects() as { n: bigint; ids: bigint }[]
    const asRead = format === 'csv' ? `read_csv('${glob}')` : `read_parquet('${glob}')`
    const timed = async (sql: string): Promise<number> => {
      let best = Infinity
      for (let round = 0; round < 2; round++) {
        const started = performance.now()
        await connection.runAndReadAll(sql)
        best = Math.min(best, performance.now() - started)
      }
      return best
    }
    const columnsMs = await timed(`SELECT count(DISTINCT UserId) FROM ${asRead} WHERE Operation = 'LaunchPowerApp'`)
    const jsonMs = await timed(`SELECT count(DISTINCT json_extract_string(AuditData, '$.ClientIP')) FROM ${asRead}`)
    return { rows: Number(row?.n ?? 0), ids: Number(row?.ids ?? 0), columnsMs, jsonMs }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** Rows and distinct Ids of every day of TYPE on the branch, counted by DuckDB over a clone. */
async function countBranchRows(world: World, format: 'csv' | 'parquet'): Promise<{ rows: number; ids: number }> {
  const dir = await world.checkout()
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const glob = `${dir}/audit/${TYPE}/*/*/*.${format}`
    const source =
      format === 'csv' ? `read_csv('${glob}', header = true, all_varchar = true)` : `read_parquet('${glob}')`
    const result = await connection.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT Id) AS ids FROM ${source}`)
    const [row] = result.getRowObjects() as { n: bigint; ids: bigint }[]
    return { rows: Number(row?.n ?? 0), ids: Number(row?.ids ?? 0) }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/**
 * How fast this machine is right now, for comparing figures across machines and days (a
 * shared virtual machine's speed drifts): a loop over bytes like the record scanner's, and
 * SHA-256, each the best of three over 64 MiB.
 */
function machineSpeed(): { loopNsPerByte: number; sha256NsPerByte: number } {
  const bytes = Buffer.alloc(64 * 1024 * 1024)
  for (let at = 0; at < bytes.length; at++) bytes[at] = (at * 7919) & 0x7f
  const best = (work: () => void): number => {
    let fastest = Infinity
    for (let round = 0; round < 3; round++) {
      const started = performance.now()
      work()
      fastest = Math.min(fastest, performance.now() - started)
    }
    return (fastest * 1e6) / bytes.length
  }
  let sink = 0
  const loopNsPerByte = best(() => {
    let quotes = 0
    for (let at = 0; at < bytes.length; at++) if (bytes[at] === 0x22) quotes++
    sink += quotes
  })
  const sha256NsPerByte = best(() => void createHash('sha256').update(bytes).digest())
  if (sink < 0) console.log(sink)
  return { loopNsPerByte, sha256NsPerByte }
}

/** Additions and key files left on the branch: none once every day it holds is compacted. */
async function additionsOrKeysLeft(world: World): Promise<string[]> {
  return (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH]))
    .split('\n')
    .filter((path) => path.includes('.added-') || path.startsWith('state/keys/'))
}

/** The manifest's entries, as the branch holds them now. */
async function auditManifest(world: World): Promise<Record<string, { sha256: string; rows: number; bytes: number }>> {
  const text = await world.github.git(['show', `${BRANCH}:manifest.json`])
  return (JSON.parse(text) as { files: Record<string, { sha256: string; rows: number; bytes: number }> }).files
}

/** One day of N records: a backfill, then a run that merges late events into the day. */
async function dayScenario(records: number, format: 'csv' | 'parquet'): Promise<Record<string, string | number>> {
  const world = await startWorld({ emulator: { seed: 2026, pageSize: 50 } })
  try {
    const day = benchDay()
    const dayText = day.toISOString().slice(0, 10)
    // Blobs of a thousand records through the day and two hours into the next, their events
    // late as the emulator's default has them (most within the hour, a sixth up to a day, a
    // twentieth up to six days): the day's records, and records of the days before.
    const recordsPerBlob = Math.min(1_000, Math.max(20, Math.round(records / 100)))
    const blobsPerHour = Math.max(1, Math.round(records / 0.9 / 24 / recordsPerBlob))
    const generateStarted = performance.now()
    world.emulator.generate({
      contentTypes: [TYPE],
      from: day,
      to: new Date(day.getTime() + 26 * HOUR),
      blobsPerHour,
      recordsPerBlob,
      compact: true
    })
    const generateMs = performance.now() - generateStarted
    const expected = world.emulator.generatedDistinct.get(`${TYPE}|${dayText}`) ?? 0
    const cut = new Date(day.getTime() + 20 * HOUR)
    const first = await measure(world, `day-${records}-${format}-backfill`, {
      start: day.toISOString(),
      end: cut.toISOString(),
      'content-types': TYPE,
      format,
      usage: 'false'
    })
    const manifestBefore = await auditManifest(world)
    const second = await measure(world, `day-${records}-${format}-merge`, {
      start: cut.toISOString(),
      end: new Date(day.getTime() + 26 * HOUR).toISOString(),
      'content-types': TYPE,
      format,
      usage: 'false'
    })
    // Rows of the parts run 2 wrote anew (of this day and the next): the parts its records fall into, not whole days.
    const manifestAfter = await auditManifest(world)
    const rewritten = Object.entries(manifestAfter)
      .filter(([path, entry]) => manifestBefore[path]?.sha256 !== entry.sha256)
      .reduce((rows, [, entry]) => rows + entry.rows, 0)
    // The same window again: nothing new, so what a run costs whatever it collects.
    const idle = await measure(world, `day-${records}-${format}-nothing-new`, {
      start: cut.toISOString(),
      end: new Date(day.getTime() + 26 * HOUR).toISOString(),
      'content-types': TYPE,
      format,
      usage: 'false'
    })
    if (idle.outputs['records-added'] !== '0')
      throw new Error(`A repeated run added ${idle.outputs['records-added']} records.`)
    const counted = await countDayRows(world, dayText, format)
    if (counted.rows !== expected || counted.ids !== expected) {
      const byRuns = `${first.outputs['records-added']} + ${second.outputs['records-added']}`
      throw new Error(
        `Day ${dayText}: the branch holds ${counted.rows} rows (${counted.ids} distinct Ids); ${expected} distinct records were served (the runs added ${byRuns}).`
      )
    }
    const dayFiles = Object.entries(manifestAfter).filter(([path]) => path.includes(dayText))
    const dayBytes = dayFiles.reduce((sum, [, entry]) => sum + entry.bytes, 0)
    const added = [first, second].map((run) => Number(run.outputs['records-added']))
    // The days once settled (the test hook settles a day as it ends): their files compacted.
    const compaction = await measure(
      world,
      `day-${records}-${format}-compaction`,
      {
        start: cut.toISOString(),
        end: new Date(day.getTime() + 26 * HOUR).toISOString(),
        'content-types': TYPE,
        format,
        usage: 'false'
      },
      { [TEST_HOOKS.settleAfterMs]: '0' }
    )
    if (compaction.outputs['records-added'] !== '0')
      throw new Error(`The compaction run added ${compaction.outputs['records-added']} records.`)
    const manifestCompacted = await auditManifest(world)
    const compacted = Object.entries(manifestCompacted)
      .filter(([path, entry]) => manifestAfter[path]?.sha256 !== entry.sha256)
      .reduce((rows, [, entry]) => rows + entry.rows, 0)
    if (compacted === 0) throw new Error(`Day ${dayText}: the compaction run compacted no rows.`)
    const leftOver = await additionsOrKeysLeft(world)
    if (leftOver.length > 0)
      throw new Error(`The compaction left ${leftOver.length} additions or key files, such as ${leftOver[0]}.`)
    const recounted = await countDayRows(world, dayText, format)
    if (recounted.rows !== expected || recounted.ids !== expected)
      throw new Error(
        `Day ${dayText}: after compaction the branch holds ${recounted.rows} rows (${recounted.ids} distinct Ids); ${expected} were served.`
      )
    // The day's canonical files (one, or numbered parts), not its additions: none are left.
    const parts = findDayFiles(Object.keys(manifestCompacted), TYPE, dayText, format).length
    return {
      'records in the day': expected,
      'day files after run 2': dayFiles.length,
      'day files (MB)': round(dayBytes / 1024 / 1024, 1),
      'day parts once compacted': parts,
      'run 1: records added': added[0]!,
      'run 1: peak RSS (MB)': round(first.peakRssMb),
      'run 1: CPU µs/record': round((first.cpuMs * 1000) / added[0]!, 1),
      'run 1: of which V8 threads (compiling, GC)': round((first.v8BackgroundMs * 1000) / added[0]!, 1),
      'run 1: wall (s)': round(first.wallMs / 1000, 1),
      'run 1: sent to GitHub (MB)': round(first.sentBytes / 1024 / 1024, 1),
      'run 2: records added': added[1]!,
      'run 2: peak RSS (MB)': round(second.peakRssMb),
      'run 2: CPU µs/record': round((second.cpuMs * 1000) / added[1]!, 1),
      'run 2: rows of files written': rewritten,
      'run 2: wall (s)': round(second.wallMs / 1000, 1),
      'run 2: sent to GitHub (MB)': round(second.sentBytes / 1024 / 1024, 1),
      'a run adding nothing: CPU (s)': round(idle.cpuMs / 1000, 2),
      'compaction: rows of the days compacted': compacted,
      'compaction: CPU µs/row': compacted === 0 ? '-' : round((compaction.cpuMs * 1000) / compacted, 1),
      'compaction: peak RSS (MB)': round(compaction.peakRssMb),
      'compaction: sent to GitHub (MB)': round(compaction.sentBytes / 1024 / 1024, 1),
      "DuckDB over the day: launches' users (s)": round(counted.columnsMs / 1000, 2),
      'DuckDB over the day: a field of AuditData (s)': round(counted.jsonMs / 1000, 2),
      'generating the records (s)': round(generateMs / 1000, 1)
    }
  } finally {
    await world.close()
  }
}

/** A 36-hour backfill against a rolling-minute quota the action is not told. */
async function quotaScenario(quota: number, smoke: boolean): Promise<Record<string, string | number>> {
  const world = await startWorld({
    emulator: { seed: 7, pageSize: 5, throttle: { requestsPerMinute: quota, window: 'rolling-minute' } }
  })
  try {
    const hours = smoke ? 6 : 36
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
    const start = new Date(end.getTime() - hours * HOUR)
    world.emulator.generate({
      contentTypes: [TYPE],
      from: start,
      to: end,
      blobsPerHour: smoke ? 4 : 18,
      recordsPerBlob: 20
    })
    const served = world.emulator.servedRecords(TYPE).length
    const run = await measure(world, 'quota', {
      start: start.toISOString(),
      end: end.toISOString(),
      'content-types': TYPE
    })
    if (Number(run.outputs['records-added']) !== served || run.outputs['failed-segments'] !== '0') {
      throw new Error(
        `Under the quota the run added ${run.outputs['records-added']} of ${served} records, with ${run.outputs['failed-segments']} failed windows.`
      )
    }
    const { accepted, throttled } = world.emulator.quota ?? { accepted: 0, throttled: 0 }
    const calls = accepted + throttled
    const boundMs = Math.floor((accepted - 1) / quota) * 60_000
    return {
      'quota (calls a minute, not told)': quota,
      'calls accepted': accepted,
      'calls throttled': throttled,
      'throttled share': `${round((100 * throttled) / calls, 1)} %`,
      'wall time (s)': round(run.wallMs / 1000, 1),
      'least possible (s)': round(boundMs / 1000),
      'wall / least possible': boundMs === 0 ? '-' : round(run.wallMs / boundMs, 2),
      'failed windows': Number(run.outputs['failed-segments'])
    }
  } finally {
    await world.close()
  }
}

/**
 * One day collected by 24 hourly runs, its events late as the emulator's default has them
 * (most within the hour, a sixth up to a day, a twentieth up to six days), then the run that
 * compacts the days once they settle: what the runs send to GitHub, what they cost, and how
 * much the repository grows, against the final files of every day they wrote.
 */
async function growthScenario(
  smoke: boolean,
  hourRecords: number,
  format: 'csv' | 'parquet'
): Promise<Record<string, string | number>> {
  const world = await startWorld({ emulator: { seed: 11 } })
  try {
    const day = benchDay()
    const runs = smoke ? 3 : 24
    world.emulator.generate({
      contentTypes: [TYPE],
      from: day,
      to: new Date(day.getTime() + runs * HOUR),
      blobsPerHour: 6,
      recordsPerBlob: Math.round(hourRecords / 6)
    })
    const hourly: Measured[] = []
    for (let hour = 0; hour < runs; hour++) {
      const window = { start: new Date(day.getTime() + hour * HOUR), end: new Date(day.getTime() + (hour + 1) * HOUR) }
      hourly.push(
        await measure(world, `growth-${format}-${hour + 1}`, {
          start: window.start.toISOString(),
          end: window.end.toISOString(),
          'content-types': TYPE,
          format,
          usage: 'false'
        })
      )
    }
    const git = (args: string[]) => exec('git', [`--git-dir=${world.github.repoPath}`, ...args])
    const packedMb = async (): Promise<number> => {
      await git(['gc', '--quiet', '--prune=now'])
      return Number(/size-pack: (\d+)/.exec((await git(['count-objects', '-v'])).stdout)?.[1] ?? NaN) / 1024
    }
    const beforeCompaction = await packedMb()
    // A run once the days have settled (the test hook settles a day as it ends): it compacts them.
    const last = {
      start: new Date(day.getTime() + (runs - 1) * HOUR).toISOString(),
      end: new Date(day.getTime() + runs * HOUR).toISOString()
    }
    const inputs = { ...last, 'content-types': TYPE, format, usage: 'false' }
    const compaction = await measure(world, `growth-${format}-compaction`, inputs, { [TEST_HOOKS.settleAfterMs]: '0' })
    const idle = await measure(world, `growth-${format}-nothing-new`, inputs)
    const repository = await packedMb()
    const manifest = JSON.parse((await world.github.readFile(BRANCH, 'manifest.json'))?.toString('utf8') ?? '{}') as {
      files: Record<string, { bytes: number; rows: number }>
    }
    const files = Object.values(manifest.files)
    const finalMb = files.reduce((sum, entry) => sum + entry.bytes, 0) / 1024 / 1024
    const rows = files.reduce((sum, entry) => sum + entry.rows, 0)
    const added = hourly.reduce((sum, run) => sum + Number(run.outputs['records-added']), 0)
    if (added !== rows) throw new Error(`The hourly runs added ${added} records; the branch holds ${rows}.`)
    // What the emulator served, not the action's own count: the distinct Ids of the records in
    // the blobs the hourly runs could list (created in their windows), whatever day they fall in.
    const listed = world.emulator
      .blobs(TYPE)
      .filter((blob) => blob.contentCreated >= day && blob.contentCreated.getTime() < day.getTime() + runs * HOUR)
    if (listed.some((blob) => blob.records.length === 0 && blob.body !== undefined))
      throw new Error('The growth blobs are published compact: their records cannot be counted.')
    const served = new Set(listed.flatMap((blob) => blob.records.map((record) => record['Id']))).size
    const counted = await countBranchRows(world, format)
    if (rows === 0 || rows !== served || counted.rows !== served || counted.ids !== served)
      throw new Error(
        `The branch holds ${rows} rows by its manifest, ${counted.rows} counted (${counted.ids} distinct Ids); the emulator served ${served} distinct records to the hourly runs.`
      )
    for (const [name, run] of [
      ['compaction', compaction],
      ['repeated', idle]
    ] as const)
      if (run.outputs['records-added'] !== '0')
        throw new Error(`The ${name} run added ${run.outputs['records-added']} records.`)
    const leftOver = await additionsOrKeysLeft(world)
    if (leftOver.length > 0)
      throw new Error(`The compaction left ${leftOver.length} additions or key files, such as ${leftOver[0]}.`)
    const sentMb = hourly.reduce((sum, run) => sum + run.sentBytes, 0) / 1024 / 1024
    const beyondFixedMs = hourly.reduce((sum, run) => sum + Math.max(0, run.cpuMs - idle.cpuMs), 0)
    const commits = Number((await git(['rev-list', '--count', BRANCH])).stdout.trim())
    return {
      'hourly runs': runs,
      commits,
      'records (all days the runs wrote)': rows,
      'final files (MB)': round(finalMb, 2),
      'sent to GitHub by the hourly runs (MB)': round(sentMb, 2),
      'sent by the hourly runs / final files': round(sentMb / finalMb, 2),
      'sent by the largest hourly run (MB)': round(Math.max(...hourly.map((run) => run.sentBytes)) / 1024 / 1024, 2),
      'sent by the compaction (MB)': round(compaction.sentBytes / 1024 / 1024, 2),
      'GitHub requests of an hourly run, most': Math.max(...hourly.map((run) => run.githubRequests)),
      'repository after git gc, before compaction (MB)': round(beforeCompaction, 2),
      'repository after git gc, after compaction (MB)': round(repository, 2),
      'repository / final files': round(repository / finalMb, 2),
      'hourly runs: CPU µs a record beyond a run adding nothing': round((beyondFixedMs * 1000) / rows, 1),
      'a run adding nothing: CPU (s)': round(idle.cpuMs / 1000, 2),
      'compaction: CPU (s), peak RSS (MB)': `${round(compaction.cpuMs / 1000, 2)}, ${round(compaction.peakRssMb)}`
    }
  } finally {
    await world.close()
  }
}

/**
 * Our CSV codec against the libraries it replaces, on the same records in this process. Ours
 * writes a record straight from the content blob's bytes (the scan included) and reads a day
 * file back as raw rows with their Id and time; csv-stringify writes the same fields, already
 * strings, and csv-parse reads the same file into fields. Each is the best of three passes.
 */
async function codecScenario(smoke: boolean): Promise<Record<string, string | number>> {
  const count = smoke ? 2_000 : 50_000
  const rng = new Rng(7)
  const kinds = KINDS_BY_CONTENT_TYPE[TYPE]
  const start = Date.parse('2026-11-20T00:00:00Z')
  const records = Array.from({ length: count }, (_, index) =>
    makeRecord(kinds[index % kinds.length]!, {
      rng,
      tenantId: 'bench',
      creationTime: new Date(start + index * 1_000),
      index
    })
  )
  const blob = Buffer.from(JSON.stringify(records), 'utf8')
  const keys = fieldKeys(SCANNED_COLUMNS)
  const fields = records.map((record) => {
    const json = JSON.stringify(record)
    const cells = SCANNED_COLUMNS.map((column) => {
      const value = record[column]
      return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value)
    })
    return [...cells, json]
  })
  // The best of three passes, in µs a record, with what the last pass returned.
  const best = async (work: () => number | Promise<number>): Promise<{ us: number; result: number }> => {
    let fastest = Infinity
    let result = 0
    for (let round = 0; round < 3; round++) {
      const started = performance.now()
      result = await work()
      fastest = Math.min(fastest, performance.now() - started)
    }
    return { us: (fastest * 1_000) / count, result }
  }
  const lines: Buffer[] = []
  const ours = await best(() => {
    lines.length = 0
    const content = { bytes: blob, records: scanRecords(blob, keys) }
    for (const row of blobRows(content, () => '2026-11-20T00:00:00Z', CSV_FORMAT.fromBlob))
      lines.push(Buffer.from(row.payload))
    return lines.length
  })
  const library = await best(() => stringify(fields).length)
  const file = Buffer.concat([CSV_HEADER, ...lines])
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < file.length; at += 256 * 1024) yield file.subarray(at, at + 256 * 1024)
  }
  const oursRead = await best(async () => {
    let rows = 0
    for await (const batch of readCsvRows(chunks(), 'bench.csv')) rows += batch.length
    return rows
  })
  const libraryRead = await best(() => (parse(file, { bom: true }) as string[][]).length - 1)
  if (oursRead.result !== count || libraryRead.result !== count) {
    throw new Error(`The codecs read ${oursRead.result} and ${libraryRead.result} rows of ${count}.`)
  }
  // The two writes did the same work: a row of every record, as many fields in each. Checked
  // once the passes are timed (csv-stringify's output written again), so that neither table
  // weighs on the heap while they run.
  const ourTable = parse(file, { bom: true }) as string[][]
  const libraryTable = parse(stringify(fields)) as string[][]
  const header = ourTable[0]?.length ?? 0
  if (ours.result !== count || ourTable.length - 1 !== count || libraryTable.length !== count)
    throw new Error(
      `Our codec wrote ${ours.result} rows (${ourTable.length - 1} read back), csv-stringify ${libraryTable.length}, of ${count} records.`
    )
  for (let index = 0; index < count; index++) {
    const oursWide = ourTable[index + 1]!.length
    const theirsWide = libraryTable[index]!.length
    if (oursWide !== header || theirsWide !== header)
      throw new Error(
        `Record ${index}: our row has ${oursWide} fields, csv-stringify's ${theirsWide}, the header ${header}.`
      )
  }
  return {
    records: count,
    'bytes a record': round(file.length / count),
    'write, ours (µs a record, scan of the blob included)': round(ours.us, 2),
    'write, csv-stringify (µs a record, fields given)': round(library.us, 2),
    'read back, ours (µs a record, Id and time)': round(oursRead.us, 2),
    'read back, csv-parse (µs a record, every field)': round(libraryRead.us, 2)
  }
}

function markdownTable(rows: Record<string, Record<string, string | number>>): string {
  const columns = Object.keys(rows)
  const names = [...new Set(Object.values(rows).flatMap((row) => Object.keys(row)))]
  const lines = [`| | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`]
  for (const name of names)
    lines.push(`| ${name} | ${columns.map((column) => String(rows[column]?.[name] ?? '')).join(' | ')} |`)
  return lines.join('\n')
}

/** Modelled minutes of the graph scenario per real minute: queries, polls and waits all run this much faster. */
const GRAPH_TIME_SCALE = 120

/**
 * A backfill of `days` with `source: auto`, as a team starting today runs it: the Management
 * API serves the last 7 days, Graph audit log queries the rest, each taking `queryMinutes`.
 * A run waits `graph-wait` (45 minutes) and commits; the hourly schedule (`source: auto`)
 * adopts what still runs and submits what waits, until the ledger holds nothing in flight.
 * The emulator's allowance is the documented baseline (10 queries at once, 200 a day).
 */
async function graphScenario(
  days: number,
  dayRecords: number,
  queryMinutes: number
): Promise<Record<string, string | number>> {
  const modelled = (ms: number) => String(Math.round(ms / GRAPH_TIME_SCALE))
  const world = await startWorld({
    emulator: { seed: 11, graphQueryDurationMs: Number(modelled(queryMinutes * 60_000)) }
  })
  try {
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
    const start = new Date(end.getTime() - days * DAY)
    world.emulator.generate({
      contentTypes: [TYPE],
      from: start,
      to: end,
      blobsPerHour: Math.max(1, Math.round(dayRecords / 24 / 6)),
      recordsPerBlob: [5, 7]
    })
    const inRange = new Set(
      world.emulator
        .servedRecords(TYPE)
        .filter((record) => Date.parse(`${String(record.CreationTime)}Z`) >= start.getTime())
        .map((record) => String(record.Id).toLowerCase())
    )
    const env = {
      [TEST_HOOKS.graphPollMs]: modelled(5_000),
      [TEST_HOOKS.graphRetryMs]: modelled(2_000),
      [TEST_HOOKS.graphWaitMs]: modelled(45 * 60_000),
      [TEST_HOOKS.retryBaseDelayMs]: '20'
    }
    const common = { source: 'auto', 'graph-url': world.emulator.graphUrl, 'content-types': TYPE, usage: 'false' }
    const runs: Measured[] = []
    const started = performance.now()
    runs.push(
      await measure(
        world,
        'graph-1',
        { ...common, start: start.toISOString(), end: end.toISOString(), segment: '24h' },
        env
      )
    )
    const inFlight = async (): Promise<number> => {
      const ledger = JSON.parse(
        (await world.github.readFile(BRANCH, 'state/ledger.json'))?.toString('utf8') ?? '{}'
      ) as {
        graph?: { pending?: unknown[]; queued?: unknown[]; failed?: unknown[] }
      }
      const graph = ledger.graph ?? {}
      return (graph.pending?.length ?? 0) + (graph.queued?.length ?? 0) + (graph.failed?.length ?? 0)
    }
    while ((await inFlight()) > 0) {
      if (runs.length >= 48) throw new Error('graph: 48 hourly runs and queries are still in flight.')
      // The rest of the hour until the next scheduled run.
      await new Promise((resolve) => setTimeout(resolve, Number(modelled(15 * 60_000))))
      runs.push(await measure(world, `graph-${runs.length + 1}`, common, env))
    }
    const wallMs = performance.now() - started
    // What every run costs whatever it harvests (starting Node, signing in, reading the branch).
    const idle = await measure(world, 'graph-idle', common, env)
    // Every record that happened since the start is on the branch once; the Management API also
    // brings older records of content it still serves (late events), which the branch keeps too.
    const { rows, ids } = await countBranchRows(world, 'csv')
    const onBranch = new Set((await world.branchRows()).map((entry) => entry.row.Id))
    const servedIds = new Set(world.emulator.servedRecords(TYPE).map((record) => String(record.Id).toLowerCase()))
    const missing = [...inRange].filter((id) => !onBranch.has(id)).length
    const foreign = [...onBranch].filter((id) => !servedIds.has(id ?? '')).length
    if (rows !== ids || missing > 0 || foreign > 0)
      throw new Error(
        `graph: ${rows} rows (${ids} Ids) on the branch; ${missing} of the ${inRange.size} records since the start missing, ${foreign} never served.`
      )
    const creates = world.emulator.requests.filter((entry) => entry.route === 'graph-create')
    const cpuMs = runs.reduce((sum, run) => sum + run.cpuMs, 0)
    return {
      'days: Graph (and 1–2 both) / Management API': `${days - 7} / 7`,
      'records on the branch': rows,
      'minutes a query takes': queryMinutes,
      'hourly runs until done': runs.length,
      'modelled hours': round((wallMs * GRAPH_TIME_SCALE) / HOUR, 1),
      'queries submitted': world.emulator.graphQueries.length,
      'submissions refused (429)': creates.filter((entry) => entry.status === 429).length,
      'CPU µs a record, all runs': round((cpuMs * 1000) / rows, 1),
      'CPU µs a record beyond a run adding nothing': round(((cpuMs - runs.length * idle.cpuMs) * 1000) / rows, 1),
      'a run adding nothing: CPU (s)': round(idle.cpuMs / 1000, 2),
      'CPU of the first run (s)': round((runs[0]?.cpuMs ?? 0) / 1000, 1),
      'peak RSS (MB)': round(Math.max(...runs.map((run) => run.peakRssMb)))
    }
  } finally {
    await world.close()
  }
}

/**
 * The Graph path's cost a record, as the Management API's is measured: one run harvesting a
 * large backfill (`source: graph`, `days` of `dayRecords`, queries of a minute and a wait long
 * enough for all), against a run adding nothing.
 */
async function graphOneRun(days: number, dayRecords: number): Promise<Record<string, string | number>> {
  const world = await startWorld({ emulator: { seed: 12, graphQueryDurationMs: 500 } })
  try {
    const end = new Date(Math.floor(Date.now() / DAY) * DAY - 10 * DAY)
    const start = new Date(end.getTime() - days * DAY)
    world.emulator.generate({
      contentTypes: [TYPE],
      from: start,
      to: end,
      blobsPerHour: Math.max(1, Math.round(dayRecords / 24 / 20)),
      recordsPerBlob: 20
    })
    const env = { [TEST_HOOKS.graphPollMs]: '100', [TEST_HOOKS.graphRetryMs]: '20' }
    const inputs = {
      source: 'graph',
      'graph-url': world.emulator.graphUrl,
      'content-types': TYPE,
      usage: 'false',
      'graph-queries': '4',
      start: start.toISOString(),
      end: end.toISOString()
    }
    const run = await measure(world, 'graph-one-run', inputs, env)
    const idle = await measure(world, 'graph-one-run-idle', inputs, env)
    const records = Number(run.outputs['records-added'])
    return {
      records,
      'CPU µs a record': round((run.cpuMs * 1000) / records, 1),
      'CPU µs a record beyond a run adding nothing': round(((run.cpuMs - idle.cpuMs) * 1000) / records, 1),
      'peak RSS (MB)': round(run.peakRssMb)
    }
  } finally {
    await world.close()
  }
}

/**
 * Two blobs of 2 GiB (one with its Content-Length, one chunked without) among ordinary ones:
 * the run refuses both (the first before reading, the second once past the cap), holds no
 * more than the cap, commits everything else, fails their windows and says so; the next run,
 * served the real blobs, recovers them.
 */
async function hugeBlobScenario(smoke: boolean): Promise<Record<string, string | number>> {
  const world = await startWorld({ emulator: { seed: 11 } })
  try {
    const bytes = smoke ? 300 * 1024 ** 2 : 2 * 1024 ** 3
    const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
    const start = new Date(end.getTime() - 6 * HOUR)
    world.emulator.generate({ contentTypes: [TYPE], from: start, to: end, blobsPerHour: 2, recordsPerBlob: 50 })
    const served = world.emulator.servedRecords(TYPE).length
    world.emulator.faults.add({ route: 'blob', kind: 'huge', bytes, sized: true, times: 1 })
    world.emulator.faults.add({ route: 'blob', kind: 'huge', bytes, sized: false, times: 1 })
    const inputs = { start: start.toISOString(), end: end.toISOString(), 'content-types': TYPE }
    const refused = await measure(world, 'huge-blob', inputs, {}, true)
    const added = Number(refused.outputs['records-added'])
    const failed = Number(refused.outputs['failed-segments'])
    if (refused.exitCode !== 1 || failed < 1 || added <= 0 || added >= served)
      throw new Error(
        `With two huge blobs the run exited ${refused.exitCode}, added ${added} of ${served} records and failed ${failed} windows.`
      )
    const recovered = await measure(world, 'huge-blob-recovered', inputs)
    const total = added + Number(recovered.outputs['records-added'])
    if (total !== served || recovered.outputs['failed-segments'] !== '0')
      throw new Error(`After the recovery run the branch holds ${total} of ${served} records.`)
    return {
      'blob size (each of 2)': smoke ? '300 MiB' : '2 GiB',
      'refused at (cap)': '256 MiB',
      'peak RSS of the run (MB)': round(refused.peakRssMb),
      'wall time (s)': round(refused.wallMs / 1000, 1),
      'records committed by that run': `${added} of ${served}`,
      'windows it failed (both blobs), recovered by the next run': failed,
      'records on the branch after the next run': `${total} of ${served}`
    }
  } finally {
    await world.close()
  }
}

async function main(): Promise<void> {
  const options = readOptions()
  await mkdir(outDir, { recursive: true })
  await writeFile(probePath, PROBE)
  const speed = machineSpeed()
  const machine =
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}; ` +
    `at the start a JavaScript byte loop ran at ${round(speed.loopNsPerByte, 2)} ns a byte and SHA-256 at ${round(speed.sha256NsPerByte, 2)} ns a byte`
  console.log(`Machine: ${machine}`)
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine,
    options: { ...options, scenarios: [...options.scenarios] }
  }
  const markdown: string[] = [`Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`]

  if (options.scenarios.has('day')) {
    const days: Record<string, Record<string, string | number>> = {}
    for (const format of options.formats) {
      for (const records of format === 'csv' ? options.dayRecords : options.parquetDayRecords) {
        const name = `${records.toLocaleString('en-US')} records, ${format === 'csv' ? 'CSV' : 'Parquet'}`
        console.log(`\nday: ${name}…`)
        days[name] = await dayScenario(records, format)
        console.table(days)
      }
    }
    report.day = days
    markdown.push(
      '',
      '### One day, collected by a backfill, a run adding its late events, then its compaction',
      '',
      markdownTable(days)
    )
  }
  if (options.scenarios.has('quota')) {
    console.log(`\nquota: a backfill under ${options.quota} calls a minute…`)
    const quota = { run: await quotaScenario(options.quota, options.smoke) }
    console.table(quota)
    report.quota = quota.run
    markdown.push('', '### A backfill under a quota the action is not told', '', markdownTable(quota))
  }
  if (options.scenarios.has('growth')) {
    console.log('\ngrowth: hourly runs of one day…')
    const growth: Record<string, Record<string, string | number>> = {}
    for (const format of options.formats)
      growth[format === 'csv' ? 'CSV' : 'Parquet'] = await growthScenario(
        options.smoke,
        options.growthHourRecords,
        format
      )
    console.table(growth)
    report.growth = growth
    markdown.push('', '### Repository growth for a day of hourly runs', '', markdownTable(growth))
  }
  if (options.scenarios.has('codecs')) {
    console.log('\ncodecs: our CSV codec against csv-stringify and csv-parse…')
    const codecs = { [TYPE]: await codecScenario(options.smoke) }
    console.table(codecs)
    report.codecs = codecs[TYPE]
    markdown.push('', '### The CSV codec against csv-stringify and csv-parse', '', markdownTable(codecs))
  }
  if (options.scenarios.has('graph')) {
    console.log(`\ngraph: a ${options.graphDays}-day backfill with source: auto…`)
    const graph = {
      [`${options.graphDays} days`]: await graphScenario(
        options.graphDays,
        options.graphDayRecords,
        options.graphQueryMinutes
      )
    }
    console.log('graph: one run harvesting a large backfill…')
    const oneRun = {
      [`${options.smoke ? 2 : 10} days, one run`]: await graphOneRun(
        options.smoke ? 2 : 10,
        options.smoke ? 200 : 20_000
      )
    }
    console.table(graph)
    console.table(oneRun)
    report.graph = { ...graph, ...oneRun }
    markdown.push('', '### Months of history through Graph audit log queries (source: auto)', '', markdownTable(graph))
    markdown.push('', '### One run harvesting a large Graph backfill', '', markdownTable(oneRun))
  }
  if (options.scenarios.has('huge-blob')) {
    console.log('\nhuge-blob: blobs of 2 GiB among ordinary ones…')
    const huge = { run: await hugeBlobScenario(options.smoke) }
    console.table(huge)
    report.hugeBlob = huge.run
    markdown.push('', '### Blobs far past any size: refused at bounded memory', '', markdownTable(huge))
  }
  await writeFile(resolve(process.cwd(), 'build', 'bench.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(resolve(process.cwd(), 'build', 'bench.md'), `${markdown.join('\n')}\n`)
  console.log('\nWritten to build/bench.json and build/bench.md.')
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
