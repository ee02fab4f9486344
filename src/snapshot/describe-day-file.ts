import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { BranchFiles } from '../branch/branch-files.js'
import type { Manifest, ManifestEntry } from '../branch/manifest.js'
import { parseDayPath } from '../branch/paths.js'
import { snapshotFormat } from './format/formats.js'

/**
 * Gives every day file of the branch that the manifest does not describe its entry, read from
 * the file itself: after a manifest was broken, hand-edited or lost, it is rebuilt from the
 * tree rather than replaced by one that forgets every day the run did not touch. Files the
 * commit removes are skipped; a file that does not read is left without an entry (the day
 * fails when it is merged, and says why).
 */
export async function describeUnlistedDayFiles(
  files: BranchFiles,
  manifest: Manifest,
  removed: (path: string) => boolean,
  scratchDir: string
): Promise<void> {
  for (const path of [...files.paths()].sort()) {
    const parsed = parseDayPath(path)
    if (!parsed || manifest.files[path] || removed(path)) continue
    const entry = await describeDayFile(files, path, parsed.format, scratchDir).catch(() => undefined)
    if (!entry) continue
    manifest.files[path] = entry
  }
}

async function describeDayFile(
  files: BranchFiles,
  path: string,
  formatName: ManifestEntry['format'] & string,
  scratchDir: string
): Promise<ManifestEntry> {
  const hash = createHash('sha256')
  let bytes = 0
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of files.stream(path)) {
      hash.update(chunk)
      bytes += chunk.byteLength
      yield chunk
    }
  }
  let rows = 0
  let first = ''
  let last = ''
  const format = snapshotFormat(formatName)
  for await (const batch of format.readRows(hashed(), path, join(scratchDir, 'describe-scratch'))) {
    for (const row of batch) {
      rows++
      if (first === '' || row.time < first) first = row.time
      if (row.time > last) last = row.time
    }
  }
  return {
    format: formatName,
    rows,
    bytes,
    sha256: hash.digest('hex'),
    firstCreationTime: first,
    lastCreationTime: last
  }
}
