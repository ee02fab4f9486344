import { STATUS_CODES } from 'node:http'
import { request } from 'undici'
import type { TokenProvider } from '../auth/entra-token.js'
import { parseRetryAfter, withRetry, type RetryableFailure, type RetryPolicy } from '../http/retry.js'
import { BodyBuffers, BodyTooLargeError } from '../http/body-buffers.js'
import { describeNetworkError, headerValue, originOf, REQUEST_TIMEOUT_MS } from '../http/response.js'
import { ApiError, classifyApiError, parseErrorBody } from '../m365/api-error.js'
import type { TimeRange } from '../record/time-range.js'
import { formatInstant, formatRange } from '../util/time.js'
import { queryDisplayName, type QueryFilters } from './query-windows.js'

/**
 * Where the audit log query API lives under a Graph root. Beta, in this one place: the v1.0
 * path answers 404 with an empty message in practice, though documented
 * (https://learn.microsoft.com/graph/api/security-auditcoreroot-post-auditlogqueries).
 */
export const AUDIT_QUERIES_PATH = '/beta/security/auditLog/queries'

/** A query's status (https://learn.microsoft.com/graph/api/resources/security-auditlogquery). */
export type AuditQueryStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'unknownFutureValue'

/** An audit log query as Graph reports it. */
export interface AuditQuery {
  id: string
  displayName: string
  status: AuditQueryStatus
  /** True when the query stopped at its record-count limit: its records are not the whole window. */
  recordCountLimitExceeded: boolean
}

/** Records asked for a page; the service documents neither a default nor a maximum. */
const PAGE_SIZE = 500
/** Largest response read: a page of 500 records is a few MB; anything far larger is not one. */
const MAX_BODY_BYTES = 64 * 1024 * 1024
/** A guard against a service that keeps handing out next pages. */
const MAX_PAGES = 100_000

/**
 * Graph calls back off from seconds to a minute or two: throttling comes without Retry-After
 * as often as with it, and is never worth retrying at once.
 */
export const GRAPH_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 2_000, maxDelayMs: 120_000 }

export interface AuditQueryClientOptions {
  /** The Graph root, e.g. https://graph.microsoft.com: the API host and the token's resource. */
  graphUrl: string
  tokens: TokenProvider
  retry?: RetryPolicy
  onRetry?: (what: string, error: unknown, attempt: number, delayMs: number) => void
  /** Largest response read; default 64 MiB. */
  maxBodyBytes?: number
}

/**
 * Microsoft Graph's audit log queries, as this action uses them: submit a query for a window,
 * read its status, find queries by name, read a finished query's records page by page. Every
 * call is retried when it fails transiently; a status poll answered 400 is one of those (the
 * service answers so when overloaded), a records page that does not parse is another.
 */
export class AuditQueryClient {
  private readonly root: string
  private readonly origin: string
  /** A page at a time per query being read, and a poll or two. */
  private readonly bodies = new BodyBuffers(4)

  constructor(private readonly options: AuditQueryClientOptions) {
    this.origin = new URL(options.graphUrl).origin
    this.root = `${options.graphUrl.replace(/\/+$/, '')}${AUDIT_QUERIES_PATH}`
  }

  /**
   * Submits the query of a window; the service answers 201 with the query, not started. Tried
   * once: a submission whose answer was lost may have created the query all the same, and a
   * refusal for throttling (429: too many queries running, or the day's submissions used up)
   * is not worth trying again at once. The runner looks the query up by its name, or submits
   * it later.
   */
  async submit(window: TimeRange, filters: QueryFilters): Promise<AuditQuery> {
    const what = `submit the audit log query for ${formatRange(window)}`
    const body = {
      displayName: queryDisplayName(window, filters),
      filterStartDateTime: formatInstant(window.start),
      filterEndDateTime: formatInstant(window.end),
      ...nonEmpty('operationFilters', filters.operationFilters),
      ...nonEmpty('recordTypeFilters', filters.recordTypeFilters),
      ...nonEmpty('serviceFilters', filters.serviceFilters)
    }
    return readQuery(await this.call(what, 'POST', this.root, { body, once: true }), what)
  }

  /** A query's current status; tried once, since the runner polls again with its own backoff. */
  async status(id: string): Promise<AuditQuery> {
    const what = `read the status of audit log query ${id}`
    return readQuery(
      await this.call(what, 'GET', `${this.root}/${encodeURIComponent(id)}`, { pollingStatus: true, once: true }),
      what
    )
  }

  /** Every query the tenant keeps (Purview keeps them 30 days), to find one by its name. */
  async list(): Promise<AuditQuery[]> {
    const queries: AuditQuery[] = []
    for await (const page of this.pages('list the audit log queries', this.root)) {
      for (const value of page) queries.push(readQuery(value, 'list the audit log queries'))
    }
    return queries
  }

  /** The records of a succeeded query, a page at a time, as Graph sends them. */
  records(id: string): AsyncGenerator<unknown[]> {
    return this.pages(
      `read the records of audit log query ${id}`,
      `${this.root}/${encodeURIComponent(id)}/records?$top=${PAGE_SIZE}`
    )
  }

  private async *pages(what: string, first: string): AsyncGenerator<unknown[]> {
    const seen = new Set<string>()
    for (let url: string | undefined = first; url !== undefined;) {
      if (seen.has(url))
        throw new ApiError(`${what}: the service returned the same next page twice`, 200, undefined, false)
      if (seen.size >= MAX_PAGES) throw new ApiError(`${what}: more than ${MAX_PAGES} pages`, 200, undefined, false)
      seen.add(url)
      const page = (await this.call(`${what} (page ${seen.size})`, 'GET', url, { page: true })) as {
        value: unknown[]
        '@odata.nextLink'?: unknown
      }
      yield page.value
      const next = page['@odata.nextLink']
      url = typeof next === 'string' && next !== '' ? this.sameOrigin(next, what) : undefined
    }
  }

  private async call(
    what: string,
    method: 'GET' | 'POST',
    url: string,
    options: { body?: unknown; page?: boolean; pollingStatus?: boolean; once?: boolean } = {}
  ): Promise<unknown> {
    const policy = this.options.retry ?? GRAPH_RETRY
    let refreshed = false
    return withRetry(
      async () => {
        const token = await this.options.tokens.getToken(refreshed)
        let status: number
        let text: string
        let retryAfter: string | undefined
        try {
          const response = await request(url, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(options.body === undefined ? {} : { 'content-type': 'application/json' })
            },
            ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
          })
          status = response.statusCode
          retryAfter = headerValue(response.headers, 'retry-after')
          const { bytes, release } = await this.bodies.read(
            response.body,
            Number(headerValue(response.headers, 'content-length')) || undefined,
            this.options.maxBodyBytes ?? MAX_BODY_BYTES
          )
          text = bytes.toString('utf8')
          release()
        } catch (error) {
          // A body far larger than a page is not one: trying again would read it again.
          if (error instanceof BodyTooLargeError)
            throw new ApiError(`${what}: ${error.message}`, undefined, undefined, false)
          throw new ApiError(`${what}: ${describeNetworkError(error)}`, undefined, undefined, true)
        }
        if (status === 401 && !refreshed) {
          refreshed = true
          throw new ApiError(`${what}: 401 Unauthorized; retrying with a fresh token`, 401, undefined, true, 0)
        }
        if (status < 200 || status >= 300) throw graphFailure(what, status, text, retryAfter, options.pollingStatus)
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          throw new ApiError(
            `${what}: the response is not complete JSON (${text.length} bytes)`,
            status,
            undefined,
            true
          )
        }
        if (options.page && !Array.isArray((body as { value?: unknown } | null)?.value))
          throw new ApiError(`${what}: the response has no list of values`, status, undefined, true)
        return body
      },
      (error) => classifyGraphError(error, options.once ?? false),
      options.once ? { ...policy, attempts: 1 } : policy,
      (error, attempt, delayMs) => this.options.onRetry?.(what, error, attempt, delayMs)
    )
  }

  private sameOrigin(url: string, what: string): string {
    // The bearer token goes only to the Graph host, whatever a response says the next page is.
    if (originOf(url) !== this.origin)
      throw new ApiError(
        `${what}: the next page is on another host; refusing to send the token there`,
        200,
        undefined,
        false
      )
    return url
  }
}

/** Throttled calls back off like any transient failure (or as Retry-After says), unless tried once. */
function classifyGraphError(error: unknown, once: boolean): RetryableFailure {
  const failure = classifyApiError(error)
  if (!(error instanceof ApiError) || error.status !== 429) return failure
  if (once) return { retryable: false }
  return { retryable: true, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) }
}

/**
 * A failed call, explained by what the service said. Throttling (429) and server errors are
 * retried; a status poll answered 400 is too. The rest says what the user can do.
 */
export function graphFailure(
  what: string,
  status: number,
  text: string,
  retryAfter?: string,
  pollingStatus = false
): ApiError {
  const { code, message } = parseErrorBody(text)
  const detail = [code, message].filter(Boolean).join(' ') || STATUS_CODES[status] || ''
  const transient = status === 408 || status === 429 || status >= 500 || (pollingStatus && status === 400)
  const advice = transient ? undefined : graphAdvice(status, code, message)
  return new ApiError(
    `${what}: HTTP ${status} ${detail}`.trimEnd() + (advice ? `. ${advice}` : ''),
    status,
    code,
    transient,
    parseRetryAfter(retryAfter)
  )
}

/** What the user can do about a refusal, by what it is. */
function graphAdvice(status: number, code: string | undefined, message: string | undefined): string | undefined {
  if (message?.includes('AuditingDisabledTenant'))
    return 'Audit logging is off in the tenant: turn it on in Microsoft Purview (Audit). It does not backfill: the log holds records from when it is on'
  if (status === 403)
    return (
      'The app lacks the Microsoft Graph application permission AuditLogsQuery.Read.All, or an administrator has not consented to it. ' +
      'Add it under API permissions (Microsoft Graph, application) and grant admin consent (a Privileged Role Administrator or Global Administrator can)'
    )
  if (status === 401)
    return 'The token was refused: check that graph-url names the Microsoft Graph root of the tenant’s cloud (the token is asked for <graph-url>/.default)'
  if (status === 400 && /invalid request data/i.test(message ?? ''))
    return 'Graph refused the query’s window or filters: check start, end, operations, record-types and workloads'
  if (status === 404 && code === 'UnknownError')
    return 'The audit log query API is not served at this Graph root: it exists in the commercial and GCC clouds only'
  return undefined
}

function readQuery(value: unknown, what: string): AuditQuery {
  const query = value as Record<string, unknown> | null
  if (!query || typeof query['id'] !== 'string' || typeof query['status'] !== 'string')
    throw new ApiError(`${what}: the response is not an audit log query`, 200, undefined, true)
  return {
    id: query['id'],
    displayName: typeof query['displayName'] === 'string' ? query['displayName'] : '',
    status: query['status'] as AuditQueryStatus,
    recordCountLimitExceeded: limitExceeded(query)
  }
}

/**
 * Whether a query stopped at its record-count limit: `isRecordCountLimitExceeded`, which
 * Microsoft calls authoritative; a response without it (older ones lack it) is judged by
 * the counts, so that a cut result is never taken for a whole window.
 */
function limitExceeded(query: Record<string, unknown>): boolean {
  const flag = query['isRecordCountLimitExceeded']
  if (typeof flag === 'boolean') return flag
  const count = query['approximateReturnedRecordCount']
  const limit = query['recordCountLimit']
  return typeof count === 'number' && typeof limit === 'number' && count >= limit
}

function nonEmpty(name: string, values: readonly string[] | undefined): Record<string, string[]> {
  return values && values.length > 0 ? { [name]: [...values] } : {}
}
