/**
 * `npm run measure-import`: rows imported per second and the peak memory of importing Purview
 * exports, measured by hand (not a test). Writes the same two exports the end-to-end test
 * imports (120,000 rows by default, both layouts, records 8–12 days old, multi-line AuditData,
 * doubled quotes, a BOM, locale CreationDates) into a temp workspace, runs the shipped
 * dist/index.js with `import` and `content-types: none` against the test fakes, and reports
 * the run's wall time, CPU and peak RSS (the kernel's VmHWM of the action's process, read by a
 * probe loaded into it), then the same import again (every record already on the branch).
 *
 *   npm run measure-import -- --rows 120000
 *   MEASURE_NODE_OPTIONS=--cpu-prof npm run measure-import   (profiles land in the workspace's parent)
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { writePurviewExports } from '../test/e2e/purview-exports.js'
import { startWorld, TENANT } from '../test/e2e/world.js'

const PROBE = `import { readFileSync, writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'
if (isMainThread) process.on('exit', () => {
  const usage = process.resourceUsage()
  const peakKb = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? usage.maxRSS)
  writeFileSync(process.env.MEASURE_PROBE_FILE, JSON.stringify({ peakKb, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }))
})
`

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '120000' } } })
  const rows = Number(values.rows)
  const dir = await mkdtemp(join(tmpdir(), 'm365-measure-import-'))
  const world = await startWorld()
  try {
    const workspace = join(dir, 'workspace')
    await mkdir(join(workspace, 'exports'), { recursive: true })
    const written = await writePurviewExports(workspace, {
      now: new Date(),
      tenantId: TENANT,
      rows,
      shared: Math.floor(rows / 40),
      extra: [],
      minDays: 8,
      maxDays: 12,
      seed: 7
    })
    let bytes = 0
    for (const file of written.files) bytes += (await stat(join(workspace, file.path))).size
    const probe = join(dir, 'probe.mjs')
    await writeFile(probe, PROBE)
    console.log(
      `${rows} rows (${written.records.size} distinct records, ${(bytes / 1048576).toFixed(1)} MiB of CSV) in ${written.files.length} exports`
    )
    for (const name of ['first import', 'same import again']) {
      const probeFile = join(dir, `${name}.json`)
      const started = performance.now()
      const result = await world.run(
        { import: 'exports/*.csv', 'content-types': 'none' },
        {
          GITHUB_WORKSPACE: workspace,
          NODE_OPTIONS: `--import=${pathToFileURL(probe).href} ${process.env.MEASURE_NODE_OPTIONS ?? ''}`,
          MEASURE_PROBE_FILE: probeFile
        },
        30 * 60_000
      )
      const seconds = (performance.now() - started) / 1000
      if (result.exitCode !== 0) throw new Error(`The ${name} failed:\n${result.visibleLog}`)
      const measured = JSON.parse(await readFile(probeFile, 'utf8')) as { peakKb: number; cpuMs: number }
      console.log(
        `${name}: ${seconds.toFixed(1)} s wall, ${Math.round(rows / seconds)} rows/s, CPU ${(measured.cpuMs / 1000).toFixed(1)} s, ` +
          `peak RSS ${(measured.peakKb / 1024).toFixed(0)} MiB; records added ${result.outputs['records-added']}, bad rows ${result.outputs['bad-rows']}`
      )
    }
  } finally {
    await world.close()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
