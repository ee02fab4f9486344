/**
 * The HTTPS front: classifies each request, logs it, applies faults and the quota, dispatches
 * to Entra or the API, and writes the answer with the emulator clock's `Date`. The Graph
 * listener runs the same pipeline, without the Management API's tenant quota.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ActivityApi } from './activity-api.js'
import type { Entra } from './entra.js'
import type { Faults, Quota } from './faults.js'
import { classifyGraph, type GraphAuditApi } from './graph-api.js'
import { lowerCaseQuery, type EmulatorRequest, type EmulatorResponse, type Route } from './http.js'
import type { RequestLog } from './request-log.js'

/** The parts the server wires together; set after listening because they need the origin. */
export interface ServerParts {
  now: () => Date
  log: RequestLog
  faults: Faults
  quota?: Quota
  entra: Entra
  api: ActivityApi
  graph: GraphAuditApi
}

/** Which listener: Entra and the Management API, or Graph. */
export type Surface = 'management' | 'graph'

/** A listening server. */
export interface RunningServer {
  origin: string
  port: number
  close(): Promise<void>
}

const API_PATH = /^\/api\/v1(?:\.0)?\/([^/]+)\/activity\/feed\/(.*)$/i
const SUBSCRIPTION_ROUTES: Record<string, Route> = {
  start: 'start',
  stop: 'stop',
  list: 'list',
  content: 'content',
  notifications: 'notifications'
}

/** Maps a path to its route (and the tenant/contentId it carries). */
export function classify(pathname: string): { route: Route; tenant?: string; contentId?: string } {
  const openid = /^\/([^/]+)\/(?:v2\.0\/)?\.well-known\/openid-configuration$/.exec(pathname)
  if (openid?.[1]) return { route: 'openid', tenant: safeDecode(openid[1]) }
  const token = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?token$/.exec(pathname)
  if (token?.[1]) return { route: 'token', tenant: safeDecode(token[1]) }
  const api = API_PATH.exec(pathname)
  if (!api?.[1]) return { route: 'unknown' }
  const tenant = safeDecode(api[1])
  const rest = api[2] ?? ''
  // ASP.NET routes ignore case in the fixed segments.
  const sub = /^subscriptions\/([a-z]+)$/i.exec(rest)
  const subRoute = sub?.[1] ? SUBSCRIPTION_ROUTES[sub[1].toLowerCase()] : undefined
  if (subRoute) return { route: subRoute, tenant }
  const audit = /^audit\/([^/]+)$/i.exec(rest)
  if (audit?.[1]) return { route: 'blob', tenant, contentId: safeDecode(audit[1]) }
  if (/^resources\/dlpSensitiveTypes$/i.test(rest)) return { route: 'dlp', tenant }
  return { route: 'unknown', tenant }
}

/** Starts the HTTPS server on 127.0.0.1, on `requestedPort` or (0) an ephemeral one; `parts` is read per request. */
export async function listen(
  tls: { key: string; cert: string },
  parts: () => ServerParts,
  requestedPort = 0,
  surface: Surface = 'management'
): Promise<RunningServer> {
  let origin = ''
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res, origin, parts(), surface).catch((error: unknown) => {
      // An emulator bug must surface in the test, not hang the client.
      res.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(requestedPort, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  origin = `https://127.0.0.1:${port}`
  return {
    origin,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  parts: ServerParts,
  surface: Surface
): Promise<void> {
  const body = await readBody(req)
  // Addressed by name (login.microsoftonline.us through a test proxy), the emulator answers
  // as that host: discovery documents, token audiences and content URIs name it.
  const url = new URL(req.url ?? '/', requestOrigin(req.headers.host, origin))
  const method = req.method ?? 'GET'
  const request: EmulatorRequest = {
    method,
    url,
    ...(surface === 'graph' ? classifyGraph(method, url.pathname) : classify(url.pathname)),
    query: lowerCaseQuery(url.searchParams),
    headers: req.headers,
    body
  }
  const entry = parts.log.record(request, parts.now())
  const fault = parts.faults.pick(request)
  if (fault) entry.fault = fault.kind
  if (fault?.action.type === 'reset') {
    req.socket.destroy()
    return
  }
  if (fault?.action.type === 'delay') await sleep(fault.action.ms)
  if (fault?.action.type === 'stream') {
    entry.status = 200
    await stream(res, fault.action.bytes, fault.action.sized, parts.now())
    return
  }
  let response: EmulatorResponse
  if (fault?.action.type === 'respond') {
    response = fault.action.response
  } else {
    response = surface === 'graph' ? parts.graph.handle(request) : dispatch(request, parts)
    if (fault?.action.type === 'distort') response = fault.action.distort(response)
  }
  entry.status = response.status
  write(res, response, parts.now())
}

function dispatch(req: EmulatorRequest, parts: ServerParts): EmulatorResponse {
  if (req.route === 'token') return parts.entra.handleToken(req)
  if (req.route === 'openid') return parts.entra.handleOpenId(req)
  return parts.quota?.take(req) ?? parts.api.handle(req)
}

function write(res: ServerResponse, response: EmulatorResponse, now: Date): void {
  if (res.destroyed) return
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body
  // Clients use Date for clock-skew checks, so it follows the emulator clock, not the host's.
  res.sendDate = false
  res.writeHead(response.status, {
    ...response.headers,
    Date: now.toUTCString(),
    'Content-Length': String(body.length)
  })
  res.end(body)
}

/**
 * A 200 of `bytes` (`[`, blanks, `]`: valid JSON however long), written as the client reads
 * it, never held: the emulator's memory stays flat whatever the size. Stops when the client
 * lets go.
 */
async function stream(res: ServerResponse, bytes: number, sized: boolean, now: Date): Promise<void> {
  res.sendDate = false
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    Date: now.toUTCString(),
    ...(sized ? { 'Content-Length': String(bytes) } : {})
  })
  const blanks = Buffer.alloc(1024 * 1024, 0x20)
  let sent = 0
  const write = async (chunk: Buffer): Promise<boolean> => {
    if (res.destroyed) return false
    sent += chunk.length
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done)
          res.off('close', done)
          resolve()
        }
        res.on('drain', done)
        res.on('close', done)
      })
    return !res.destroyed
  }
  if (!(await write(Buffer.from('[')))) return
  while (sent < bytes - 1) {
    if (!(await write(blanks.subarray(0, Math.min(blanks.length, bytes - 1 - sent))))) return
  }
  res.end(']')
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** The origin a request addressed, from its Host header; the listening origin without one. */
function requestOrigin(host: string | undefined, fallback: string): string {
  if (!host) return fallback
  try {
    return new URL(`https://${host}`).origin
  } catch {
    return fallback
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
