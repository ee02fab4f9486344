import type { ContentType } from '../record/content-types.js'
import { formatInstant, formatRange } from '../util/time.js'
import {
  describeNetworkError,
  headerValue,
  hostOf,
  originOf,
  REQUEST_TIMEOUT_MS,
  type IncomingHeaders
} from '../http/response.js'
import { STATUS_CODES } from 'node:http'
import { request, type Dispatcher } from 'undici'
import { BodyBuffers, BodyTooLargeError } from '../http/body-buffers.js'
import { createQuotaLimiter, DOCUMENTED_QUOTA_PER_MINUTE, type QuotaLimiter } from '../http/quota-limiter.js'
import { DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryPolicy } from '../http/retry.js'
import type { TimeRange } from '../record/time-range.js'
import type { TokenProvider } from '../auth/entra-token.js'
import { ApiError, classifyApiError, isTransient, parseErrorBody, retryAfterFromMessage } from './api-error.js'
import { BlobFormatError, fieldKeys, scanRecords, type BlobRecords } from '../record/record-scanner.js'
import { SCANNED_COLUMNS } from '../record/columns.js'

/** A content blob as `subscriptions/content` lists it. */
export interface ContentBlob {
  contentType: string
  contentId: string
  contentUri: string
  contentCreated: string
  contentExpiration: string
}

/** A subscription as `subscriptions/list` reports it. */
export interface Subscription {
  contentType: string
  status: string
}

/** Where the API is and who is calling. */
export interface ActivityClientOptions {
  /** API host, e.g. https://manage.office.com. */
  audience: string
  tenantId: string
  publisherId: string
  tokens: TokenProvider
  retry?: RetryPolicy
  /** Shared by every call of the run; defaults to one that starts at the documented quota. */
  limiter?: QuotaLimiter
  /** Told of every retry, for the log. */
  onRetry?: (what: string, error: unknown, attempt: number, delayMs: number) => void
  /** Largest response read (MAX_RESPONSE_BYTES unless a test says). */
  maxBodyBytes?: number
}

/**
 * Largest response read. A content blob holds at most a few thousand records, megabytes; a
 * body far larger is not one, and held whole it would take the runner's memory (downloads
 * run several at a time). It fails its window, named, and the rest of the run goes on.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024

/** Response bodies read at once, about: downloads in flight plus a listing or two. */
const BODY_BUFFERS_KEPT = 12
/** A guard against a service that keeps handing out the same next page. */
const MAX_PAGES = 5_000

/**
 * The Office 365 Management Activity API, as this action uses it. Every call carries
 * PublisherIdentifier (without it the tenant shares a global quota) and is retried when the
 * failure is transient. A 401 gets one fresh token, since a revoked token can be unexpired.
 */
export class ActivityClient {
  private readonly root: string
  private readonly origin: string
  private readonly limiter: QuotaLimiter
  private readonly bodies = new BodyBuffers(BODY_BUFFERS_KEPT)

  constructor(private readonly options: ActivityClientOptions) {
    this.limiter = options.limiter ?? createQuotaLimiter({ perMinute: DOCUMENTED_QUOTA_PER_MINUTE })
    this.origin = new URL(options.audience).origin
    this.root = `${this.origin}/api/v1.0/${options.tenantId}/activity/feed`
  }

  /** `subscriptions/list`: every subscription of the tenant with its status. */
  async listSubscriptions(): Promise<Subscription[]> {
    const { body } = await this.call('list subscriptions', 'GET', `${this.root}/subscriptions/list`, { array: true })
    return body as Subscription[]
  }

  /** `subscriptions/start`; an already enabled subscription (AF20024) is not an error. */
  async startSubscription(type: ContentType): Promise<'started' | 'already-enabled'> {
    try {
      await this.call(
        `start subscription ${type}`,
        'POST',
        `${this.root}/subscriptions/start?contentType=${encodeURIComponent(type)}`
      )
      return 'started'
    } catch (error) {
      if (error instanceof ApiError && error.code === 'AF20024') return 'already-enabled'
      throw error
    }
  }

  /** Lists the blobs of one window page by page, following NextPageUri to the end. */
  async *listContent(type: ContentType, segment: TimeRange): AsyncGenerator<ContentBlob[]> {
    let url: string | undefined =
      `${this.root}/subscriptions/content?contentType=${encodeURIComponent(type)}` +
      `&startTime=${formatInstant(segment.start)}&endTime=${formatInstant(segment.end)}`
    const seen = new Set<string>()
    const what = `list ${type} ${formatRange(segment)}`
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES) {
        throw new ApiError(
          `${what}: the API returned the same next page twice (${seen.size} pages so far).`,
          200,
          undefined,
          false
        )
      }
      seen.add(url)
      const { body, headers } = await this.call(what, 'GET', url, { array: true })
      yield body as ContentBlob[]
      // The service sends NextPageUri, gateways lower-case it; undici gives header names in lower case.
      const next = headerValue(headers, 'nextpageuri')
      url = next ? this.sameOrigin(next, what) : undefined
    }
  }

  /**
   * Downloads a blob and hands its bytes, with where its records and their snapshot fields
   * are, to `use`, which must take what it needs before it returns (the scan's buffers serve
   * the next blob). A truncated or malformed body is retried like any transient failure.
   */
  releaseBuffers(): void {
    this.bodies.clear()
  }

  async fetchBlob<T>(blob: ContentBlob, use: (content: BlobContent) => T): Promise<T> {
    const what = `download ${blob.contentType} blob ${blob.contentId}`
    // The bearer token goes only to the API host, whatever a response says a URI is.
    const url = this.isSameOrigin(blob.contentUri)
      ? blob.contentUri
      : `${this.root}/audit/${encodeURIComponent(blob.contentId)}`
    const { body } = await this.call(what, 'GET', url, { read: (bytes, status) => use(readBlob(bytes, status, what)) })
    return body
  }

  /**
   * One API call, retried as a whole when it fails transiently. The body is JSON (with
   * `array`, a 200 whose body is not a JSON array, as the service sometimes sends with an
   * error object, is such a failure too), or whatever `read` makes of its bytes.
   */
  private async call<T = unknown>(
    what: string,
    method: 'GET' | 'POST',
    url: string,
    expect: { array?: boolean; read?: (bytes: Buffer, status: number) => T } = {}
  ): Promise<{ body: T; headers: IncomingHeaders }> {
    const target = withPublisher(url, this.options.publisherId)
    let refreshed = false
    return withRetry(
      async () => {
        const token = await this.options.tokens.getToken(refreshed)
        await this.limiter.acquire()
        let response: Dispatcher.ResponseData
        let bytes: Buffer
        try {
          response = await request(target, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(method === 'POST' ? { 'content-type': 'application/json; charset=utf-8' } : {})
            },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
          })
        } catch (error) {
          throw new ApiError(`${what}: ${describeNetworkError(error)}`, undefined, undefined, true)
        }
        const status = response.statusCode
        let release: () => void
        try {
          ;({ bytes, release } = await this.bodies.read(
            response.body,
            Number(headerValue(response.headers, 'content-length')),
            this.options.maxBodyBytes ?? MAX_RESPONSE_BYTES
          ))
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            // Not worth reading again (the reader let the connection go).
            throw new ApiError(
              `${what}: the response is larger than ${sizeText(error.maxBytes)}, which no content blob or listing is; ` +
                `the window is retried by the next run, and reported as a gap if the API keeps answering so.`,
              status,
              'ResponseTooLarge',
              false
            )
          }
          throw new ApiError(
            `${what}: the connection dropped while reading the response (${describeNetworkError(error)})`,
            status,
            undefined,
            true
          )
        }
        let text: string
        try {
          if (status === 401 && !refreshed) {
            refreshed = true
            throw new ApiError(`${what}: 401 Unauthorized; retrying with a fresh token`, 401, undefined, true, 0)
          }
          if (status < 200 || status >= 300) {
            const failure = this.failure(what, status, response.headers, bytes.toString('utf8'))
            if (failure.throttled) this.limiter.throttled(failure.retryAfterMs)
            throw failure
          }
          this.limiter.succeeded()
          if (expect.read) return { body: expect.read(bytes, status), headers: response.headers }
          text = bytes.toString('utf8')
        } finally {
          release()
        }
        if (text.trim() === '' && !expect.array) return { body: undefined as T, headers: response.headers }
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          throw new ApiError(
            `${what}: the response body is not complete JSON (${text.length} bytes); it was probably cut off`,
            status,
            undefined,
            true
          )
        }
        if (expect.array) expectArray(body, what)
        return { body: body as T, headers: response.headers }
      },
      classifyApiError,
      this.options.retry ?? DEFAULT_RETRY,
      (error, attempt, delayMs) => this.options.onRetry?.(what, error, attempt, delayMs)
    )
  }

  private failure(what: string, status: number, headers: IncomingHeaders, text: string): ApiError {
    const { code, message } = parseErrorBody(text)
    const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after')) ?? retryAfterFromMessage(message)
    const detail = [code, message].filter(Boolean).join(' ') || STATUS_CODES[status] || ''
    return new ApiError(
      `${what}: HTTP ${status} ${detail}`.trimEnd(),
      status,
      code,
      isTransient(status, code),
      retryAfter
    )
  }

  private isSameOrigin(url: string): boolean {
    return originOf(url) === this.origin
  }

  private sameOrigin(url: string, what: string): string {
    if (!this.isSameOrigin(url)) {
      throw new ApiError(
        `${what}: NextPageUri points to another host (${hostOf(url)}); refusing to send the token there.`,
        200,
        undefined,
        false
      )
    }
    return url
  }
}

function withPublisher(url: string, publisherId: string): string {
  if (/[?&]publisheridentifier=/i.test(url)) return url
  return `${url}${url.includes('?') ? '&' : '?'}PublisherIdentifier=${encodeURIComponent(publisherId)}`
}

/** A blob's bytes and its records, found (and escaped for CSV) by the scanner. */
export interface BlobContent {
  bytes: Buffer
  records: BlobRecords
}

/** The fields the snapshot takes from each record, in column order. */
const BLOB_FIELDS = fieldKeys(SCANNED_COLUMNS)

function readBlob(bytes: Buffer, status: number, what: string): BlobContent {
  try {
    return { bytes, records: scanRecords(bytes, BLOB_FIELDS) }
  } catch (error) {
    if (!(error instanceof BlobFormatError)) throw error
    if (error.truncated)
      throw new ApiError(`${what}: ${error.message} (${bytes.length} bytes)`, status, undefined, true)
    // The service sometimes answers 200 with an error object instead of the array.
    let body: unknown
    try {
      body = JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new ApiError(`${what}: ${error.message}`, status, undefined, true)
    }
    expectArray(body, what)
    throw new ApiError(`${what}: ${error.message}`, status, undefined, true)
  }
}

function expectArray(body: unknown, what: string): void {
  if (Array.isArray(body)) return
  // The service sometimes answers 200 with an error object instead of the array.
  const { code, message } = parseErrorBody(JSON.stringify(body ?? null))
  throw new ApiError(
    `${what}: expected a JSON array, got ${code ? `${code} ${message ?? ''}`.trim() : typeof body}`,
    200,
    code,
    true
  )
}

/** 268435456 → "256 MiB"; small sizes in bytes. */
function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${bytes} bytes`
}
