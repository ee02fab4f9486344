/**
 * The action's entry point. The work runs in a worker thread, for one reason: it is the only
 * way an action can size V8's heap (a runner starts `node dist/index.js` with no flags).
 * V8 grows its young generation on a busy process whose objects mostly die young; a sync
 * allocates a short-lived string or row for every record, which took the default to its
 * maximum for no speed (docs/benchmarks.md, "Young generation of the worker"). The worker's
 * output, exit code and uncaught errors are the process's.
 */
import { isMainThread, Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { unsupportedNode } from './action/node-version.js'

/** The worker's young generation (two semi-spaces and their large objects), in MiB. */
const YOUNG_GENERATION_MB = 32

/** A line the runner shows as an error annotation, escaped as @actions/core escapes one. */
function errorCommand(text: string): string {
  return `::error::${text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`
}

const unsupported = isMainThread ? unsupportedNode(process.version) : undefined
if (unsupported) {
  // Before anything else loads: an older Node fails on the bundle with a TypeError that says nothing.
  process.stdout.write(errorCommand(unsupported))
  process.exitCode = 1
} else if (isMainThread) {
  const worker = new Worker(fileURLToPath(import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }
  })
  worker.on('error', (error) => {
    // run() reports every failure itself; this is a crash outside it.
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    process.stdout.write(errorCommand(text))
    process.exitCode = 1
  })
  worker.on('exit', (code) => {
    if (code !== 0) process.exitCode = code
  })
} else {
  // Loaded here only: the main thread needs none of it.
  const { run, actionsRuntime } = await import('./main.js')
  await run(actionsRuntime())
}
