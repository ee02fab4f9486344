import { CONTENT_TYPES, type ContentType } from '../config/content-types.js'
import { formatInstant, parseInstant } from '../config/timestamp.js'

/**
 * What earlier runs achieved, committed with the data it describes (state/ledger.json):
 * how far each content type is covered, and which content blobs were already downloaded,
 * kept until they expire so that re-listing an overlapping window downloads nothing twice.
 */
export interface Ledger {
  version: 1
  contentTypes: Partial<Record<ContentType, ContentTypeLedger>>
}

/** The ledger of one content type. */
export interface ContentTypeLedger {
  /** `contentCreated` up to which every listing window has been listed (failures are kept apart). */
  coveredUntil?: string
  /** contentId → contentExpiration of every blob downloaded and committed. */
  fetched: Record<string, string>
  /** Listing windows that still failed after retries; every later run retries them first. */
  failed: FailedSegment[]
  /** Content that can no longer be collected from the API: blobs that expired, windows past 7 days. */
  gaps: ContentGap[]
}

/** A listing window (content type × segment) that failed after retries. */
export interface FailedSegment {
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
export interface SegmentFailure {
  start: Date
  end: Date
  code: string
  message: string
}

/** A ledger with nothing in it: the state of a new data branch. */
export function emptyLedger(): Ledger {
  return { version: 1, contentTypes: {} }
}

/** Reads ledger.json, refusing one that is not ours rather than overwriting it. */
export function parseLedger(text: string, path: string): Ledger {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} on the data branch is not valid JSON (${(error as Error).message}); fix or delete it, then run again.`)
  }
  const candidate = value as Partial<Ledger> | null
  if (!candidate || candidate.version !== 1 || typeof candidate.contentTypes !== 'object' || candidate.contentTypes === null) {
    throw new Error(`${path} on the data branch is not a version 1 ledger; fix or delete it, then run again.`)
  }
  const ledger = emptyLedger()
  for (const type of CONTENT_TYPES) {
    const entry = candidate.contentTypes[type]
    if (!entry) continue
    ledger.contentTypes[type] = {
      ...(typeof entry.coveredUntil === 'string' && parseInstant(entry.coveredUntil) ? { coveredUntil: entry.coveredUntil } : {}),
      fetched: { ...(entry.fetched ?? {}) },
      failed: Array.isArray(entry.failed) ? entry.failed.map((failure) => ({ ...failure })) : [],
      gaps: Array.isArray(entry.gaps) ? entry.gaps.map((gap) => ({ ...gap })) : []
    }
  }
  return ledger
}

/** The ledger as stable text: sorted keys, so unchanged state gives unchanged bytes. */
export function renderLedger(ledger: Ledger): string {
  const contentTypes: Record<string, ContentTypeLedger> = {}
  for (const type of [...CONTENT_TYPES].sort()) {
    const entry = ledger.contentTypes[type]
    if (!entry) continue
    const fetched: Record<string, string> = {}
    for (const id of Object.keys(entry.fetched).sort()) fetched[id] = entry.fetched[id] ?? ''
    contentTypes[type] = {
      ...(entry.coveredUntil ? { coveredUntil: entry.coveredUntil } : {}),
      fetched,
      failed: [...entry.failed].sort((a, b) => compare(a.start, b.start) || compare(a.end, b.end)),
      gaps: [...entry.gaps].sort((a, b) => compare(a.start, b.start) || compare(a.contentId ?? '', b.contentId ?? ''))
    }
  }
  return `${JSON.stringify({ version: 1, contentTypes }, null, 2)}\n`
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

/** Whether a blob was already downloaded and committed. */
export function wasFetched(ledger: Ledger, type: ContentType, contentId: string): boolean {
  return ledger.contentTypes[type]?.fetched[contentId] !== undefined
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** What one run adds to the ledger for one content type. */
export interface LedgerUpdate {
  type: ContentType
  /** Blobs downloaded this run: contentId → contentExpiration. */
  fetched: Record<string, string>
  /** The range this run's plan listed, `[from, to)`. */
  listed?: { from: Date; to: Date }
  /** Windows listed and downloaded completely this run. */
  succeeded?: { start: Date; end: Date }[]
  /** Windows that failed after retries this run. */
  failures?: SegmentFailure[]
  /** Blobs that expired before they could be downloaded. */
  expired?: { contentId: string; contentCreated: string; message: string }[]
}

/** What applying a run changed about failures, for the issue and the summary. */
export interface FailureChanges {
  /** Failed windows a successful listing now covers. */
  recovered: (FailedSegment & { type: ContentType })[]
  /** Gaps recorded by this run: expired blobs, and failed windows that aged past 7 days. */
  newGaps: (ContentGap & { type: ContentType })[]
}

/**
 * Applies a run's results to a ledger (a copy; the input is not changed):
 * - fetched blobs are remembered until they expire (the API never lists them again after);
 * - coverage only grows when the new range touches it, so a backfill further ahead never
 *   hides a hole behind it;
 * - a failed window is recorded (or its count raised); one that a successful window covers
 *   is recovered; one that aged past the API's 7 days becomes a permanent gap.
 */
export function applyUpdates(
  ledger: Ledger,
  updates: readonly LedgerUpdate[],
  now: Date,
  oldestReachable: Date = new Date(now.getTime() - 7 * 24 * 3_600_000)
): { ledger: Ledger; changes: FailureChanges } {
  const next = parseLedger(renderLedger(ledger), 'ledger')
  const changes: FailureChanges = { recovered: [], newGaps: [] }
  const stamp = formatInstant(now)
  for (const update of updates) {
    const entry: ContentTypeLedger = next.contentTypes[update.type] ?? { fetched: {}, failed: [], gaps: [] }
    next.contentTypes[update.type] = entry
    Object.assign(entry.fetched, update.fetched)
    if (update.listed) {
      const covered = entry.coveredUntil ? parseInstant(entry.coveredUntil) : undefined
      if (!covered || (update.listed.from <= covered && update.listed.to > covered)) {
        entry.coveredUntil = formatInstant(update.listed.to)
      }
    }

    const succeeded = update.succeeded ?? []
    entry.failed = entry.failed.filter((failure) => {
      const start = parseInstant(failure.start)
      const end = parseInstant(failure.end)
      const recovered = start && end && succeeded.some((window) => window.start <= start && window.end >= end)
      if (recovered) changes.recovered.push({ ...failure, type: update.type })
      return !recovered
    })

    for (const failure of update.failures ?? []) {
      const start = formatInstant(failure.start)
      const end = formatInstant(failure.end)
      const known = entry.failed.find((existing) => existing.start === start && existing.end === end)
      if (known) {
        Object.assign(known, { code: failure.code, message: failure.message, attempts: known.attempts + 1, lastFailure: stamp })
      } else {
        entry.failed.push({ start, end, code: failure.code, message: failure.message, attempts: 1, firstFailure: stamp, lastFailure: stamp })
      }
    }

    for (const blob of update.expired ?? []) {
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
      changes.newGaps.push({ ...gap, type: update.type })
    }
  }

  for (const [type, entry] of Object.entries(next.contentTypes) as [ContentType, ContentTypeLedger][]) {
    entry.failed = entry.failed.filter((failure) => {
      const start = parseInstant(failure.start)
      if (!start || start >= oldestReachable) return true
      const gap: ContentGap = {
        start: failure.start,
        end: failure.end,
        reason: 'out-of-reach',
        code: failure.code,
        message: `Still failing (${failure.message}) when the window passed the API's 7 days; fill it from a Purview audit export.`,
        recordedAt: stamp
      }
      entry.gaps.push(gap)
      changes.newGaps.push({ ...gap, type })
      return false
    })
    for (const [id, expiration] of Object.entries(entry.fetched)) {
      const expires = parseInstant(expiration)
      if (expires && expires <= now) delete entry.fetched[id]
    }
  }
  return { ledger: next, changes }
}

/** Failed windows still within reach, per content type, oldest first. */
export function failedSegments(ledger: Ledger, types: readonly ContentType[]): { type: ContentType; failure: FailedSegment }[] {
  return types.flatMap((type) => (ledger.contentTypes[type]?.failed ?? []).map((failure) => ({ type, failure })))
}

/** Every open failure in the ledger, whatever run recorded it. */
export function allFailures(ledger: Ledger): (FailedSegment & { type: ContentType })[] {
  return (Object.entries(ledger.contentTypes) as [ContentType, ContentTypeLedger][]).flatMap(([type, entry]) =>
    entry.failed.map((failure) => ({ ...failure, type }))
  )
}
