/**
 * The Management Activity API routes under `/api/v1.0/{tenant}/activity/feed/`: authorisation,
 * subscriptions, content listing with paging, blob retrieval, as the Management Activity API
 * reference describes them (see this folder's README.md).
 */
import { isContentType, type ContentType } from './content-types.js'
import type { Entra } from './entra.js'
import { af, AUTHORIZATION_DENIED, isApiError, type ApiError } from './errors.js'
import type { ContentBlob, Feed } from './feed.js'
import { CONTENT_ID_PATTERN } from './feed.js'
import { apiJson, iisHeaders, type EmulatorRequest, type EmulatorResponse } from './http.js'
import type { Subscriptions } from './subscriptions.js'
import { resolveWindow, type ListingWindow } from './time-window.js'

/** Settings the API routes need. */
export interface ActivityApiSettings {
  tenantId: string
  pageSize: number
  now: () => Date
  /** Oldest allowed `startTime`: retention plus grace, in ms. */
  maxAgeMs: number
  omittedWindowMode: 'last24h' | 'todayUtc'
  /** When true, blobs created while the subscription was off are never listed. */
  contentRequiresSubscription: boolean
  /** The application permission every call needs. */
  requiredRole: string
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The sensitive-information types `resources/dlpSensitiveTypes` lists (a small sample). */
const DLP_SENSITIVE_TYPES = [
  { id: '50842eb7-edc8-4019-85dd-5a5c1f2bb085', name: 'CreditCardNumber' },
  { id: 'a44669fe-0d48-453d-a9b1-2cc83f2cba77', name: 'U.S. Social Security Number (SSN)' },
  { id: 'e55e2a32-f92d-4985-a35d-a0b269eb687b', name: 'International Banking Account Number (IBAN)' }
]

/** Route handlers of the Management Activity API. */
export class ActivityApi {
  constructor(
    private readonly settings: ActivityApiSettings,
    private readonly entra: Entra,
    private readonly subscriptions: Subscriptions,
    private readonly feed: Feed
  ) {}

  /** Answers one API request (route already classified by the router). */
  handle(req: EmulatorRequest): EmulatorResponse {
    if (req.route === 'unknown') {
      return apiJson(404, { Message: `No HTTP resource was found that matches the request URI '${req.url.href}'.` })
    }
    const expectedMethod = req.route === 'start' || req.route === 'stop' ? 'POST' : 'GET'
    if (req.method !== expectedMethod) {
      return apiJson(405, { Message: `The requested resource does not support http method '${req.method}'.` })
    }
    const denied = this.authorise(req)
    if (denied) return denied
    switch (req.route) {
      case 'start':
        return this.start(req)
      case 'stop':
        return this.stop(req)
      case 'list':
        return apiJson(200, this.subscriptions.list())
      case 'content':
      case 'notifications':
        return this.listContent(req)
      case 'blob':
        return this.getBlob(req)
      case 'dlp':
        return apiJson(200, DLP_SENSITIVE_TYPES)
      default:
        return apiJson(404, { Message: 'Not found.' })
    }
  }

  /** Token, tenant and permission checks, in the order the service appears to apply them. */
  private authorise(req: EmulatorRequest): EmulatorResponse | undefined {
    const claims = this.entra.validateAccessToken(req.headers.authorization)
    if (!claims) return apiJson(401, AUTHORIZATION_DENIED, { 'WWW-Authenticate': 'Bearer error="invalid_token"' })
    const tenant = req.tenant ?? ''
    if (!GUID.test(tenant)) return send(af.tenantNotGuid(tenant))
    if (tenant.toLowerCase() !== claims.tid.toLowerCase()) return send(af.tenantMismatch(tenant, claims.tid))
    if (tenant.toLowerCase() !== this.settings.tenantId.toLowerCase()) return send(af.tenantNotFound(tenant))
    const roles = Array.isArray(claims.roles) ? claims.roles : []
    if (!roles.includes(this.settings.requiredRole))
      return send(af.missingPermission(roles, this.settings.requiredRole))
    return undefined
  }

  private start(req: EmulatorRequest): EmulatorResponse {
    const ct = contentTypeOf(req)
    if (isApiError(ct)) return send(ct)
    const result = this.subscriptions.start(ct)
    return isApiError(result) ? send(result) : apiJson(200, result)
  }

  private stop(req: EmulatorRequest): EmulatorResponse {
    const ct = contentTypeOf(req)
    if (isApiError(ct)) return send(ct)
    const error = this.subscriptions.stop(ct)
    // The service answers a stop with 200 and an empty body.
    return error ? send(error) : { status: 200, headers: { ...iisHeaders(), 'Content-Length': '0' }, body: '' }
  }

  private listContent(req: EmulatorRequest): EmulatorResponse {
    const s = this.settings
    const ct = contentTypeOf(req)
    if (isApiError(ct)) return send(ct)
    const unreadable = this.subscriptions.checkReadable(ct)
    if (unreadable) return send(unreadable)
    const now = s.now()
    const window = resolveWindow(req.query.get('starttime'), req.query.get('endtime'), {
      now,
      maxAgeMs: s.maxAgeMs,
      omittedWindowMode: s.omittedWindowMode
    })
    if (isApiError(window)) return send(window)
    const rawCursor = req.query.get('nextpage')
    // An empty `nextpage=` (as a loop's first call may send) means "first page".
    const cursor = rawCursor === '' ? undefined : rawCursor
    const page = this.feed.page({
      contentType: ct,
      start: window.start,
      end: window.end,
      now,
      pageSize: s.pageSize,
      ...(cursor === undefined ? {} : { cursor }),
      visible: (blob) => !s.contentRequiresSubscription || this.subscriptions.wasEnabledAt(ct, blob.contentCreated)
    })
    if (page === 'invalid-cursor') return send(af.invalidNextPage(cursor ?? ''))
    const items = page.items.map((blob) =>
      req.route === 'notifications'
        ? {
            ...this.listItem(req, blob),
            notificationSent: blob.contentCreated.toISOString(),
            notificationStatus: 'Success'
          }
        : this.listItem(req, blob)
    )
    const extra: Record<string, string> = page.nextPage
      ? { NextPageUri: this.nextPageUri(req, ct, window, page.nextPage) }
      : {}
    return apiJson(200, items, extra)
  }

  private getBlob(req: EmulatorRequest): EmulatorResponse {
    const id = req.contentId ?? ''
    if (!CONTENT_ID_PATTERN.test(id)) return send(af.invalidContentId(id))
    const blob = this.feed.get(id)
    const now = this.settings.now()
    // A blob the clock has not reached yet does not exist for clients.
    if (!blob || blob.contentCreated > now) return send(af.contentNotFound(id))
    if (blob.contentExpiration <= now) return send(af.contentExpired(id))
    return blob.body ? { status: 200, headers: iisHeaders(), body: blob.body } : apiJson(200, blob.records)
  }

  private listItem(req: EmulatorRequest, blob: ContentBlob) {
    return {
      contentType: blob.contentType,
      contentId: blob.contentId,
      // `$` is legal in a path; the service leaves it unencoded and so do we.
      contentUri: `${req.url.origin}/api/v1.0/${this.settings.tenantId}/activity/feed/audit/${blob.contentId}`,
      contentCreated: blob.contentCreated.toISOString(),
      contentExpiration: blob.contentExpiration.toISOString()
    }
  }

  /**
   * The documented NextPageUri uses `/api/v1/` and repeats the window; we repeat the client's
   * own time texts (or the implicit window) and its PublisherIdentifier, so following the
   * header verbatim keeps the caller in its quota.
   */
  private nextPageUri(req: EmulatorRequest, ct: ContentType, window: ListingWindow, nextPage: string): string {
    const segment = req.route === 'notifications' ? 'notifications' : 'content'
    const url = new URL(`${req.url.origin}/api/v1/${req.tenant ?? ''}/activity/feed/subscriptions/${segment}`)
    url.searchParams.set('contentType', ct)
    url.searchParams.set('startTime', window.startText)
    url.searchParams.set('endTime', window.endText)
    const publisher = req.query.get('publisheridentifier')
    if (publisher !== undefined) url.searchParams.set('PublisherIdentifier', publisher)
    url.searchParams.set('nextPage', nextPage)
    return url.href
  }
}

function contentTypeOf(req: EmulatorRequest): ContentType | ApiError {
  const value = req.query.get('contenttype')
  if (value === undefined || value === '') return af.missingParameter('contentType')
  return isContentType(value) ? value : af.invalidContentType()
}

function send(error: ApiError): EmulatorResponse {
  return apiJson(error.status, error.body)
}
