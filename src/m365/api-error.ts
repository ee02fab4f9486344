import type { RetryableFailure } from '../http/retry.js'

/**
 * A failed Management API call. `code` is the AF code of the error body
 * (`{"error":{"code":"AF20022","message":"..."}}`) when there was one.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly retryable: boolean,
    readonly retryAfterMs?: number
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /**
   * The tenant's quota refused the call: 403 with AF429 (as documented), or a 429. (The
   * subscription-start throttle, 403 with code "429", is another matter: see subscriptions.)
   */
  get throttled(): boolean {
    return this.code === 'AF429' || this.status === 429
  }
}

/** The service's own codes for "try again": throttling and internal errors. */
const TRANSIENT_CODES = new Set(['AF429', '429', 'AF50000', 'AF50005', 'AF50006'])

/** Whether a status and AF code describe a failure worth retrying. */
export function isTransient(status: number | undefined, code: string | undefined): boolean {
  if (code && TRANSIENT_CODES.has(code)) return true
  if (status === undefined) return true
  return status === 408 || status === 429 || status >= 500
}

/** How the retry helper should treat an error thrown by the client. */
export function classifyApiError(error: unknown): RetryableFailure {
  if (error instanceof ApiError) {
    return {
      retryable: error.retryable,
      ...(error.throttled ? { throttled: true } : {}),
      ...(error.status === 401 && error.retryable ? { renewed: true } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
    }
  }
  // fetch rejects with TypeError for resets, refused connections and timeouts.
  return { retryable: error instanceof TypeError || (error instanceof Error && error.name === 'AbortError') }
}

/**
 * The wait the subscription-start throttle names in its message ("Please retry again after
 * 8m 46s."), in milliseconds: it comes without a Retry-After header.
 */
export function retryAfterFromMessage(message: string | undefined): number | undefined {
  const match = /retry again after\s+(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?/i.exec(message ?? '')
  if (!match || (match[1] === undefined && match[2] === undefined)) return undefined
  return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000
}

/** Parses an AF error body; tolerant of HTML pages and the 401 `{"Message":...}` shape. */
export function parseErrorBody(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; Message?: unknown }
    if (body.error) {
      return {
        ...(typeof body.error.code === 'string' ? { code: body.error.code } : {}),
        ...(typeof body.error.message === 'string' ? { message: body.error.message } : {})
      }
    }
    if (typeof body.Message === 'string') return { message: body.Message }
  } catch {
    // Gateways answer with HTML; the status says enough.
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]
  return title ? { message: title.trim() } : {}
}
