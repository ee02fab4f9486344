import { mkdir } from 'node:fs/promises'
import type { ContentType } from '../config/content-types.js'
import type { BranchFiles, FileContent } from '../github/commit-files.js'
import type { Manifest, ManifestEntry } from '../state/manifest.js'
import { CSV_HEADER, readCsvRows } from './csv-codec.js'
import { PartWriter, type WrittenPart } from './part-writer.js'
import { dayFilePaths, findDayFiles } from './paths.js'
import { mergeSorted } from './sorted-merge.js'
import type { SpooledRow } from './spooled-row.js'

/** What merging new rows into one day's files changes. */
export interface DayMerge {
  /** Rows the day did not hold before. */
  added: number
  /** The day's files after the merge, in part order. */
  paths: string[]
  /** Files to write (or remove, null) for the commit. */
  files: Map<string, FileContent | null>
  /** Manifest entries to set (or remove, null). */
  manifest: Map<string, ManifestEntry | null>
}

/**
 * Merges a day's new rows (sorted, one per key) into its files on the branch, streaming:
 *
 * - parts that end before the first new row are kept as they are, unread (the manifest
 *   knows each part's time range; late events mostly land at the end of a day);
 * - the other parts are streamed from the branch and merged with the new rows, dropping
 *   copies of rows the branch already holds, into new parts cut at `maxPartBytes`;
 * - a part that comes out the same as the branch's is not written again.
 */
export async function mergeDay(input: {
  type: ContentType
  day: string
  branch: BranchFiles
  manifest: Manifest
  incoming: AsyncIterable<SpooledRow[]>
  /** The earliest time among the new rows. */
  firstIncomingTime: string
  /** A fresh temp folder for the parts. */
  dir: string
  maxPartBytes: number
}): Promise<DayMerge> {
  const { branch, manifest } = input
  const existing = findDayFiles(branch.paths(), input.type, input.day)
  const keep = keptPrefix(existing, branch, manifest, input.firstIncomingTime)
  const rewritten = existing.slice(keep)

  await mkdir(input.dir, { recursive: true })
  const writer = new PartWriter(input.dir, CSV_HEADER, input.maxPartBytes)
  let added = 0
  const sources = [concat(rewritten.map((path) => readCsvRows(branch.stream(path), path))), input.incoming]
  for await (const batch of mergeSorted(sources, { onKept: (source) => source === 1 && added++ })) {
    for (const row of batch) writer.write(row)
  }
  const written = writer.finish()
  const merge: DayMerge = { added, paths: existing, files: new Map(), manifest: new Map() }
  if (added === 0) return merge

  // Kept parts stay where they are (keptPrefix makes sure they are numbered 1, 2, …); the
  // rest are written anew from the next number on.
  const paths = dayFilePaths(input.type, input.day, keep + written.length)
  merge.paths = paths
  written.forEach((part, index) => {
    const path = paths[keep + index]!
    merge.manifest.set(path, describePart(part))
    if (!sameContent(path, part, branch, manifest)) merge.files.set(path, { file: part.file, size: part.bytes })
  })
  for (const stale of existing.filter((path) => !paths.includes(path))) {
    merge.files.set(stale, null)
    merge.manifest.set(stale, null)
  }
  return merge
}

/**
 * How many leading parts no new row can fall into: parts 1, 2, … (numbered without a gap),
 * each ending before the first new row, and the manifest's word for it trusted (an entry
 * whose size matches the blob). The last part is always rewritten: new rows may fill it.
 */
function keptPrefix(existing: readonly string[], branch: BranchFiles, manifest: Manifest, firstIncomingTime: string): number {
  let keep = 0
  for (const path of existing.slice(0, -1)) {
    const entry = manifest.files[path]
    if (!path.endsWith(`.${keep + 1}.csv`) || !entry || entry.bytes !== branch.size(path) || !(entry.lastCreationTime < firstIncomingTime)) break
    keep++
  }
  return keep
}

/**
 * Whether the branch already holds this part at `path`: the manifest's sha256 for it matches,
 * and so does the size of the file the branch has there (a file changed behind the
 * manifest's back is written again).
 */
function sameContent(path: string, part: WrittenPart, branch: BranchFiles, manifest: Manifest): boolean {
  const entry = manifest.files[path]
  return entry !== undefined && entry.sha256 === part.sha256 && entry.bytes === part.bytes && branch.size(path) === part.bytes
}

function describePart(part: WrittenPart): ManifestEntry {
  return {
    rows: part.rows,
    bytes: part.bytes,
    sha256: part.sha256,
    firstCreationTime: part.firstCreationTime,
    lastCreationTime: part.lastCreationTime
  }
}

async function* concat(sources: readonly AsyncIterable<SpooledRow[]>[]): AsyncGenerator<SpooledRow[]> {
  for (const source of sources) yield* source
}
