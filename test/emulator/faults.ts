/**
 * Fault injection per route, and the tenant-wide request quota.
 *
 * A fault rule picks requests (route, `match`, every N-th, seeded probability, a budget of
 * `times`) and replaces or distorts the answer. The first rule that fires wins. On the Graph
 * routes the answers take Graph's shape (JSON error bodies, 429 for throttling).
 */
import { af, AUTHORIZATION_DENIED } from './errors.js'
import { GRAPH_WWW_AUTHENTICATE, graphError, retryAfter } from './graph-http.js'
import { apiJson, isGraphRoute, type EmulatorRequest, type EmulatorResponse, type Route } from './http.js'
import type { Rng } from './rng.js'

/** The ways a request can go wrong. */
export type FaultKind =
  /** 403 AF429, the documented throttling answer. */
  | 'throttle'
  /** HTTP 429 with an AF429 body, the undocumented variant. */
  | 'throttle-429'
  /** 500 AF50000. */
  | 'internal-error'
  /** 503 with IIS's HTML page (not JSON). */
  | 'unavailable'
  /** 408 request timeout. */
  | 'timeout'
  /** The TCP connection is destroyed without an answer. */
  | 'reset'
  /** 200 whose JSON body is cut in the middle (consistent Content-Length). */
  | 'truncated'
  /** 200 carrying `{"error":…}` where an array was due. */
  | 'error-object'
  /** The normal answer, after `delayMs`. */
  | 'slow'
  /** 401 "Authorization has been denied" although the token is fine. */
  | 'invalid-token'
  /** AF20051 (content expired). */
  | 'expired'
  /** AF20050 (content missing); 404 NotFound on Graph routes. */
  | 'missing'
  /** 400 (Graph: BadRequest, as a status poll sometimes answers; Management: ASP.NET's invalid request). */
  | 'bad-request'
  /** 200 with a body of `bytes` (a JSON array of blanks), streamed as the client reads it: a blob far past any size. */
  | 'huge'

/** How to pick requests and what to do to them. */
export interface FaultRule {
  /** One route, several, or `'*'` for all. */
  route: Route | readonly Route[] | '*'
  kind: FaultKind
  /** Fire at most this many times (default unlimited). */
  times?: number
  /** Fire only on every N-th matching request (1-based: every 3 → 3rd, 6th, …). */
  every?: number
  /** Fire with this probability, drawn from the emulator's seeded RNG. */
  probability?: number
  /** Extra predicate on the request. */
  match?: (req: EmulatorRequest) => boolean
  /** Adds `Retry-After` to throttling answers (on Graph routes, to every error answer). */
  retryAfterSeconds?: number
  /** For `slow` (default 1,000 ms). */
  delayMs?: number
  /** For `internal-error` on Management routes: the error's message instead of the service's (hostile text, say). */
  message?: string
  /** For `huge`: the body's size (default 2 GiB). */
  bytes?: number
  /** For `huge`: send its Content-Length (default), or stream it chunked, without one. */
  sized?: boolean
}

/** A registered rule; `fired` counts how often it acted. */
export interface ActiveFault {
  readonly rule: FaultRule
  readonly fired: number
  readonly seen: number
  remove(): void
}

/** What the server must do for a faulted request. */
export type FaultAction =
  | { type: 'respond'; response: EmulatorResponse }
  | { type: 'reset' }
  | { type: 'distort'; distort: (normal: EmulatorResponse) => EmulatorResponse }
  | { type: 'delay'; ms: number }
  | { type: 'stream'; bytes: number; sized: boolean }

/** The method names the service prints in AF429 messages. */
const METHOD_NAMES: Partial<Record<Route, string>> = {
  blob: 'GetBlob',
  content: 'ListContent',
  notifications: 'ListNotifications',
  start: 'StartSubscription',
  stop: 'StopSubscription',
  list: 'ListSubscriptions',
  dlp: 'GetDlpSensitiveTypes'
}

/** Registry of fault rules. */
export class Faults {
  private readonly rules: { rule: FaultRule; fired: number; seen: number }[] = []
  private maxStreak = Infinity
  /** Faults in a row per request target (method, path and query), reset by a clean answer. */
  private readonly streaks = new Map<string, number>()

  constructor(
    private readonly rng: Rng,
    /** Emulator clock, for the date in Graph error bodies. */
    private readonly now: () => Date = () => new Date()
  ) {}

  /** Registers a rule; returns a handle to inspect or remove it. */
  add(rule: FaultRule): ActiveFault {
    const entry = { rule, fired: 0, seen: 0 }
    this.rules.push(entry)
    return {
      rule,
      get fired() {
        return entry.fired
      },
      get seen() {
        return entry.seen
      },
      remove: () => {
        const index = this.rules.indexOf(entry)
        if (index >= 0) this.rules.splice(index, 1)
      }
    }
  }

  /** Removes every rule and the streak limit. */
  clear(): void {
    this.rules.length = 0
    this.streaks.clear()
    this.maxStreak = Infinity
  }

  /**
   * Lets no target fault more than `max` times in a row. Random faults are independent per
   * request, so now and then one request loses every retry; a test about recovering from
   * transient faults needs each retry chain to end, whatever order concurrency gave the draws.
   */
  limitStreaks(max: number): void {
    this.maxStreak = max
  }

  /** The first rule that fires for `req`, as an action, or undefined. */
  pick(req: EmulatorRequest): { kind: FaultKind; action: FaultAction } | undefined {
    const target = `${req.method} ${req.url.pathname}${req.url.search}`
    const streak = this.streaks.get(target) ?? 0
    if (streak >= this.maxStreak) {
      this.streaks.delete(target)
      return undefined
    }
    const picked = this.firstFiring(req)
    if (picked) this.streaks.set(target, streak + 1)
    else this.streaks.delete(target)
    return picked
  }

  private firstFiring(req: EmulatorRequest): { kind: FaultKind; action: FaultAction } | undefined {
    for (const entry of this.rules) {
      const { rule } = entry
      if (!routeMatches(rule.route, req.route) || (rule.match && !rule.match(req))) continue
      if (rule.times !== undefined && entry.fired >= rule.times) continue
      entry.seen++
      if (rule.every !== undefined && entry.seen % rule.every !== 0) continue
      if (rule.probability !== undefined && !this.rng.chance(rule.probability)) continue
      entry.fired++
      return {
        kind: rule.kind,
        action: isGraphRoute(req.route) ? graphActionFor(rule, req, this.now()) : actionFor(rule, req)
      }
    }
    return undefined
  }
}

function routeMatches(wanted: FaultRule['route'], route: Route): boolean {
  if (wanted === '*') return true
  return typeof wanted === 'string' ? wanted === route : wanted.includes(route)
}

/** Builds the answer of a throttled request (shared with the quota). */
export function throttled(req: EmulatorRequest, status: 403 | 429, retryAfterSeconds?: number): EmulatorResponse {
  const error = af.tooManyRequests(METHOD_NAMES[req.route] ?? 'Unknown', req.query.get('publisheridentifier'), status)
  const extra: Record<string, string> =
    retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }
  return apiJson(error.status, error.body, extra)
}

function actionFor(rule: FaultRule, req: EmulatorRequest): FaultAction {
  const respond = (response: EmulatorResponse): FaultAction => ({ type: 'respond', response })
  switch (rule.kind) {
    case 'throttle':
      return respond(throttled(req, 403, rule.retryAfterSeconds))
    case 'throttle-429':
      return respond(throttled(req, 429, rule.retryAfterSeconds))
    case 'internal-error': {
      const e = af.internal()
      const body = rule.message === undefined ? e.body : { error: { ...e.body.error, message: rule.message } }
      return respond(apiJson(e.status, body))
    }
    case 'unavailable':
      return respond({
        status: 503,
        headers: { 'Content-Type': 'text/html', Server: 'Microsoft-HTTPAPI/2.0' },
        body: '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n'
      })
    case 'timeout':
      return respond({
        status: 408,
        headers: { 'Content-Type': 'text/html', Server: 'Microsoft-HTTPAPI/2.0' },
        body: '<HTML><BODY><h2>Request Timeout</h2><hr><p>HTTP Error 408. The request timed out.</p></BODY></HTML>'
      })
    case 'reset':
      return { type: 'reset' }
    case 'truncated':
      return {
        type: 'distort',
        distort: (normal) => {
          const bytes = Buffer.from(normal.body)
          // At least one byte, never the whole body: the cut must land mid-document.
          const cut = Math.max(1, Math.min(bytes.length - 1, Math.floor(bytes.length / 2)))
          return { ...normal, status: 200, body: bytes.subarray(0, cut) }
        }
      }
    case 'error-object': {
      const e = af.internal()
      return respond(apiJson(200, e.body))
    }
    case 'slow':
      return { type: 'delay', ms: rule.delayMs ?? 1_000 }
    case 'invalid-token':
      return respond(apiJson(401, AUTHORIZATION_DENIED, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }))
    case 'expired': {
      const e = af.contentExpired(req.contentId ?? '')
      return respond(apiJson(e.status, e.body))
    }
    case 'missing': {
      const e = af.contentNotFound(req.contentId ?? '')
      return respond(apiJson(e.status, e.body))
    }
    case 'bad-request':
      return respond(apiJson(400, { Message: 'The request is invalid.' }))
    case 'huge':
      return { type: 'stream', bytes: rule.bytes ?? 2 * 1024 ** 3, sized: rule.sized ?? true }
  }
}

/** The same faults as Graph's gateway and workload answer them: JSON bodies, 429 for throttling. */
function graphActionFor(rule: FaultRule, req: EmulatorRequest, now: Date): FaultAction {
  const retry = retryAfter(rule.retryAfterSeconds)
  const respond = (status: number, code: string, message: string, extra = retry): FaultAction => ({
    type: 'respond',
    response: graphError(status, code, message, req, now, extra)
  })
  switch (rule.kind) {
    case 'throttle':
    case 'throttle-429':
      return respond(429, 'TooManyRequests', 'Too many requests.')
    case 'internal-error':
      return respond(500, 'InternalServerError', 'An internal server error occurred.')
    case 'unavailable':
      return respond(503, 'ServiceUnavailable', 'The service is temporarily unavailable.')
    case 'timeout':
      return respond(504, 'GatewayTimeout', 'The request timed out.')
    case 'invalid-token':
      return respond(401, 'InvalidAuthenticationToken', 'Access token validation failure.', {
        'WWW-Authenticate': GRAPH_WWW_AUTHENTICATE
      })
    case 'expired':
    case 'missing':
      return respond(404, 'NotFound', `The audit log query '${req.queryId ?? ''}' was not found.`)
    case 'bad-request':
      return respond(400, 'BadRequest', 'Invalid request data')
    case 'error-object':
      return {
        type: 'respond',
        response: {
          ...graphError(500, 'InternalServerError', 'An internal server error occurred.', req, now),
          status: 200
        }
      }
    case 'reset':
    case 'truncated':
    case 'slow':
    case 'huge':
      return actionFor(rule, req)
  }
}

/** Options of the tenant-wide quota. */
export interface QuotaOptions {
  /** Requests per minute (the documented baseline is 2,000). */
  requestsPerMinute?: number
  /**
   * `bucket` (default): a token bucket refilled continuously. `rolling-minute`: at most
   * `requestsPerMinute` accepted requests in any 60 seconds, as a tenant-wide quota that other
   * tools share behaves when they have used part of it.
   */
  window?: 'bucket' | 'rolling-minute'
  /** 403 (documented) or 429. */
  status?: 403 | 429
  retryAfterSeconds?: number
}

/**
 * The tenant's quota on the emulator clock (a frozen clock means a fixed budget). Throttled
 * requests do not count against it; `accepted` and `throttled` tell a test how it went.
 */
export class Quota {
  private tokens: number
  private last: number
  private readonly perMs: number
  private readonly acceptedAt: number[] = []
  accepted = 0
  throttled = 0

  constructor(
    private readonly options: QuotaOptions,
    private readonly now: () => Date
  ) {
    const rpm = options.requestsPerMinute ?? 2_000
    this.tokens = rpm
    this.perMs = rpm / 60_000
    this.last = now().getTime()
  }

  /** Takes one request from the quota; returns the throttled answer when there is no room. */
  take(req: EmulatorRequest): EmulatorResponse | undefined {
    if (this.admit(this.now().getTime())) {
      this.accepted++
      return undefined
    }
    this.throttled++
    return throttled(req, this.options.status ?? 403, this.options.retryAfterSeconds)
  }

  private admit(now: number): boolean {
    const capacity = this.options.requestsPerMinute ?? 2_000
    if (this.options.window === 'rolling-minute') {
      while (this.acceptedAt.length > 0 && this.acceptedAt[0]! <= now - 60_000) this.acceptedAt.shift()
      if (this.acceptedAt.length >= capacity) return false
      this.acceptedAt.push(now)
      return true
    }
    this.tokens = Math.min(capacity, this.tokens + Math.max(0, now - this.last) * this.perMs)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
