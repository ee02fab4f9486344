import { STATUS_CODES } from 'node:http'

/** What to inject, and into which requests. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any when absent. */
  method?: string
  /** Matched against the request path without the query string; any when absent. */
  path?: RegExp
  /** Matched against the request body as text (a GraphQL query by what it asks); any when absent. */
  requestBody?: RegExp
  status: number
  /** Response body: an object is sent as JSON, a string as is. Defaults to `{message: <reason phrase>}`. */
  body?: unknown
  /** Extra response headers, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>
  /** How many times the fault fires before it retires; default 1, `Infinity` for ever. */
  times?: number
  /** Fire on every n-th matching request only (1st, n+1-th, ...); default 1 (each one). */
  every?: number
  /** Let this many matching requests through before the first one it answers; default 0. */
  after?: number
  /** Answer nothing: hold the request open until the client gives up (a stalled GitHub); `status` is then unused. */
  stall?: boolean
}

/** A registered fault, with counters tests can assert on. */
export interface Fault {
  readonly spec: FaultSpec
  /** Matching requests seen so far (fired or not). */
  readonly matched: number
  /** Times the fault answered a request. */
  readonly fired: number
  /** Unregisters the fault. */
  remove(): void
}

/** The response a fault produces. */
export interface InjectedResponse {
  /** Send nothing, ever. */
  stall: boolean
  status: number
  headers: Record<string, string>
  body: string
}

/** The body GitHub sends with a secondary rate limit (403, or 429). */
export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.'

/**
 * A secondary rate limit as GitHub sends it: 403 with `retry-after` (seconds).
 * `match` narrows it to some requests, as for {@link FaultSpec}.
 */
export function secondaryRateLimit(
  retryAfterSeconds: number,
  match: Pick<FaultSpec, 'method' | 'path' | 'times' | 'every'> = {}
): FaultSpec {
  return {
    ...match,
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      message: SECONDARY_RATE_LIMIT_MESSAGE,
      documentation_url:
        'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403'
    }
  }
}

/** Matches GraphQL's `updateRefs` mutation, the one call that moves the data branch. */
export const REF_UPDATE: Pick<FaultSpec, 'method' | 'path' | 'requestBody'> = {
  method: 'POST',
  path: /\/graphql$/,
  requestBody: /\bupdateRefs\b/
}

/** A ref update refused as GitHub refuses a token without `contents: write` (HTTP 200, a FORBIDDEN error). */
export function refUpdateForbidden(times = Infinity): FaultSpec {
  return {
    ...REF_UPDATE,
    times,
    status: 200,
    body: {
      data: { updateRefs: null },
      errors: [{ type: 'FORBIDDEN', path: ['updateRefs'], message: 'Resource not accessible by integration' }]
    }
  }
}

interface FaultState extends Fault {
  matched: number
  fired: number
}

/**
 * Registered faults, checked before authentication and routing, as a failing proxy or
 * GitHub's own edge would answer before the API sees the request.
 */
export class FaultInjector {
  private readonly faults: FaultState[] = []

  /** Registers a fault; the first registered matching fault wins. */
  add(spec: FaultSpec): Fault {
    if (spec.every !== undefined && (!Number.isInteger(spec.every) || spec.every < 1)) {
      throw new RangeError(`every must be a positive integer; got ${spec.every}`)
    }
    const faults = this.faults
    const fault: FaultState = {
      spec,
      matched: 0,
      fired: 0,
      remove() {
        const index = faults.indexOf(fault)
        if (index !== -1) faults.splice(index, 1)
      }
    }
    faults.push(fault)
    return fault
  }

  /** Removes every fault. */
  clear(): void {
    this.faults.length = 0
  }

  /** The first fault matching the request; its body is read as text only when a fault asks for it. */
  take(method: string, path: string, requestBody: () => string = () => ''): InjectedResponse | undefined {
    for (const fault of this.faults) {
      const { spec } = fault
      if (fault.fired >= (spec.times ?? 1)) continue
      if (spec.method !== undefined && spec.method.toUpperCase() !== method) continue
      if (spec.path !== undefined && !matchesWhole(spec.path, path)) continue
      if (spec.requestBody !== undefined && !matchesWhole(spec.requestBody, requestBody())) continue
      fault.matched += 1
      const counted = fault.matched - 1 - (spec.after ?? 0)
      if (counted < 0 || counted % (spec.every ?? 1) !== 0) continue
      fault.fired += 1
      return render(spec)
    }
    return undefined
  }
}

// A global or sticky RegExp keeps lastIndex between calls; a fresh copy makes matching stateless.
function matchesWhole(pattern: RegExp, path: string): boolean {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(path)
}

function render(spec: FaultSpec): InjectedResponse {
  const body = spec.body ?? { message: STATUS_CODES[spec.status] ?? 'Error' }
  const isText = typeof body === 'string'
  return {
    stall: spec.stall === true,
    status: spec.status,
    headers: {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      ...spec.headers
    },
    body: isText ? body : JSON.stringify(body)
  }
}
