import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import { DayKeys, KeyLog, recordKey } from '../branch/day-keys.js'
import type { Manifest, ManifestEntry } from '../branch/manifest.js'
import { additionNumber, additionPath, dayFilePaths, findDayFilesByFormat, keyFilePath } from '../branch/paths.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import { otherFormats } from './format/formats.js'
import { convertPayload, type SnapshotFormat, type WrittenPart } from './format/snapshot-format.js'
import { mergeSorted } from './sorted-merge.js'
import { Spool } from './spool.js'
import { DayContentError } from './day-content-error.js'

/** What adding rows to a day, or compacting it, changes. */
export interface DayMerge {
  /** Rows the day did not hold before. */
  added: number
  /** The day files it wrote: the additions written, or the day's parts after a compaction. */
  paths: string[]
  /** Files to write (or remove, null) for the commit: data files and their key files. */
  files: Map<string, FileContent | null>
  /** Manifest entries to set (or remove, null). */
  manifest: Map<string, ManifestEntry | null>
}

/** A day of one content type as the branch holds it, in the format the run writes. */
export interface DayFiles {
  /** Its canonical files: the single file, or parts 1, 2, … */
  parts: string[]
  /** Rows later runs added, one file each, in the order they came. */
  additions: string[]
  /** Files of the day in another format, with that format. */
  converted: { format: SnapshotFormat; paths: string[] }[]
  /** Whether every file of the day has its key file (see day-keys.ts). */
  keyed: boolean
}

/** Finds a day's files on the branch. */
export function dayFiles(branch: BranchFiles, type: ContentType, day: string, format: SnapshotFormat): DayFiles {
  const byFormat = findDayFilesByFormat(branch.paths(), type, day)
  const { parts = [], additions = [] } = byFormat.get(format.name) ?? {}
  const converted = otherFormats(format)
    .map((other) => {
      const files = byFormat.get(other.name)
      return { format: other, paths: files ? [...files.parts, ...files.additions] : [] }
    })
    .filter((entry) => entry.paths.length > 0)
  const keyed = [...parts, ...additions].every((path) => branch.has(keyFilePath(path)))
  return { parts, additions, converted, keyed }
}

/** What merging one day needs. */
export interface DayInput {
  type: ContentType
  day: string
  branch: BranchFiles
  manifest: Manifest
  files: DayFiles
  /** The new rows, sorted, one per key, and the earliest time among them; none when a settled day is compacted. */
  incoming?: { rows: AsyncIterable<KeyedRow[]>; firstTime: string } | undefined
  /** A fresh temp folder for the files written. */
  dir: string
  maxPartBytes: number
  /** The format to write. */
  format: SnapshotFormat
  /**
   * Shown the rows of the day, once each, as they are written (a row's bytes are only good
   * during the call): a compaction shows every row of the day; an addition shows its new
   * rows, and the day's other rows too when `observeExisting` says so.
   */
  observe?: ((row: KeyedRow) => void) | undefined
  observeExisting?: boolean | undefined
  /** Told before a day file of the branch is read back (the run's memory policy may change then). */
  onReadBack?: ((format: SnapshotFormat) => void) | undefined
  /** A compaction writes every part again, none kept as it is (their key files may be broken). */
  rewriteAll?: boolean | undefined
}

/**
 * Adds a day's new rows beside its files, never reading or rewriting them: the day's key
 * files say which rows it holds already, and the rows it does not hold become additions,
 * cut as parts are (each sorted within itself), each with its key file.
 */
export async function addToDay(input: DayInput & Required<Pick<DayInput, 'incoming'>>): Promise<DayMerge> {
  const { branch, files, format } = input
  const existing = [...files.parts, ...files.additions]
  const keys = readDayKeys(await branch.readMany(existing.map(keyFilePath)))
  await mkdir(input.dir, { recursive: true })
  const writer = format.partWriter(input.dir, input.maxPartBytes, 'additions')
  const log = new KeyLog()
  let added = 0
  for await (const batch of input.incoming.rows) {
    for (const row of batch) {
      const key = recordKey(row.id)
      if (keys.has(key)) continue
      writer.write(row)
      log.add(key)
      input.observe?.(row)
      added++
    }
  }
  const written = writer.finish()
  if (input.observe && input.observeExisting) {
    for await (const batch of readFiles(input, existing, format)) for (const row of batch) input.observe(row)
  }
  if (added === 0) return { added, paths: [], files: new Map(), manifest: new Map() }
  const next = (files.additions.map(additionNumber).at(-1) ?? 0) + 1
  const paths = written.map((_, index) => additionPath(input.type, input.day, format.name, next + index))
  const merge: DayMerge = { added, paths, files: new Map(), manifest: new Map() }
  const keyFiles = log.files(written.map((part) => part.rows))
  written.forEach((part, index) => {
    merge.files.set(paths[index]!, { file: part.file, size: part.bytes })
    merge.files.set(keyFilePath(paths[index]!), keyFiles[index]!)
    merge.manifest.set(paths[index]!, describePart(part, format))
  })
  return merge
}

/**
 * Merges a day into its canonical layout, streaming: its parts, its additions, files of
 * another format (converted) and its new rows become parts sorted by CreationTime then Id,
 * cut at `maxPartBytes`, as one backfill of the same rows writes them. Parts that end
 * before the first row to merge are kept as they are, unread (the manifest knows each part's
 * time range); a part that comes out the same is not written again; additions and the
 * files of another format are removed. With `keys` (a day not settled yet) every part gets
 * its key file, so that later runs can add to the day; without, the day's key files go.
 */
export async function compactDay(input: DayInput & { keys: boolean }): Promise<DayMerge> {
  const { branch, manifest, format, files } = input
  // Rows of additions and of another format may fall anywhere in the day: none kept for the
  // latter, parts up to the earliest new or added row for the former.
  const starts = [
    ...(input.incoming ? [input.incoming.firstTime] : []),
    ...files.additions.map((path) => manifest.files[path]?.firstCreationTime ?? '')
  ]
  const firstTime =
    starts.length === 0 || starts.includes('')
      ? ''
      : starts.reduce((earliest, time) => (time < earliest ? time : earliest))
  const keep = files.converted.length > 0 || input.rewriteAll ? 0 : keptPrefix(files.parts, input, firstTime)
  await mkdir(input.dir, { recursive: true })
  const writer = format.partWriter(input.dir, input.maxPartBytes)
  const log = new KeyLog()
  let added = 0
  const additions = await spoolAdditions(input)
  // Each source is sorted; copies in an earlier source win: what the day holds over new rows.
  const sources = [
    readFiles(input, files.parts.slice(keep), format),
    additions.read(input.type, input.day),
    ...files.converted.map(({ format: other, paths }) => convertRows(readFiles(input, paths, other), other, format)),
    ...(input.incoming ? [input.incoming.rows] : [])
  ]
  const incomingSource = input.incoming ? sources.length - 1 : -1
  try {
    for await (const batch of mergeSorted(sources, { onKept: (source) => source === incomingSource && added++ })) {
      for (const row of batch) {
        writer.write(row)
        if (input.keys) log.add(recordKey(row.id))
        input.observe?.(row)
      }
    }
  } finally {
    await additions.remove()
  }
  const written = writer.finish()
  if (input.observe)
    for await (const batch of readFiles(input, files.parts.slice(0, keep), format))
      for (const row of batch) input.observe(row)
  const previous = [...files.parts, ...files.additions, ...files.converted.flatMap(({ paths }) => paths)]
  const reshaped = files.additions.length > 0 || files.converted.length > 0
  const keysChange = input.keys ? !files.keyed : previous.some((path) => branch.has(keyFilePath(path)))
  if (added === 0 && !reshaped && !keysChange) return { added, paths: previous, files: new Map(), manifest: new Map() }
  return { added, ...dayChanges(input, written, keep, previous, input.keys ? log : undefined) }
}

/**
 * The files, key files and manifest entries a compaction changes. Kept parts stay where they
 * are (keptPrefix makes sure they are numbered 1, 2, …); the parts written take the next
 * numbers on; a file of the day that is no longer among them is removed, with its key file.
 */
function dayChanges(
  input: DayInput & { keys: boolean },
  written: readonly WrittenPart[],
  keep: number,
  previous: readonly string[],
  log: KeyLog | undefined
): Omit<DayMerge, 'added'> {
  const { branch, manifest, format } = input
  const paths = dayFilePaths(input.type, input.day, format.name, keep + written.length)
  const changes: Omit<DayMerge, 'added'> = { paths, files: new Map(), manifest: new Map() }
  const keyFiles = log?.files(written.map((part) => part.rows))
  written.forEach((part, index) => {
    const path = paths[keep + index]!
    changes.manifest.set(path, describePart(part, format))
    if (!sameContent(path, part, branch, manifest)) changes.files.set(path, { file: part.file, size: part.bytes })
    if (keyFiles) changes.files.set(keyFilePath(path), keyFiles[index]!)
  })
  for (const stale of previous.filter((path) => !paths.includes(path))) {
    changes.files.set(stale, null)
    changes.manifest.set(stale, null)
  }
  // Key files of files gone, and of every file of a day that settles.
  for (const path of previous) {
    if (branch.has(keyFilePath(path)) && (!input.keys || !paths.includes(path)))
      changes.files.set(keyFilePath(path), null)
  }
  return changes
}

/** The keys of a day's files; a key file that does not read is the day's fault, named. */
function readDayKeys(keyFiles: ReadonlyMap<string, Buffer>): DayKeys {
  try {
    return new DayKeys([...keyFiles.values()])
  } catch (error) {
    const bad = [...keyFiles].find(([, bytes]) => {
      try {
        new DayKeys([bytes])
        return false
      } catch {
        return true
      }
    })
    throw new DayContentError(`${bad?.[0] ?? 'a key file'} on the data branch: ${(error as Error).message}`, bad?.[0], {
      cause: error
    })
  }
}

/**
 * The rows of some files of the day, one file after the other, each opened when its turn
 * comes and downloaded as it is read. A file whose bytes arrive but do not read is the day's
 * fault (a DayContentError naming it); a download that breaks off is the run's, and is
 * thrown as it is.
 */
async function* readFiles(
  input: DayInput,
  paths: readonly string[],
  format: SnapshotFormat
): AsyncGenerator<KeyedRow[]> {
  for (const path of paths) {
    input.onReadBack?.(format)
    yield* readBranchFile(input.branch, path, format, join(input.dir, `existing-${basename(path)}`))
  }
}

/**
 * A file of the branch read back as rows of `format`. Bytes that arrive but do not read are
 * the file's fault (a DayContentError naming it); a download that breaks off, or the
 * runner's own disk (an error with a system code), is the run's, thrown as it is.
 */
export async function* readBranchFile(
  branch: BranchFiles,
  path: string,
  format: SnapshotFormat,
  scratchFile: string
): AsyncGenerator<KeyedRow[]> {
  const download = { failed: false }
  try {
    yield* format.readRows(watchDownload(branch.stream(path), download), path, scratchFile)
  } catch (error) {
    if (download.failed || error instanceof DayContentError || isSystemError(error)) throw error
    throw new DayContentError((error as Error).message, path, { cause: error })
  }
}

function isSystemError(error: unknown): boolean {
  return (
    typeof (error as { syscall?: unknown }).syscall === 'string' ||
    typeof (error as { errno?: unknown }).errno === 'number'
  )
}

async function* watchDownload(chunks: AsyncIterable<Buffer>, download: { failed: boolean }): AsyncGenerator<Buffer> {
  try {
    yield* chunks
  } catch (error) {
    download.failed = true
    throw error
  }
}

/**
 * A day's additions, into a spool of their own, one after the other. Each is sorted within
 * itself, and a day may have a couple of hundred: merged side by side, each would hold a
 * download and a reader (a Parquet row group, decoded) open for the whole merge, memory and
 * connections by the number of additions. The spool holds a few megabytes whatever their
 * number, and hands their rows back as one sorted source.
 */
async function spoolAdditions(input: DayInput): Promise<Spool> {
  const spool = await Spool.create(join(input.dir, 'additions'))
  try {
    for await (const batch of readFiles(input, input.files.additions, input.format)) {
      for (const row of batch) spool.add(input.type, input.day, row)
      await spool.spillIfFull()
    }
  } catch (error) {
    await spool.remove()
    throw error
  }
  return spool
}

/**
 * How many leading parts no row to merge can fall into: parts 1, 2, … (numbered without a
 * gap), each ending before `firstTime`, the manifest's word for it trusted (an entry whose
 * size matches the blob), and its key file there when the day keeps keys. The last part is
 * always rewritten: new rows may fill it.
 */
function keptPrefix(parts: readonly string[], input: DayInput & { keys: boolean }, firstTime: string): number {
  const { branch, manifest, format } = input
  let keep = 0
  for (const path of parts.slice(0, -1)) {
    const entry = manifest.files[path]
    const numbered = path.endsWith(`.${keep + 1}.${format.name}`)
    const trusted = entry !== undefined && entry.bytes === branch.size(path) && entry.lastCreationTime < firstTime
    if (!numbered || !trusted || (input.keys && !branch.has(keyFilePath(path)))) break
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

/** Rows of one format as rows of another (as they are when the formats are the same). */
export async function* convertRows(
  source: AsyncIterable<KeyedRow[]>,
  from: SnapshotFormat,
  to: SnapshotFormat
): AsyncGenerator<KeyedRow[]> {
  if (from === to) {
    yield* source
    return
  }
  for await (const batch of source)
    yield batch.map((row) => ({ ...row, payload: convertPayload(row.payload, from, to) }))
}
