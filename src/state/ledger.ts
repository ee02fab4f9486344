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
  /** `contentCreated` up to which every listing window has been listed and downloaded. */
  coveredUntil?: string
  /** contentId → contentExpiration of every blob downloaded and committed. */
  fetched: Record<string, string>
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
      fetched: { ...(entry.fetched ?? {}) }
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
    contentTypes[type] = { ...(entry.coveredUntil ? { coveredUntil: entry.coveredUntil } : {}), fetched }
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

/** What one run adds to the ledger for one content type. */
export interface LedgerUpdate {
  type: ContentType
  /** Blobs downloaded this run: contentId → contentExpiration. */
  fetched: Record<string, string>
  /** The range listed completely this run, `[from, to)`. */
  listed?: { from: Date; to: Date }
}

/**
 * Applies a run's results to a ledger (a copy; the input is not changed), then forgets
 * blobs whose content has expired: the API will never list them again.
 * Coverage only grows when the new range touches what was covered, so a backfill further
 * ahead never hides a hole behind it.
 */
export function applyUpdates(ledger: Ledger, updates: readonly LedgerUpdate[], now: Date): Ledger {
  const next = parseLedger(renderLedger(ledger), 'ledger')
  for (const update of updates) {
    const entry: ContentTypeLedger = next.contentTypes[update.type] ?? { fetched: {} }
    Object.assign(entry.fetched, update.fetched)
    if (update.listed) {
      const covered = entry.coveredUntil ? parseInstant(entry.coveredUntil) : undefined
      if (!covered || (update.listed.from <= covered && update.listed.to > covered)) {
        entry.coveredUntil = formatInstant(update.listed.to)
      }
    }
    next.contentTypes[update.type] = entry
  }
  for (const entry of Object.values(next.contentTypes)) {
    for (const [id, expiration] of Object.entries(entry.fetched)) {
      const expires = parseInstant(expiration)
      if (expires && expires <= now) delete entry.fetched[id]
    }
  }
  return next
}
