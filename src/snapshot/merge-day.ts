import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import type { Manifest, ManifestEntry } from '../branch/manifest.js'
import { dayFilePaths, findDayFiles } from '../branch/paths.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import { otherFormats } from './format/formats.js'
import { convertPayload, type SnapshotFormat, type WrittenPart } from './format/snapshot-format.js'
import { mergeSorted } from './sorted-merge.js'

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
 * - a part that comes out the same as the branch's is not written again;
 * - a day found in another format is read, converted and written in `format`, its old files
 *   removed.
 */
export async function mergeDay(input: {
  type: ContentType
  day: string
  branch: BranchFiles
  manifest: Manifest
  incoming: AsyncIterable<KeyedRow[]>
  /** The earliest time among the new rows. */
  firstIncomingTime: string
  /** A fresh temp folder for the parts. */
  dir: string
  maxPartBytes: number
  /** The format to write. */
  format: SnapshotFormat
  /**
   * Shown every row of the day as it stands after the merge, once each, when the merge adds
   * rows (for files derived from the whole day, see day-observer.ts): the merged rows as they
   * are written, then the rows of the parts kept as they are, read from the branch for it.
   * A row's bytes are only good during the call.
   */
  observe?: (row: KeyedRow) => void
  /** Show `observe` the whole day even when the merge adds nothing. */
  observeUnchanged?: boolean
  /** Told before a file of the branch is read back (the run's memory policy may change then). */
  onReadBack?: (format: SnapshotFormat) => void
}): Promise<DayMerge> {
  const { branch, manifest, format } = input
  const existing = findDayFiles(branch.paths(), input.type, input.day, format.name)
  const converted = otherFormats(format).map((other) => ({
    other,
    paths: findDayFiles(branch.paths(), input.type, input.day, other.name)
  }))
  const keep = keptPrefix(existing, branch, manifest, input.firstIncomingTime, format)
  const rewritten = existing.slice(keep)

  await mkdir(input.dir, { recursive: true })
  const writer = format.partWriter(input.dir, input.maxPartBytes)
  const read = (path: string, from: SnapshotFormat): AsyncIterable<KeyedRow[]> => {
    input.onReadBack?.(from)
    return from.readRows(branch.stream(path), path, join(input.dir, `existing-${basename(path)}`))
  }
  let added = 0
  // Each source is sorted (a day's parts follow one another); copies in an earlier source win.
  const sources = [
    concat(rewritten.map((path) => () => read(path, format))),
    ...converted.map(({ other, paths }) =>
      convertRows(concat(paths.map((path) => () => read(path, other))), other, format)
    ),
    input.incoming
  ]
  const incomingSource = sources.length - 1
  const { observe } = input
  for await (const batch of mergeSorted(sources, { onKept: (source) => source === incomingSource && added++ })) {
    for (const row of batch) {
      writer.write(row)
      observe?.(row)
    }
  }
  const written = writer.finish()
  if (observe && (added > 0 || input.observeUnchanged)) {
    for await (const batch of concat(existing.slice(0, keep).map((path) => () => read(path, format))))
      for (const row of batch) observe(row)
  }
  const previous = [...existing, ...converted.flatMap(({ paths }) => paths)]
  if (added === 0) return { added, paths: previous, files: new Map(), manifest: new Map() }
  return { added, ...dayChanges(input, written, keep, previous) }
}

/**
 * The files and manifest entries a merge changes. Kept parts stay where they are (keptPrefix
 * makes sure they are numbered 1, 2, …); the parts written take the next numbers on; a file
 * of the day that is no longer among them is removed.
 */
function dayChanges(
  input: { type: ContentType; day: string; branch: BranchFiles; manifest: Manifest; format: SnapshotFormat },
  written: readonly WrittenPart[],
  keep: number,
  previous: readonly string[]
): Omit<DayMerge, 'added'> {
  const { branch, manifest, format } = input
  const paths = dayFilePaths(input.type, input.day, format.name, keep + written.length)
  const changes: Omit<DayMerge, 'added'> = { paths, files: new Map(), manifest: new Map() }
  written.forEach((part, index) => {
    const path = paths[keep + index]!
    changes.manifest.set(path, describePart(part, format))
    if (!sameContent(path, part, branch, manifest)) changes.files.set(path, { file: part.file, size: part.bytes })
  })
  for (const stale of previous.filter((path) => !paths.includes(path))) {
    changes.files.set(stale, null)
    changes.manifest.set(stale, null)
  }
  return changes
}

/**
 * How many leading parts no new row can fall into: parts 1, 2, … (numbered without a gap),
 * each ending before the first new row, and the manifest's word for it trusted (an entry
 * whose size matches the blob). The last part is always rewritten: new rows may fill it.
 */
function keptPrefix(
  existing: readonly string[],
  branch: BranchFiles,
  manifest: Manifest,
  firstIncomingTime: string,
  format: SnapshotFormat
): number {
  let keep = 0
  for (const path of existing.slice(0, -1)) {
    const entry = manifest.files[path]
    if (
      !path.endsWith(`.${keep + 1}.${format.name}`) ||
      !entry ||
      entry.bytes !== branch.size(path) ||
      !(entry.lastCreationTime < firstIncomingTime)
    )
      break
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
  return (
    entry !== undefined &&
    entry.sha256 === part.sha256 &&
    entry.bytes === part.bytes &&
    branch.size(path) === part.bytes
  )
}

function describePart(part: WrittenPart, format: SnapshotFormat): ManifestEntry {
  return {
    format: format.name,
    rows: part.rows,
    bytes: part.bytes,
    sha256: part.sha256,
    firstCreationTime: part.firstCreationTime,
    lastCreationTime: part.lastCreationTime
  }
}

async function* convertRows(
  source: AsyncIterable<KeyedRow[]>,
  from: SnapshotFormat,
  to: SnapshotFormat
): AsyncGenerator<KeyedRow[]> {
  for await (const batch of source)
    yield batch.map((row) => ({ ...row, payload: convertPayload(row.payload, from, to) }))
}

/** The sources one after another, each opened only when its turn comes. */
async function* concat(sources: readonly (() => AsyncIterable<KeyedRow[]>)[]): AsyncGenerator<KeyedRow[]> {
  for (const source of sources) yield* source()
}
