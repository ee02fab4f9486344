import { mkdir, open } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ContentType } from '../config/content-types.js'
import type { BranchFiles, FileContent } from '../github/commit-files.js'
import type { Manifest, ManifestEntry, SnapshotFormat } from '../state/manifest.js'
import { limitHeapGrowthForMerge } from '../util/heap-growth.js'
import { CSV_HEADER, readCsvRows } from './csv-codec.js'
import { csvLineToFrame, frameToCsvLine } from './field-frame.js'
import { ParquetPartWriter, readParquetRows } from './parquet-codec.js'
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
  /** The format to write; a day found in the other one is converted, its old files removed. */
  format: SnapshotFormat
  /**
   * Shown every row of the day as it stands after the merge, once each, when the merge adds
   * rows (for figures derived from the whole day, such as Power Apps usage): the merged rows
   * as they are written, then the rows of the parts kept as they are, read from the branch
   * for it. A row's bytes are only good during the call.
   */
  observe?: (row: SpooledRow) => void
  /** Show `observe` the whole day even when the merge adds nothing (a figure the day lacks). */
  observeUnchanged?: boolean
}): Promise<DayMerge> {
  const { branch, manifest, format } = input
  const other: SnapshotFormat = format === 'csv' ? 'parquet' : 'csv'
  const existing = findDayFiles(branch.paths(), input.type, input.day, format)
  const converted = findDayFiles(branch.paths(), input.type, input.day, other)
  const keep = keptPrefix(existing, branch, manifest, input.firstIncomingTime, format)
  const rewritten = existing.slice(keep)

  await mkdir(input.dir, { recursive: true })
  const writer = format === 'csv' ? new PartWriter(input.dir, CSV_HEADER, input.maxPartBytes) : new ParquetPartWriter(input.dir, input.maxPartBytes)
  const read = (path: string): AsyncIterable<SpooledRow[]> =>
    path.endsWith('.parquet') ? readParquetFromBranch(branch, path, join(input.dir, `existing-${basename(path)}`)) : readCsvRows(branch.stream(path), path)
  let added = 0
  // Each source is sorted (a day's parts follow one another); copies in an earlier source win.
  // Rows reach the writer in its format's payload (see row-payload.ts): those of files in
  // the other format are converted.
  const convert = format === 'csv' ? frameToCsvLine : csvLineToFrame
  const sources = [concat(rewritten.map(read)), convertPayloads(concat(converted.map(read)), convert), input.incoming]
  const { observe } = input
  for await (const batch of mergeSorted(sources, { onKept: (source) => source === 2 && added++ })) {
    for (const row of batch) {
      writer.write(row)
      observe?.(row)
    }
  }
  const written = writer.finish()
  if (observe && (added > 0 || input.observeUnchanged)) {
    for await (const batch of concat(existing.slice(0, keep).map(read))) for (const row of batch) observe(row)
  }
  const merge: DayMerge = { added, paths: [...existing, ...converted], files: new Map(), manifest: new Map() }
  if (added === 0) return merge

  // Kept parts stay where they are (keptPrefix makes sure they are numbered 1, 2, …); the
  // rest are written anew from the next number on.
  const paths = dayFilePaths(input.type, input.day, keep + written.length, format)
  merge.paths = paths
  written.forEach((part, index) => {
    const path = paths[keep + index]!
    merge.manifest.set(path, describePart(part, format))
    if (!sameContent(path, part, branch, manifest)) merge.files.set(path, { file: part.file, size: part.bytes })
  })
  for (const stale of [...existing, ...converted].filter((path) => !paths.includes(path))) {
    merge.files.set(stale, null)
    merge.manifest.set(stale, null)
  }
  return merge
}

/** A Parquet file of the branch, downloaded to `file` (Parquet is read from its end), as rows. */
async function* readParquetFromBranch(branch: BranchFiles, path: string, file: string): AsyncGenerator<SpooledRow[]> {
  limitHeapGrowthForMerge()
  const handle = await open(file, 'w')
  try {
    for await (const chunk of branch.stream(path)) await handle.write(chunk)
  } finally {
    await handle.close()
  }
  yield* readParquetRows(file, path)
}

/**
 * How many leading parts no new row can fall into: parts 1, 2, … (numbered without a gap),
 * each ending before the first new row, and the manifest's word for it trusted (an entry
 * whose size matches the blob). The last part is always rewritten: new rows may fill it.
 */
function keptPrefix(existing: readonly string[], branch: BranchFiles, manifest: Manifest, firstIncomingTime: string, format: SnapshotFormat): number {
  let keep = 0
  for (const path of existing.slice(0, -1)) {
    const entry = manifest.files[path]
    if (!path.endsWith(`.${keep + 1}.${format}`) || !entry || entry.bytes !== branch.size(path) || !(entry.lastCreationTime < firstIncomingTime)) break
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

function describePart(part: WrittenPart, format: SnapshotFormat): ManifestEntry {
  return {
    format,
    rows: part.rows,
    bytes: part.bytes,
    sha256: part.sha256,
    firstCreationTime: part.firstCreationTime,
    lastCreationTime: part.lastCreationTime
  }
}

async function* convertPayloads(source: AsyncIterable<SpooledRow[]>, convert: (payload: Buffer) => Buffer): AsyncGenerator<SpooledRow[]> {
  for await (const batch of source) yield batch.map((row) => ({ ...row, payload: convert(row.payload) }))
}

async function* concat(sources: readonly AsyncIterable<SpooledRow[]>[]): AsyncGenerator<SpooledRow[]> {
  for (const source of sources) yield* source
}
