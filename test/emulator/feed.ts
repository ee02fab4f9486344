/**
 * The blob store behind `subscriptions/content` and `audit/{contentId}`: published content,
 * the listing rule (`start <= contentCreated < end`, nothing from the future) and paging.
 */
import type { ContentType } from './content-types.js'
import type { Rng } from './rng.js'
import { TICKS_PER_MS, ticksOf } from './time-window.js'

/** One published aggregation ("blob") of audit records. */
export interface ContentBlob {
  contentType: ContentType
  /** `$`-separated, as the service makes them. */
  contentId: string
  contentCreated: Date
  contentExpiration: Date
  /** Served verbatim (key order included) as the JSON array of `GET audit/{contentId}`. */
  records: readonly Record<string, unknown>[]
  /**
   * The served JSON itself, for blobs published compact (benchmarks of a million records keep
   * bytes, not objects); `records` is then empty.
   */
  body?: Buffer
  /** Publication order; breaks ties between equal `contentCreated`. */
  seq: number
}

/** What a test hands to `publish`. */
export interface PublishInput {
  contentType: ContentType
  contentCreated: Date
  records: readonly Record<string, unknown>[]
  /** Keep only the serialised body (see ContentBlob.body). */
  compact?: boolean
  /** Defaults to `contentCreated` + the emulator's expiration period. */
  contentExpiration?: Date
  /** Defaults to a generated id in the real shape. */
  contentId?: string
}

/** Ids look like `20201028014116775046578$20201028022417407051751$audit_general$Audit_General$na0043`. */
export const CONTENT_ID_PATTERN = /^[A-Za-z0-9_]+(?:\$[A-Za-z0-9_]+){2,}$/

/** A position in a listing: the first blob of the next page, by (contentCreated, seq). */
interface Cursor {
  createdMs: number
  seq: number
}

const CURSOR_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})R(\d{10})$/

/** Opaque-looking `nextPage` value, e.g. `20261120131734123R0000000042` (the real ones look similar). */
export function encodeCursor(cursor: Cursor): string {
  return `${compactStamp(new Date(cursor.createdMs))}R${String(cursor.seq).padStart(10, '0')}`
}

/** Reads a `nextPage` value back; undefined when it is not one of ours. */
export function decodeCursor(text: string): Cursor | undefined {
  const m = CURSOR_PATTERN.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, ms, seq] = m.map(Number) as number[]
  const createdMs = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!)
  if (Number.isNaN(createdMs) || compactStamp(new Date(createdMs)) !== text.slice(0, 17)) return undefined
  return { createdMs, seq: seq! }
}

/** One page of a listing. */
export interface Page {
  items: ContentBlob[]
  /** Present when more items follow. */
  nextPage?: string
}

/** In-memory blob store. */
export class Feed {
  private readonly all: ContentBlob[] = []
  private readonly byId = new Map<string, ContentBlob>()
  private sorted = true
  private seq = 0

  constructor(
    private readonly rng: Rng,
    private readonly expirationMs: number
  ) {}

  /** Adds a blob; throws on a duplicate or malformed contentId (a test bug, not an API error). */
  publish(input: PublishInput): ContentBlob {
    const contentId = input.contentId ?? this.newContentId(input.contentType, input.contentCreated)
    if (!CONTENT_ID_PATTERN.test(contentId)) throw new Error(`malformed contentId ${contentId}`)
    if (this.byId.has(contentId)) throw new Error(`contentId ${contentId} published twice`)
    const blob: ContentBlob = {
      contentType: input.contentType,
      contentId,
      contentCreated: new Date(input.contentCreated),
      contentExpiration: new Date(input.contentExpiration ?? input.contentCreated.getTime() + this.expirationMs),
      ...(input.compact
        ? { records: [], body: Buffer.from(JSON.stringify(input.records), 'utf8') }
        : { records: input.records.map((r) => ({ ...r })) }),
      seq: ++this.seq
    }
    this.all.push(blob)
    this.byId.set(contentId, blob)
    this.sorted = false
    return blob
  }

  /** Every blob in listing order (contentCreated, then publication order). */
  blobs(contentType?: ContentType): ContentBlob[] {
    if (!this.sorted) {
      this.all.sort((a, b) => a.contentCreated.getTime() - b.contentCreated.getTime() || a.seq - b.seq)
      this.sorted = true
    }
    return contentType ? this.all.filter((b) => b.contentType === contentType) : [...this.all]
  }

  /** A blob by id. */
  get(contentId: string): ContentBlob | undefined {
    return this.byId.get(contentId)
  }

  /**
   * A page of the blobs of `contentType` with `start <= contentCreated < end`, created no later
   * than `now`, accepted by `visible`, beginning at `cursor`.
   */
  page(query: {
    contentType: ContentType
    start: bigint
    end: bigint
    now: Date
    pageSize: number
    cursor?: string
    visible: (blob: ContentBlob) => boolean
  }): Page | 'invalid-cursor' {
    let from: Cursor | undefined
    if (query.cursor !== undefined) {
      from = decodeCursor(query.cursor)
      // A cursor outside the window cannot come from this listing.
      const at = from ? BigInt(from.createdMs) * TICKS_PER_MS : 0n
      if (!from || at < query.start || at >= query.end) return 'invalid-cursor'
    }
    const matching = this.blobs(query.contentType).filter((blob) => {
      const created = ticksOf(blob.contentCreated)
      return created >= query.start && created < query.end && blob.contentCreated <= query.now && query.visible(blob)
    })
    const startIndex = from ? matching.findIndex((b) => !isBefore(b, from)) : 0
    const items = startIndex < 0 ? [] : matching.slice(startIndex, startIndex + query.pageSize)
    const following = startIndex < 0 ? undefined : matching[startIndex + query.pageSize]
    return following
      ? { items, nextPage: encodeCursor({ createdMs: following.contentCreated.getTime(), seq: following.seq }) }
      : { items }
  }

  private newContentId(contentType: ContentType, created: Date): string {
    const kind = contentType.replace('.', '_')
    const region = this.rng.pick(['', '$na0043', '$na0024', '$eu0012'])
    for (;;) {
      const opened = new Date(created.getTime() - this.rng.int(1, 59) * 60_000)
      const id = `${compactStamp(opened)}${this.rng.digits(6)}$${compactStamp(created)}${this.rng.digits(6)}$${kind.toLowerCase()}$${kind}${region}`
      if (!this.byId.has(id)) return id
    }
  }
}

function isBefore(blob: ContentBlob, cursor: Cursor): boolean {
  const t = blob.contentCreated.getTime()
  return t < cursor.createdMs || (t === cursor.createdMs && blob.seq < cursor.seq)
}

/** `yyyyMMddHHmmssfff` in UTC. */
function compactStamp(date: Date): string {
  return date.toISOString().replace(/[-:T.Z]/g, '')
}
