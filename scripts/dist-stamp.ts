/**
 * Ties dist/ to the sources it was built from. `npm run build` ends by writing
 * dist/sources.sha256, a hash of everything the bundle is made from (src/, assembly/, the
 * package files and the TypeScript config); the test suite's global setup compares it with
 * the sources before any test runs the bundle, so `npm test` after a source edit never
 * tests a stale dist/.
 *
 * Runs straight under Node 24 (type stripping), hence only `node:` imports and no TypeScript
 * beyond type annotations.
 *
 *   node scripts/dist-stamp.ts          write the stamp (the last step of npm run build)
 *   node scripts/dist-stamp.ts --check  exit 1 when dist/ is older than the sources
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
export const STAMP_PATH = join(ROOT, 'dist', 'sources.sha256')
const INPUTS = ['src', 'assembly', 'package.json', 'package-lock.json', 'tsconfig.json']

function filesUnder(path: string): string[] {
  const full = join(ROOT, path)
  try {
    return readdirSync(full, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
  } catch {
    return [path]
  }
}

/** The hash of the bundle's inputs: paths and bytes, in a fixed order. */
export function sourcesHash(): string {
  const hash = createHash('sha256')
  const paths = INPUTS.flatMap(filesUnder)
    .map((path) => path.split('\\').join('/'))
    .sort()
  for (const path of paths)
    hash
      .update(`${path}\0`)
      .update(readFileSync(join(ROOT, path)))
      .update('\0')
  return hash.digest('hex')
}

/** Whether dist/ was built from the sources as they are now. */
export function distIsCurrent(): boolean {
  try {
    return readFileSync(STAMP_PATH, 'utf8').trim() === sourcesHash()
  } catch {
    return false
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (process.argv.includes('--check')) {
    if (!distIsCurrent()) {
      console.error('dist/ was not built from the current sources: run npm run build.')
      process.exitCode = 1
    }
  } else {
    writeFileSync(STAMP_PATH, `${sourcesHash()}\n`)
  }
}
