import { CONTENT_TYPES, type ContentType } from '../record/content-types.js'
import { LISTABLE_MS, RETENTION_MS } from '../m365/retention.js'
import type { TimeRange } from '../record/time-range.js'
import { compareText as compare } from '../util/compare.js'
import { formatInstant, parseInstant, utcDay } from '../util/time.js'
import { sha256Prefix } from '../util/digest.js'
import { isFailedWindow, recordFailedWindow } from './failed-windows.js'
import { heldDayWindow, nextHeldDays, readHeldDays, type HeldDay, type HeldDayChanges } from './held-days.js'
import {
  applyGraphUpdate,
  emptyGraphLedger,
  isGraphLedgerEmpty,
  readGraphLedger,
  renderGraphLedger,
  type GraphLedger,
  type GraphLedgerUpdate
} from './graph-ledger.js'

/**
 * What earlier runs achieved, committed with the data it describes (state/ledger.json):
 * how far each content type is covered, and which content blobs were already downloaded,
 * kept while the API can still list them so that re-listing an overlapping window downloads
 * nothing twice.
 */
export interface Ledger {
  version: 2
  contentTypes: Partial<Record<ContentType, ContentTypeLedger>>
  /** Microsoft Graph audit log queries (source `graph` or `auto`): what is running, waiting, failed, done. */
  graph?: GraphLedger
}

/** The ledger of one content type. */
export interface ContentTypeLedger {
  /** `contentCreated` up to which every listing window has been listed (failures are kept apart). */
  coveredUntil?: string
  /**
   * The blobs downloaded and committed, by the UTC day of their `contentCreated`: each blob is
   * the 72-bit SHA-256 prefix of its contentId, 12 base64 characters, appended run by run
   * (so that the file deltas well in git). A contentId is about 90 characters; a large
   * tenant lists thousands of blobs a day, and the ledger is rewritten with every commit.
   */
  fetched: Record<string, string>
  /**
   * The filters (`filterDigest`) the blobs in `fetched` were read with; absent: none. A run
   * with other filters reads them again, so that what the old ones left out comes back.
   */
  filter?: string
  /** Listing windows that still failed after retries; every later run retries them first. */
  failed: FailedWindow[]
  /** Content that can no longer be collected from the API: blobs that expired, windows past 7 days. */
  gaps: ContentGap[]
  /**
   * Where records without a readable CreationTime were placed (record Id → the time used,
   * their blob's). A copy of such a record in a later blob goes to the same place, so the
   * merge drops it. Rare; kept while the API can still serve a copy.
   */
  untimed?: Record<string, string>
  /** Days whose new rows could not be merged into their files, held on the branch (held-days.ts). */
  held?: HeldDay[]
}

/** A listing window (content type × segment) that failed after retries. */
export interface FailedWindow {
  start: string
  end: string
  code: string
  message: string
  /** Runs that failed on it. */
  attempts: number
  firstFailure: string
  lastFailure: string
}

/** Content the API will not serve any more: fill it from a Purview audit export. */
export interface ContentGap {
  start: string
  end: string
  reason: 'expired-blob' | 'out-of-reach'
  code: string
  message: string
  contentId?: string
  recordedAt: string
}

/** A failure as a run saw it, before it is merged into the ledger. */
export interface WindowFailure {
  start: Date
  end: Date
  code: string
  message: string
}

/** A ledger with nothing in it: the state of a new data branch. */
export function emptyLedger(): Ledger {
  return { version: 2, contentTypes: {} }
}

/** Characters of one blob in `fetched`: 9 bytes of SHA-256 in base64. */
const BLOB_KEY_LENGTH = 12

/**
 * How the ledger names a blob. 72 bits: the chance that a new blob's key equals one of the
 * 50,000 a busy content type holds is about 1 in 10^17, against a download skipped.
 */
export function blobKey(contentId: string): string {
  return sha256Prefix(contentId, 9)
}

/** A blob downloaded by a run: where the ledger files it. */
export interface FetchedBlob {
  contentId: string
  contentCreated: string
}

/**
 * Reads ledger.json, refusing one that is not ours rather than overwriting it. A version 1
 * ledger (each contentId in full, with its expiry) is read into the compact form.
 */
export function parseLedger(text: string, path: string, warn?: (message: string) => void): Ledger {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(
      `${path} on the data branch is not valid JSON (${(error as Error).message}); fix or delete it, then run again.`,
      { cause: error }
    )
  }
  const candidate = value as {
    version?: unknown
    contentTypes?: Partial<Record<ContentType, Partial<ContentTypeLedger>>>
    graph?: unknown
  } | null
  if (
    !candidate ||
    (candidate.version !== 1 && candidate.version !== 2) ||
    typeof candidate.contentTypes !== 'object' ||
    candidate.contentTypes === null
  ) {
    throw new Error(`${path} on the data branch is not a version 1 or 2 ledger; fix or delete it, then run again.`)
  }
  const ledger = emptyLedger()
  // A hand may have edited any entry: what does not read is dropped, with a warning, rather
  // than failing every run that reads the ledger. Nothing collected depends on it: a dropped
  // failed window is listed again by the look-back or a backfill, a dropped gap is reported
  // again when it is met.
  const dropped = (what: string, entry: unknown): void =>
    warn?.(`${path}: dropped ${what} that does not read (${JSON.stringify(entry)?.slice(0, 120)}).`)
  for (const type of CONTENT_TYPES) {
    const entry = candidate.contentTypes[type]
    if (!entry || typeof entry !== 'object') continue
    if (
      entry.coveredUntil !== undefined &&
      !(typeof entry.coveredUntil === 'string' && parseInstant(entry.coveredUntil))
    )
      dropped(`${type}.coveredUntil`, entry.coveredUntil)
    const failed = validEntries<FailedWindow>(entry.failed, isFailedWindow, `a failed window of ${type}`, dropped)
    const gaps = validEntries<ContentGap>(entry.gaps, isGap, `a gap of ${type}`, dropped)
    const held = readHeldDays(entry.held)
    if (Array.isArray(entry.held) && held.length !== entry.held.length)
      dropped(`${entry.held.length - held.length} held day(s) of ${type}`, entry.held)
    ledger.contentTypes[type] = {
      ...(typeof entry.coveredUntil === 'string' && parseInstant(entry.coveredUntil)
        ? { coveredUntil: entry.coveredUntil }
        : {}),
      fetched:
        candidate.version === 1
          ? fromVersion1(isRecord(entry.fetched) ? entry.fetched : {})
          : readFetched(isRecord(entry.fetched) ? entry.fetched : {}),
      ...(typeof entry.filter === 'string' && entry.filter !== '' ? { filter: entry.filter } : {}),
      failed,
      gaps,
      ...(isRecord(entry.untimed) ? readUntimed(entry.untimed, type, dropped) : {}),
      ...(held.length > 0 ? { held } : {})
    }
  }
  const graph = readGraphLedger(candidate.graph)
  if (graph && !isGraphLedgerEmpty(graph)) ledger.graph = graph
  return ledger
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function validEntries<T>(
  value: unknown,
  valid: (entry: Record<string, unknown>) => boolean,
  what: string,
  dropped: (what: string, entry: unknown) => void
): T[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((entry: unknown) => {
    if (isRecord(entry) && valid(entry)) return [{ ...entry } as T]
    dropped(what, entry)
    return []
  })
}

const isInstant = (value: unknown): boolean => typeof value === 'string' && parseInstant(value) !== undefined

function isGap(entry: Record<string, unknown>): boolean {
  return (
    isInstant(entry.start) &&
    isInstant(entry.end) &&
    (entry.reason === 'expired-blob' || entry.reason === 'out-of-reach') &&
    typeof entry.code === 'string' &&
    typeof entry.message === 'string' &&
    isInstant(entry.recordedAt)
  )
}

function readUntimed(
  value: Record<string, unknown>,
  type: ContentType,
  dropped: (what: string, entry: unknown) => void
): { untimed?: Record<string, string> } {
  const untimed: Record<string, string> = {}
  for (const [id, time] of Object.entries(value)) {
    if (typeof time === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(time)) untimed[id] = time
    else dropped(`the placement of untimed record ${id} of ${type}`, time)
  }
  return Object.keys(untimed).length > 0 ? { untimed } : {}
}

function readFetched(value: Record<string, unknown>): Record<string, string> {
  const fetched: Record<string, string> = {}
  for (const [day, keys] of Object.entries(value)) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(day) && typeof keys === 'string' && keys.length % BLOB_KEY_LENGTH === 0)
      fetched[day] = keys
  }
  return fetched
}

/** Version 1 kept contentId → contentExpiration; the blob's day is taken as 7 days before it expired. */
function fromVersion1(value: Record<string, unknown>): Record<string, string> {
  const fetched: Record<string, string> = {}
  for (const [contentId, expiration] of Object.entries(value)) {
    const expires = typeof expiration === 'string' ? parseInstant(expiration) : undefined
    const day = utcDay(expires ? new Date(expires.getTime() - RETENTION_MS) : new Date())
    fetched[day] = (fetched[day] ?? '') + blobKey(contentId)
  }
  return fetched
}

/** The ledger as stable text: sorted keys, so unchanged state gives unchanged bytes. */
export function renderLedger(ledger: Ledger): string {
  const contentTypes: Record<string, ContentTypeLedger> = {}
  for (const type of [...CONTENT_TYPES].sort()) {
    const entry = ledger.contentTypes[type]
    if (!entry) continue
    const fetched: Record<string, string> = {}
    for (const day of Object.keys(entry.fetched).sort()) fetched[day] = entry.fetched[day] ?? ''
    contentTypes[type] = {
      ...(entry.coveredUntil ? { coveredUntil: entry.coveredUntil } : {}),
      fetched,
      ...(entry.filter ? { filter: entry.filter } : {}),
      failed: [...entry.failed].sort((a, b) => compare(a.start, b.start) || compare(a.end, b.end)),
      gaps: [...entry.gaps].sort((a, b) => compare(a.start, b.start) || compare(a.contentId ?? '', b.contentId ?? '')),
      ...(entry.untimed && Object.keys(entry.untimed).length > 0
        ? { untimed: Object.fromEntries(Object.entries(entry.untimed).sort(([a], [b]) => compare(a, b))) }
        : {}),
      ...(entry.held && entry.held.length > 0 ? { held: [...entry.held].sort((a, b) => compare(a.day, b.day)) } : {})
    }
  }
  const graph = ledger.graph && !isGraphLedgerEmpty(ledger.graph) ? { graph: renderGraphLedger(ledger.graph) } : {}
  return `${JSON.stringify({ version: 2, contentTypes, ...graph }, null, 2)}\n`
}

/** The earliest coverage over the given content types, or undefined if any is uncovered. */
export function coveredUntil(ledger: Ledger, types: readonly ContentType[]): Date | undefined {
  let earliest: Date | undefined
  for (const type of types) {
    const covered = ledger.contentTypes[type]?.coveredUntil
    const date = covered ? parseInstant(covered) : undefined
    if (!date) return undefined
    if (!earliest || date < earliest) earliest = date
  }
  return earliest
}

/** Where an earlier run placed a record that has no readable CreationTime, if it did. */
export function untimedPlacement(ledger: Ledger, type: ContentType, id: string): string | undefined {
  return ledger.contentTypes[type]?.untimed?.[id]
}

/** Whether a blob was already downloaded and committed, read with these filters (`filterDigest`). */
export function wasFetched(ledger: Ledger, type: ContentType, contentId: string, filter = ''): boolean {
  const entry = ledger.contentTypes[type]
  return entry !== undefined && (entry.filter ?? '') === filter && fetchedKeys(entry).has(blobKey(contentId))
}

/** Whether a content type's blobs were read with other filters than these (`filterDigest`). */
export function filterChanged(ledger: Ledger, type: ContentType, filter: string): boolean {
  const entry = ledger.contentTypes[type]
  return entry !== undefined && (entry.filter ?? '') !== filter
}

const keyCache = new WeakMap<Record<string, string>, Set<string>>()

/** Every blob key of a content type, read once per ledger. */
function fetchedKeys(entry: ContentTypeLedger): Set<string> {
  let keys = keyCache.get(entry.fetched)
  if (!keys) {
    keys = new Set()
    for (const day of Object.values(entry.fetched))
      for (let at = 0; at < day.length; at += BLOB_KEY_LENGTH) keys.add(day.slice(at, at + BLOB_KEY_LENGTH))
    keyCache.set(entry.fetched, keys)
  }
  return keys
}

/** What one run adds to the ledger for one content type. */
export interface LedgerUpdate {
  type: ContentType
  /** Blobs downloaded this run. */
  fetched: readonly FetchedBlob[]
  /** The filters they were read with (`filterDigest`); '' for none. */
  filter?: string
  /** The range this run's plan listed, `[from, to)`. */
  listed?: { from: Date; to: Date }
  /** Windows listed and downloaded completely this run. */
  succeeded?: TimeRange[]
  /** Windows that failed after retries this run. */
  failures?: WindowFailure[]
  /** Blobs that expired before they could be downloaded. */
  expired?: { contentId: string; contentCreated: string; message: string }[]
  /** Records without a readable CreationTime this run placed: record Id → time used. */
  untimed?: Record<string, string>
}

/**
 * Where a failed window is collected from: a content type of the Management API, or
 * Microsoft Graph's audit log queries (one query serves every content type).
 */
export type FailureSource = ContentType | typeof GRAPH_QUERIES

/** How failures and reports name the windows of Graph audit log queries. */
export const GRAPH_QUERIES = 'Graph audit log query'

/** A failed window with its content type (or Graph). */
export type OpenFailure = FailedWindow & { type: FailureSource }
/** A gap with its content type. */
export type TypedGap = ContentGap & { type: ContentType }

/** What applying a run changed about failures, for the issue and the summary. */
export interface FailureChanges {
  /** Failed windows a successful listing now covers. */
  recovered: OpenFailure[]
  /** Gaps recorded by this run: expired blobs, and failed windows that aged past 7 days. */
  newGaps: TypedGap[]
}

/**
 * Applies a run's results to a ledger (a copy; the input is not changed):
 * - fetched blobs are remembered until the API can no longer list them (8 days after the
 *   day they were created);
 * - coverage only grows when the new range touches it, so a backfill further ahead never
 *   hides a hole behind it;
 * - a failed window is recorded (or its count raised); one that a successful window covers
 *   is recovered; one that aged past the API's 7 days becomes a permanent gap.
 */
export function applyUpdates(
  ledger: Ledger,
  updates: readonly LedgerUpdate[],
  now: Date,
  oldestReachable: Date = new Date(now.getTime() - RETENTION_MS),
  graphUpdate?: GraphLedgerUpdate
): { ledger: Ledger; changes: FailureChanges } {
  const next = parseLedger(renderLedger(ledger), 'ledger')
  const changes: FailureChanges = { recovered: [], newGaps: [] }
  const stamp = formatInstant(now)
  for (const update of updates) {
    const entry: ContentTypeLedger = next.contentTypes[update.type] ?? { fetched: {}, failed: [], gaps: [] }
    next.contentTypes[update.type] = entry
    // Blobs read under other filters are not collected under these: only this run's count.
    if (update.filter !== undefined && (entry.filter ?? '') !== update.filter) {
      entry.fetched = {}
      if (update.filter) entry.filter = update.filter
      else delete entry.filter
    }
    rememberFetched(entry, update)
    if (update.untimed && Object.keys(update.untimed).length > 0)
      entry.untimed = { ...entry.untimed, ...update.untimed }
    if (update.listed) extendCoverage(entry, update.listed)
    changes.recovered.push(
      ...recoverFailures(entry, update.succeeded ?? []).map((failure) => ({ ...failure, type: update.type }))
    )
    for (const failure of update.failures ?? []) recordFailedWindow(entry.failed, failure, stamp)
    changes.newGaps.push(
      ...recordExpired(entry, update.expired ?? [], stamp).map((gap) => ({ ...gap, type: update.type }))
    )
  }
  for (const [type, entry] of Object.entries(next.contentTypes) as [ContentType, ContentTypeLedger][]) {
    changes.newGaps.push(...failuresOutOfReach(entry, oldestReachable, stamp).map((gap) => ({ ...gap, type })))
    forgetUnlisted(entry, utcDay(new Date(now.getTime() - LISTABLE_MS)))
  }
  if (graphUpdate) {
    const applied = applyGraphUpdate(next.graph ?? emptyGraphLedger(), graphUpdate, now)
    next.graph = applied.graph
    changes.recovered.push(...applied.recovered.map((failure): OpenFailure => ({ ...failure, type: GRAPH_QUERIES })))
  }
  return { ledger: next, changes }
}

/** Files a run's new blobs under the UTC day they were created. */
function rememberFetched(entry: ContentTypeLedger, update: LedgerUpdate): void {
  const known = fetchedKeys(entry)
  const added = new Map<string, string[]>()
  for (const blob of update.fetched) {
    const key = blobKey(blob.contentId)
    if (known.has(key)) continue
    known.add(key)
    const day = blob.contentCreated.slice(0, 10)
    const keys = added.get(day)
    if (keys) keys.push(key)
    else added.set(day, [key])
  }
  // Each run's keys go in sorted, after what earlier runs wrote: the same blobs give the
  // same text whatever order they downloaded in, and the line only grows at its end.
  for (const [day, keys] of added) entry.fetched[day] = (entry.fetched[day] ?? '') + keys.sort().join('')
}

/** Moves coverage to the end of a listed range that touches it (or starts it). */
function extendCoverage(entry: ContentTypeLedger, listed: { from: Date; to: Date }): void {
  const covered = entry.coveredUntil ? parseInstant(entry.coveredUntil) : undefined
  if (!covered || (listed.from <= covered && listed.to > covered)) entry.coveredUntil = formatInstant(listed.to)
}

/** Drops the failed windows a successful window now covers; returns them. */
function recoverFailures(entry: ContentTypeLedger, succeeded: readonly TimeRange[]): FailedWindow[] {
  const recovered: FailedWindow[] = []
  entry.failed = entry.failed.filter((failure) => {
    const start = parseInstant(failure.start)
    const end = parseInstant(failure.end)
    const covered = start && end && succeeded.some((window) => window.start <= start && window.end >= end)
    if (covered) recovered.push(failure)
    return !covered
  })
  return recovered
}

/** Records blobs that expired before they could be downloaded as gaps (each once); returns the new ones. */
function recordExpired(
  entry: ContentTypeLedger,
  expired: NonNullable<LedgerUpdate['expired']>,
  stamp: string
): ContentGap[] {
  const gaps: ContentGap[] = []
  for (const blob of expired) {
    if (entry.gaps.some((gap) => gap.contentId === blob.contentId)) continue
    const created = blob.contentCreated.replace(/\.\d+Z$/, 'Z')
    const gap: ContentGap = {
      start: created,
      end: created,
      reason: 'expired-blob',
      code: 'AF20051',
      message: blob.message,
      contentId: blob.contentId,
      recordedAt: stamp
    }
    entry.gaps.push(gap)
    gaps.push(gap)
  }
  return gaps
}

/** Turns failed windows that aged past the API's reach into gaps; returns the new gaps. */
function failuresOutOfReach(entry: ContentTypeLedger, oldestReachable: Date, stamp: string): ContentGap[] {
  const gaps: ContentGap[] = []
  entry.failed = entry.failed.filter((failure) => {
    const start = parseInstant(failure.start)
    if (!start || start >= oldestReachable) return true
    gaps.push({
      start: failure.start,
      end: failure.end,
      reason: 'out-of-reach',
      code: failure.code,
      message: `Still failing (${failure.message}) when the window passed the API's 7 days; fill it from a Purview audit export.`,
      recordedAt: stamp
    })
    return false
  })
  entry.gaps.push(...gaps)
  return gaps
}

/** Forgets blobs and untimed placements of days the API can no longer list (before `oldestListable`). */
function forgetUnlisted(entry: ContentTypeLedger, oldestListable: string): void {
  for (const [id, time] of Object.entries(entry.untimed ?? {}))
    if (time.slice(0, 10) < oldestListable) delete entry.untimed?.[id]
  for (const day of Object.keys(entry.fetched)) {
    if (day >= oldestListable) continue
    delete entry.fetched[day]
    keyCache.delete(entry.fetched)
  }
}

/** Failed windows still within reach, per content type, oldest first. */
export function failedWindows(
  ledger: Ledger,
  types: readonly ContentType[]
): { type: ContentType; failure: FailedWindow }[] {
  return types.flatMap((type) => (ledger.contentTypes[type]?.failed ?? []).map((failure) => ({ type, failure })))
}

/** Every open failure in the ledger, whatever run recorded it. */
export function allFailures(ledger: Ledger): OpenFailure[] {
  return [
    ...(Object.entries(ledger.contentTypes) as [ContentType, ContentTypeLedger][]).flatMap(([type, entry]) =>
      entry.failed.map((failure): OpenFailure => ({ ...failure, type }))
    ),
    ...(Object.entries(ledger.contentTypes) as [ContentType, ContentTypeLedger][]).flatMap(([type, entry]) =>
      (entry.held ?? []).map((held) => heldFailure(type, held))
    ),
    ...(ledger.graph?.failed ?? []).map((failure): OpenFailure => ({ ...failure, type: GRAPH_QUERIES }))
  ]
}

/** A held day as an open failure: the day as its window. */
function heldFailure(type: ContentType, held: HeldDay): OpenFailure {
  return {
    ...heldDayWindow(held),
    attempts: held.attempts,
    firstFailure: held.firstFailure,
    lastFailure: held.lastFailure,
    type
  }
}

/**
 * Records what a commit did with held days (a copy of the ledger): days it could not merge
 * are held (or their count raised), held days it merged are gone and returned as recovered.
 */
export function applyHeldDays(
  ledger: Ledger,
  changes: HeldDayChanges,
  now: Date
): { ledger: Ledger; recovered: OpenFailure[] } {
  if (changes.held.length === 0 && changes.merged.length === 0) return { ledger, recovered: [] }
  const next = parseLedger(renderLedger(ledger), 'ledger')
  const recovered: OpenFailure[] = []
  // Every day a commit merges is in `merged`: only types that hold days, or now fail one, change.
  const types = new Set(
    [...changes.held, ...changes.merged]
      .map((entry) => entry.type)
      .filter(
        (type) => (next.contentTypes[type]?.held ?? []).length > 0 || changes.held.some((held) => held.type === type)
      )
  )
  if (types.size === 0) return { ledger, recovered: [] }
  for (const type of types) {
    const entry: ContentTypeLedger = next.contentTypes[type] ?? { fetched: {}, failed: [], gaps: [] }
    next.contentTypes[type] = entry
    const result = nextHeldDays(entry.held ?? [], type, changes, formatInstant(now))
    if (result.held.length > 0) entry.held = result.held
    else delete entry.held
    recovered.push(...result.recovered.map((held) => heldFailure(type, held)))
  }
  return { ledger: next, recovered }
}

/**
 * The ledger with its free text (error messages, reasons, file names) passed through
 * `redact`: only text that came from outside, never its structure. Redacting the rendered
 * JSON would also hit times and blob keys that happen to hold a short masked value.
 */
export function redactLedger(ledger: Ledger, redact: (text: string) => string): Ledger {
  const window = <T extends { message: string }>(entry: T): T => ({ ...entry, message: redact(entry.message) })
  const next: Ledger = { ...ledger, contentTypes: {} }
  for (const [type, entry] of Object.entries(ledger.contentTypes) as [ContentType, ContentTypeLedger][]) {
    next.contentTypes[type] = {
      ...entry,
      failed: entry.failed.map(window),
      gaps: entry.gaps.map(window),
      ...(entry.held
        ? {
            held: entry.held.map((held) => ({
              ...held,
              reason: redact(held.reason),
              ...(held.file === undefined ? {} : { file: redact(held.file) })
            }))
          }
        : {})
    }
  }
  if (ledger.graph) next.graph = { ...ledger.graph, failed: ledger.graph.failed.map(window) }
  return next
}
