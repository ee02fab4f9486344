/** Longest time a single call may take before it counts as a dropped connection. */
export const REQUEST_TIMEOUT_MS = 120_000

/** Response headers as undici gives them: lower-case names, a value or a list of values. */
export type IncomingHeaders = Record<string, string | string[] | undefined>

/** A header's (first) value. */
export function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** What a failed request met, with the system's code (ECONNRESET, CERT_HAS_EXPIRED) that undici keeps in `cause`. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const { code, cause } = error as Error & { code?: string; cause?: { code?: string; message?: string } }
    if (cause?.code) return `${cause.code} ${cause.message ?? ''}`.trim()
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message
  }
  return String(error)
}

/** A URL's host, to name where a response pointed without repeating the whole URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'an invalid URL'
  }
}

/** A URL's origin, or undefined when it is not a URL. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}
