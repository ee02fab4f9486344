import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import { findHeldFiles, heldPath, type HeldDayChanges } from '../branch/held-days.js'
import type { Ledger } from '../branch/ledger.js'
import type { Manifest } from '../branch/manifest.js'
import { daysWithAdditionsOrKeys, isAddition, isKeyFile, keyFilePath } from '../branch/paths.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import { DayContentError } from '../snapshot/day-content-error.js'
import type { DayObserver } from '../snapshot/day-observer.js'
import { CSV_FORMAT } from '../snapshot/format/csv.js'
import type { SnapshotFormat } from '../snapshot/format/snapshot-format.js'
import { addToDay, compactDay, convertRows, dayFiles, readBranchFile, type DayInput } from '../snapshot/merge-day.js'
import { mergeSorted } from '../snapshot/sorted-merge.js'
import type { Spool } from '../snapshot/spool.js'
import type { CommitReport, DerivedDays } from './commit-report.js'
import { dayWrite, isSettled } from './day-plan.js'

/**
 * A day's snapshot larger than this is split into parts. GitHub warns about files over
 * 50 MB and refuses them over 100 MB, and its Git Data API has been measured to refuse
 * blobs of 40 MiB; smaller files also stay quick to fetch one by one (raw URLs, the
 * contents API) and to read back and merge on the next run.
 */
export const MAX_DAY_FILE_BYTES = 32 * 1024 * 1024

/** What merging a pass's days needs. */
export interface DayMergeInput {
  /** The collected rows, by content type and day. */
  spool: Spool
  /** A fresh temp folder for this build's files (removed by the caller after the commit attempt). */
  dir: string
  /** The format days are written in; a day in another one is converted when written. */
  format: SnapshotFormat
  /** Files derived from whole days, recounted for every day the commit changes. */
  observers: readonly DayObserver[]
  now: Date
  /** Split a day's snapshot into parts above this size (default MAX_DAY_FILE_BYTES). */
  maxFileBytes?: number | undefined
  /** How long after its end a day settles (SETTLE_AFTER_MS unless a test says). */
  settleAfterMs?: number | undefined
  /** Told before a day file of the branch is read back. */
  onReadBack?: ((format: SnapshotFormat) => void) | undefined
  /**
   * The first day `retention-days` keeps: rows of earlier days (late ones, imports) are not
   * written, since the retention pass would erase them again, rewriting the branch each run.
   */
  keepFromDay?: string | undefined
}

/**
 * Merges every day the spool holds, and every day with rows held from earlier runs, into the
 * branch's files (updating `manifest` to match), with the day observers watching; compacts
 * the settled days that still have additions, and lets go of the keys and observer state of
 * settled days: the files to write. A day that cannot be merged fails alone: its new rows are
 * held on the branch, and every other day lands.
 */
export async function mergeDays(files: BranchFiles, manifest: Manifest, input: DayMergeInput): Promise<DayChanges> {
  const changes: DayChanges = {
    changed: new Map(),
    added: [],
    compacted: [],
    settled: [],
    derived: input.observers.map((observer): DerivedDays => ({
      title: observer.title,
      folder: observer.folder,
      days: []
    })),
    filesChanged: 0,
    heldDays: { held: [], merged: [] }
  }
  const spooled = new Map(input.spool.entries().map((day) => [`${day.type} ${day.day}`, day]))
  const heldFiles = new Map(findHeldFiles(files.paths()).map((held) => [`${held.type} ${held.day}`, held]))
  const retained = (day: string): boolean => !input.keepFromDay || day >= input.keepFromDay
  const incomingDays = [...new Set([...spooled.keys(), ...heldFiles.keys()])].filter((key) =>
    retained(key.slice(key.indexOf(' ') + 1))
  )
  for (const [index, key] of incomingDays.entries()) {
    const fromSpool = spooled.get(key)
    const held = heldFiles.get(key)
    const { type, day } = fromSpool ?? held!
    const incoming = (withHeld = true): NonNullable<DayInput['incoming']> | undefined =>
      incomingRows(files, input, type, day, fromSpool, withHeld ? held : undefined)
    await mergeOrHold(
      files,
      manifest,
      input,
      changes,
      { type, day, dir: join(input.dir, `day-${index + 1}`) },
      {
        incoming,
        heldPaths: held?.paths ?? [],
        nextHeldNumber: held?.nextNumber ?? 1
      }
    )
  }
  // Settled days nothing new came for: their additions are compacted, their keys let go of.
  const merged = new Set(incomingDays)
  for (const [index, { type, day }] of daysWithAdditionsOrKeys(files.paths()).entries()) {
    if (merged.has(`${type} ${day}`) || !retained(day) || !isSettled(day, input.now, input.settleAfterMs)) continue
    const found = dayFiles(files, type, day, input.format)
    if (found.additions.length > 0 || found.converted.some((entry) => entry.paths.some(isAddition))) {
      await mergeOrHold(files, manifest, input, changes, { type, day, dir: join(input.dir, `settled-${index + 1}`) })
      continue
    }
    const kept = [
      ...[...found.parts, ...found.converted.flatMap((entry) => entry.paths)].map(keyFilePath),
      ...input.observers.flatMap((observer) => observer.stateOf(type, day))
    ]
    for (const path of kept.filter((path) => files.has(path))) changes.changed.set(path, null)
    changes.settled.push(`${type} ${day}`)
    // A day held for a compaction it no longer needs (its broken addition removed by hand).
    changes.heldDays.merged.push({ type, day })
  }
  return changes
}

/**
 * A day's new rows: what the spool holds for it and what earlier runs held, as one sorted
 * stream (opened anew on each call: a day that fails is read again to be held).
 */
function incomingRows(
  files: BranchFiles,
  input: DayMergeInput,
  type: ContentType,
  day: string,
  fromSpool: { firstTime: string } | undefined,
  held: { paths: string[] } | undefined
): NonNullable<DayInput['incoming']> | undefined {
  const sources: AsyncIterable<KeyedRow[]>[] = []
  if (fromSpool) sources.push(input.spool.read(type, day))
  for (const path of held?.paths ?? []) sources.push(readHeld(files, path, input))
  if (sources.length === 0) return undefined
  // Held rows may be anywhere in the day.
  const firstTime = held ? `${day}T00:00:00Z` : fromSpool!.firstTime
  return { rows: sources.length === 1 ? sources[0]! : mergeSorted(sources), firstTime }
}

/** A held file's rows, in the run's format. */
async function* readHeld(files: BranchFiles, path: string, input: DayMergeInput): AsyncGenerator<KeyedRow[]> {
  yield* convertRows(readBranchFile(files, path, CSV_FORMAT, join(input.dir, 'held-scratch')), CSV_FORMAT, input.format)
}

/** A day's new rows (with those held before, or without), and the files they were held in. */
interface HeldRows {
  incoming: (withHeld?: boolean) => DayInput['incoming']
  heldPaths: readonly string[]
  /** The number a held file written beside the existing ones takes. */
  nextHeldNumber: number
}

/**
 * Merges a day (adds its new rows, or compacts it); when the day's content stops that (see
 * DayContentError), holds its new rows on the branch instead, in CSV, and records why. Held
 * rows of earlier runs go with the new ones: merged, their files are removed; held again,
 * rewritten with them, unless a held file is what does not read: it is left for a hand to
 * fix, and the new rows are held beside it.
 */
async function mergeOrHold(
  files: BranchFiles,
  manifest: Manifest,
  input: DayMergeInput,
  changes: DayChanges,
  day: Pick<DayInput, 'type' | 'day' | 'dir'>,
  rows?: HeldRows
): Promise<void> {
  try {
    try {
      await mergeOneDay(files, manifest, input, changes, { ...day, incoming: rows?.incoming() })
    } catch (error) {
      // A key file is derived from the day's files: one that does not read is written again
      // by a compaction of the day, which reads the files instead.
      if (!(error instanceof DayContentError && error.file && isKeyFile(error.file))) throw error
      const again = { ...day, dir: join(day.dir, 'again'), incoming: rows?.incoming() }
      await mergeOneDay(files, manifest, input, changes, again, 'compact')
    }
    for (const path of rows?.heldPaths ?? []) changes.changed.set(path, null)
    changes.heldDays.merged.push({ type: day.type, day: day.day })
  } catch (error) {
    if (!(error instanceof DayContentError)) throw error
    let failure: DayContentError = error
    let held = rows ? await holdRows(input, day, rows, failure.file) : { rows: 0, paths: [] }
    if ('brokenHeld' in held) {
      // A held file does not read either: it is left for a hand, the new rows held beside it.
      const { brokenHeld } = held
      failure = new DayContentError(
        `${failure.message} (and ${brokenHeld.file} does not read either: ${brokenHeld.message})`,
        failure.file
      )
      held = await holdRows(input, day, rows!, brokenHeld.file)
    }
    if ('paths' in held) for (const [path, content] of held.paths) changes.changed.set(path, content)
    const count = 'rows' in held ? held.rows : 0
    changes.heldDays.held.push({
      type: day.type,
      day: day.day,
      ...(failure.file ? { file: failure.file } : {}),
      reason: failure.message,
      rows: count
    })
  }
}

/**
 * Writes a day's new rows as held files (CSV): with the rows held before, in their place, or,
 * when `broken` names a held file that does not read, without them and beside them. Returns
 * the files to write (null: remove), or the held file found broken while reading them.
 */
async function holdRows(
  input: DayMergeInput,
  day: Pick<DayInput, 'type' | 'day' | 'dir'>,
  rows: HeldRows,
  broken: string | undefined
): Promise<{ rows: number; paths: [string, FileContent | null][] } | { brokenHeld: DayContentError }> {
  const heldFileBroken = broken !== undefined && rows.heldPaths.includes(broken)
  const incoming = rows.incoming(!heldFileBroken)
  if (!incoming) return { rows: 0, paths: [] }
  const dir = join(day.dir, heldFileBroken ? 'held-beside' : 'held')
  await mkdir(dir, { recursive: true })
  const writer = CSV_FORMAT.partWriter(dir, input.maxFileBytes ?? MAX_DAY_FILE_BYTES)
  let count = 0
  try {
    for await (const batch of convertRows(incoming.rows, input.format, CSV_FORMAT)) {
      for (const row of batch) writer.write(row)
      count += batch.length
    }
  } catch (error) {
    if (!heldFileBroken && error instanceof DayContentError && error.file && rows.heldPaths.includes(error.file))
      return { brokenHeld: error }
    throw error
  }
  // Beside a broken held file, under the next numbers; otherwise in place of the old ones.
  const first = heldFileBroken ? rows.nextHeldNumber : 1
  const paths: [string, FileContent | null][] = writer
    .finish()
    .map((part, index) => [heldPath(day.type, day.day, first + index), { file: part.file, size: part.bytes }])
  if (!heldFileBroken)
    for (const path of rows.heldPaths) if (!paths.some(([written]) => written === path)) paths.push([path, null])
  return { rows: count, paths }
}

/**
 * The commit's held-day changes, with days the ledger holds rows for whose held files are no
 * longer on the branch (removed by hand) counted as merged: nothing is left to merge, and
 * their failure would otherwise never clear.
 */
export function withHeldFilesGone(ledger: Ledger, files: BranchFiles, changes: HeldDayChanges): HeldDayChanges {
  const onBranch = new Set(findHeldFiles(files.paths()).map((held) => `${held.type} ${held.day}`))
  const heldNow = new Set(changes.held.map((held) => `${held.type} ${held.day}`))
  const gone = (
    Object.entries(ledger.contentTypes) as [ContentType, NonNullable<Ledger['contentTypes'][ContentType]>][]
  ).flatMap(([type, entry]) =>
    (entry.held ?? [])
      .filter((held) => held.rows > 0 && !onBranch.has(`${type} ${held.day}`) && !heldNow.has(`${type} ${held.day}`))
      .map((held) => ({ type, day: held.day }))
  )
  return gone.length === 0 ? changes : { ...changes, merged: [...changes.merged, ...gone] }
}

/** What merging the days of a commit changes. */
export interface DayChanges {
  changed: Map<string, FileContent | null>
  added: CommitReport['added']
  compacted: CommitReport['compacted']
  settled: CommitReport['settled']
  derived: DerivedDays[]
  filesChanged: number
  heldDays: HeldDayChanges
}

/**
 * Adds rows to one day, or compacts it, with the observers watching; records what changed.
 * Without `incoming`, a settled day is compacted.
 */
async function mergeOneDay(
  files: BranchFiles,
  manifest: Manifest,
  input: DayMergeInput,
  changes: DayChanges,
  day: Pick<DayInput, 'type' | 'day' | 'dir' | 'incoming'>,
  forced?: 'compact'
): Promise<void> {
  const found = dayFiles(files, day.type, day.day, input.format)
  const settled = isSettled(day.day, input.now, input.settleAfterMs)
  const write = forced ?? (day.incoming ? dayWrite(found, settled) : 'compact')
  const watches = await Promise.all(
    input.observers.map((observer) => observer.watch(day.type, day.day, files, write === 'compact', input.format))
  )
  const watching = watches.filter((watch) => watch !== undefined)
  const dayInput: DayInput = {
    ...day,
    branch: files,
    manifest,
    files: found,
    maxPartBytes: input.maxFileBytes ?? MAX_DAY_FILE_BYTES,
    format: input.format,
    observe: watching.length === 0 ? undefined : (row: KeyedRow) => watching.forEach((watch) => watch.observe(row)),
    observeExisting: watching.some((watch) => watch.needsWholeDay),
    // Forced (a key file did not read): every part is written again, its key file with it.
    rewriteAll: forced === 'compact',
    onReadBack: input.onReadBack
  }
  const merge =
    write === 'add' && dayInput.incoming
      ? await addToDay({ ...dayInput, incoming: dayInput.incoming })
      : await compactDay({ ...dayInput, keys: !settled })
  watches.forEach((watch, observer) => {
    const written = watch?.files(merge.added, settled)
    if (!written || written.size === 0) return
    for (const [path, content] of written) changes.changed.set(path, content)
    changes.derived[observer]!.days.push(day.day)
  })
  for (const [path, content] of merge.files) changes.changed.set(path, content)
  for (const [path, entry] of merge.manifest) {
    if (entry) manifest.files[path] = entry
    else delete manifest.files[path]
  }
  changes.filesChanged += [...merge.files.keys()].filter((path) => path.startsWith('audit/')).length
  if (merge.added > 0) changes.added.push({ type: day.type, day: day.day, records: merge.added, paths: merge.paths })
  if (write === 'compact' && found.additions.length > 0) changes.compacted.push(`${day.type} ${day.day}`)
}
