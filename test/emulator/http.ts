/** Request/response shapes shared by the emulator's route handlers. */
import type { IncomingHttpHeaders } from 'node:http'

/** Which part of the emulator a request addresses; also the key for faults and the log. */
export type Route = ManagementRoute | GraphRoute

/** Routes of the main listener: Entra and the Management Activity API. */
export type ManagementRoute =
  'token' | 'openid' | 'start' | 'stop' | 'list' | 'content' | 'blob' | 'notifications' | 'dlp' | 'unknown'

/** Routes of the Graph listener (the audit log query API); `graph-unknown` is any other path there. */
export type GraphRoute =
  'graph-create' | 'graph-list' | 'graph-status' | 'graph-records' | 'graph-delete' | 'graph-unknown'

/** Whether a route belongs to the Graph listener. */
export function isGraphRoute(route: Route): route is GraphRoute {
  return route.startsWith('graph-')
}

/** A fully read request, already classified. */
export interface EmulatorRequest {
  method: string
  url: URL
  route: Route
  /** Tenant segment of the path, as sent (not validated). */
  tenant?: string
  /** Decoded `{contentId}` of `audit/{contentId}`. */
  contentId?: string
  /** Decoded `{id}` of `security/auditLog/queries/{id}` (Graph listener). */
  queryId?: string
  /** `beta` or `v1.0` (lower-cased) on the Graph listener; absent when the path names neither. */
  graphVersion?: 'beta' | 'v1.0'
  /** Query parameters with lower-cased names (the service ignores case); first value wins. */
  query: Map<string, string>
  headers: IncomingHttpHeaders
  body: string
}

/** What a handler answers; the server writes it (or a fault rewrites it first). */
export interface EmulatorResponse {
  status: number
  headers: Record<string, string>
  /** A Buffer only when a fault cut a body at a byte boundary. */
  body: string | Buffer
}

/** The headers the real API (ASP.NET on IIS) sends with every JSON answer. */
export function iisHeaders(): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    Server: 'Microsoft-IIS/8.5',
    'X-AspNet-Version': '4.0.30319',
    'X-Powered-By': 'ASP.NET'
  }
}

/** A JSON answer with the API's headers. */
export function apiJson(status: number, body: unknown, extra: Record<string, string> = {}): EmulatorResponse {
  return { status, headers: { ...iisHeaders(), ...extra }, body: JSON.stringify(body) }
}

/** Parses a query string with case-insensitive names (first occurrence wins). */
export function lowerCaseQuery(params: URLSearchParams): Map<string, string> {
  const query = new Map<string, string>()
  for (const [name, value] of params) {
    const key = name.toLowerCase()
    if (!query.has(key)) query.set(key, value)
  }
  return query
}
