/**
 * Runs once around the whole suite, in vitest's main process.
 *
 * - The end-to-end tests run the shipped dist/index.js: when it was not built from the
 *   sources as they are now (a source edit without `npm run build`), it is rebuilt first,
 *   so that no test passes or fails on a stale bundle.
 * - Every temp folder a test makes goes under one folder of this run (TMPDIR, inherited by
 *   the workers and the action's processes); at the end the suite fails if a test left one of
 *   its own behind (an emulator's TLS files, a fake repository), then removes the lot.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { distIsCurrent } from '../scripts/dist-stamp.js'

const exec = promisify(execFile)

/**
 * Prefixes of the temp folders this project makes: every test's and harness's (m365-…), the
 * emulator's TLS files (o365-emulator-…), a fake repository (fake-github-…), and the action's
 * own scratch folder (m365-audit-sync-…, under TMPDIR when a run has no RUNNER_TEMP). Each must
 * be removed by whoever made it. Anything else in TMPDIR is another tool's, left alone.
 */
const OWN_TEMP_PREFIXES = ['m365-', 'o365-', 'fake-github-']

export default async function setup(): Promise<() => void> {
  if (!distIsCurrent()) {
    console.log('dist/ is older than the sources: running npm run build before the tests.')
    await exec('npm', ['run', '--silent', 'build'], { maxBuffer: 64 * 1024 * 1024 })
    if (!distIsCurrent())
      throw new Error('npm run build did not bring dist/ up to date; run it by hand and look at its output.')
  }

  const suiteTemp = mkdtempSync(join(tmpdir(), 'm365-audit-sync-tests-'))
  process.env.TMPDIR = suiteTemp
  return () => {
    const leftovers = readdirSync(suiteTemp).filter((name) =>
      OWN_TEMP_PREFIXES.some((prefix) => name.startsWith(prefix))
    )
    rmSync(suiteTemp, { recursive: true, force: true })
    if (leftovers.length > 0) {
      throw new Error(
        `Tests left temp folders behind (now removed): ${leftovers.join(', ')}. A test must remove what it creates.`
      )
    }
  }
}
