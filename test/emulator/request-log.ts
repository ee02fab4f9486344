/**
 * Every request the emulator saw, for assertions such as "no window over 24 h", "each
 * NextPageUri followed once", "each blob fetched once", "PublisherIdentifier always sent".
 */
import type { FaultKind } from './faults.js'
import { isGraphRoute, type EmulatorRequest, type Route } from './http.js'
import { parseApiTime, TICKS_PER_MS } from './time-window.js'

/** One logged request; `status` is filled in when the answer is sent (0 = connection reset). */
export interface RequestLogEntry {
  seq: number
  /** Emulator-clock time of arrival. */
  at: Date
  method: string
  /** Host (and port) the request addressed: 127.0.0.1:PORT, or a name the emulator answers as. */
  host: string
  /** Path as sent (still percent-encoded). */
  path: string
  route: Route
  /** Query parameters with lower-cased names. */
  query: Record<string, string>
  status: number
  tenant?: string
  contentType?: string
  startTime?: string
  endTime?: string
  nextPage?: string
  contentId?: string
  publisherId?: string
  /** The audit log query a Graph request names. */
  queryId?: string
  /** The fault that shaped the answer, if any. */
  fault?: FaultKind
}

/** A first-page listing request (no `nextPage`), with its times parsed when valid. */
export interface ListWindow {
  contentType?: string
  startTime?: string
  endTime?: string
  start?: Date
  end?: Date
  status: number
}

/** Append-only log with assertion helpers. */
export class RequestLog {
  private readonly list: RequestLogEntry[] = []

  /** All entries, oldest first. */
  get entries(): readonly RequestLogEntry[] {
    return this.list
  }

  /** Number of requests logged. */
  get length(): number {
    return this.list.length
  }

  /** Iterates entries, oldest first. */
  [Symbol.iterator](): Iterator<RequestLogEntry> {
    return this.list[Symbol.iterator]()
  }

  /** Entries matching a predicate. */
  filter(predicate: (entry: RequestLogEntry) => boolean): RequestLogEntry[] {
    return this.list.filter(predicate)
  }

  /** Appends an entry for `req`; the caller sets `status`/`fault` later. */
  record(req: EmulatorRequest, at: Date): RequestLogEntry {
    const q = req.query
    const entry: RequestLogEntry = {
      seq: this.list.length + 1,
      at,
      method: req.method,
      host: req.url.host,
      path: req.url.pathname,
      route: req.route,
      query: Object.fromEntries(q),
      status: 0,
      ...defined({
        tenant: req.tenant,
        contentType: q.get('contenttype'),
        startTime: q.get('starttime'),
        endTime: q.get('endtime'),
        nextPage: q.get('nextpage'),
        contentId: req.contentId,
        publisherId: q.get('publisheridentifier'),
        queryId: req.queryId
      })
    }
    this.list.push(entry)
    return entry
  }

  /** Entries of one route (or several). */
  byRoute(...routes: Route[]): RequestLogEntry[] {
    return this.list.filter((e) => routes.includes(e.route))
  }

  /** Requests per route, e.g. how many Graph status polls (`graph-status`) a run made. */
  countByRoute(options: { status?: number } = {}): Map<Route, number> {
    const counts = new Map<Route, number>()
    for (const e of this.list)
      if (options.status === undefined || e.status === options.status)
        counts.set(e.route, (counts.get(e.route) ?? 0) + 1)
    return counts
  }

  /** Requests to the Graph listener. */
  graphRequests(): RequestLogEntry[] {
    return this.list.filter((e) => isGraphRoute(e.route))
  }

  /**
   * The listing windows asked for: `subscriptions/content` requests without `nextPage`.
   * @param options.successfulOnly keep only 200 answers (default true).
   */
  listWindows(options: { contentType?: string; successfulOnly?: boolean } = {}): ListWindow[] {
    const successfulOnly = options.successfulOnly ?? true
    return this.byRoute('content')
      .filter((e) => e.nextPage === undefined)
      .filter((e) => !successfulOnly || e.status === 200)
      .filter((e) => options.contentType === undefined || e.contentType === options.contentType)
      .map((e) => ({
        status: e.status,
        ...defined({
          contentType: e.contentType,
          startTime: e.startTime,
          endTime: e.endTime,
          start: toDate(e.startTime),
          end: toDate(e.endTime)
        })
      }))
  }

  /** How many times each `nextPage` value was requested (answered 200). */
  nextPageFollowCounts(): Map<string, number> {
    return countBy(
      this.byRoute('content', 'notifications').filter((e) => e.status === 200),
      (e) => e.nextPage
    )
  }

  /** How many times each blob was fetched successfully (or at all, with `successfulOnly: false`). */
  blobFetchCounts(options: { successfulOnly?: boolean } = {}): Map<string, number> {
    const successfulOnly = options.successfulOnly ?? true
    return countBy(
      this.byRoute('blob').filter((e) => !successfulOnly || e.status === 200),
      (e) => e.contentId
    )
  }

  /** Management API requests (not token/openid, not Graph, which has no such parameter) that carried no `PublisherIdentifier`. */
  withoutPublisherId(): RequestLogEntry[] {
    return this.list.filter(
      (e) => e.route !== 'token' && e.route !== 'openid' && !isGraphRoute(e.route) && e.publisherId === undefined
    )
  }

  /** Forgets everything (e.g. between phases of a test). */
  clear(): void {
    this.list.length = 0
  }
}

function countBy(entries: RequestLogEntry[], key: (e: RequestLogEntry) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of entries) {
    const k = key(e)
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  return counts
}

function toDate(text: string | undefined): Date | undefined {
  const ticks = text === undefined ? undefined : parseApiTime(text)
  return ticks === undefined ? undefined : new Date(Number(ticks / TICKS_PER_MS))
}

/** Drops undefined values so optional properties stay absent (exactOptionalPropertyTypes-friendly). */
function defined<T extends Record<string, unknown>>(obj: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>
  }
}
