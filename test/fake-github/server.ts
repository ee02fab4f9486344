import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, DOCS_ROOT, Messages } from './errors.js'
import type { FaultInjector } from './faults.js'
import type { PermissionScope, Reply, Route } from './router.js'
import { Router } from './router.js'

/** One request the fake received, for assertions. */
export interface RequestLogEntry {
  method: string
  /** Path without the API prefix and without the query string, as sent (not decoded). */
  path: string
  /** Query string without the `?`, `''` when none. */
  query: string
  /** Response status; 0 while the request is still being answered. */
  status: number
  /** Parsed JSON request body. */
  body?: unknown
  /** True when a registered fault answered instead of the API. */
  injected?: boolean
  /** When the request arrived (`performance.now()` of the fake's process), for pacing checks. */
  receivedAt: number
  /** Bytes of the request body: what the client sent. */
  bytes?: number
}

/** Token permissions, as a GitHub App installation token or `permissions:` block grants them. */
export interface Permissions {
  contents: 'write' | 'read'
  issues: 'write' | 'read' | 'none'
}

/** What the HTTP layer needs to know; the handlers own everything else. */
export interface ServerConfig {
  owner: string
  repo: string
  token: string
  permissions: Permissions
  /** E.g. `/api/v3` to look like GitHub Enterprise Server; `''` like api.github.com. */
  pathPrefix: string
  routes: readonly Route[]
  faults: FaultInjector
  requests: RequestLogEntry[]
  /** Unexpected exceptions in handlers (answered with 500), so tests can fail loudly on them. */
  internalErrors: unknown[]
  isEmpty: () => Promise<boolean>
  /** Answers a GraphQL request body (see graphql.ts). */
  graphql: (body: unknown) => Promise<unknown>
  /** Port on 127.0.0.1; 0 for one the OS assigns. */
  port: number
}

const RATE_LIMIT = 5000

/** A listening fake API server. */
export interface RunningServer {
  server: Server
  /** Origin, e.g. `http://127.0.0.1:43123`. */
  origin: string
}

/** Starts the HTTP server on 127.0.0.1, on the configured port or (0) one the OS assigns. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const router = new Router(config.routes)
  const rateLimit = { used: 0, reset: Math.floor(Date.now() / 1000) + 3600 }
  let origin = ''

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      config.internalErrors.push(error)
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
      response.end(JSON.stringify({ message: 'Server Error' }))
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET'
    const url = new URL(request.url ?? '/', 'http://fake')
    const path = url.pathname.startsWith(config.pathPrefix)
      ? url.pathname.slice(config.pathPrefix.length)
      : url.pathname
    const entry: RequestLogEntry = {
      method,
      path,
      query: url.search.slice(1),
      status: 0,
      receivedAt: performance.now()
    }
    config.requests.push(entry)
    rateLimit.used += 1

    const send = (status: number, body: string | Buffer | undefined, headers: Record<string, string> = {}): void => {
      entry.status = status
      response.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': requestId(),
        'x-ratelimit-limit': String(RATE_LIMIT),
        'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - rateLimit.used)),
        'x-ratelimit-reset': String(rateLimit.reset),
        'x-ratelimit-used': String(rateLimit.used),
        'x-ratelimit-resource': 'core',
        ...headers
      })
      response.end(body)
    }
    const sendError = (error: ApiError, docs: string): void =>
      send(error.status, JSON.stringify(error.toBody(docs)), error.options.headers)

    const raw = await readBody(request)
    entry.bytes = raw.length
    let body: unknown
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'))
      if (body !== undefined) entry.body = body
    } catch {
      // The fault and auth checks below run first on GitHub too; a bad body only matters to the API.
      body = PARSE_FAILED
    }

    const injected = config.faults.take(method, path, () => raw.toString('utf8'))
    if (injected !== undefined) {
      entry.injected = true
      if (injected.stall) return // the client's deadline, or the server's close, ends it
      send(injected.status, injected.body, injected.headers)
      return
    }
    // GraphQL lives beside the REST root: /graphql on api.github.com, /api/graphql on a server.
    if (url.pathname === `${config.pathPrefix.replace(/\/v3$/, '')}/graphql`) {
      if (!isAuthorized(request.headers.authorization, config.token)) {
        sendError(new ApiError(401, Messages.badCredentials), DOCS_ROOT)
        return
      }
      if (method !== 'POST' || body === PARSE_FAILED) {
        sendError(
          new ApiError(
            method === 'POST' ? 400 : 404,
            method === 'POST' ? Messages.problemsParsingJson : Messages.notFound
          ),
          DOCS_ROOT
        )
        return
      }
      send(200, JSON.stringify(await config.graphql(body)), { 'x-ratelimit-resource': 'graphql' })
      return
    }
    if (!path.startsWith('/') || (config.pathPrefix !== '' && !url.pathname.startsWith(config.pathPrefix))) {
      sendError(new ApiError(404, Messages.notFound), DOCS_ROOT)
      return
    }
    if (!isAuthorized(request.headers.authorization, config.token)) {
      sendError(new ApiError(401, Messages.badCredentials), DOCS_ROOT)
      return
    }
    if (body === PARSE_FAILED) {
      sendError(new ApiError(400, Messages.problemsParsingJson), DOCS_ROOT)
      return
    }

    const repoPath = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path)
    const [, owner = '', repo = '', rest = ''] = repoPath ?? []
    // GitHub resolves owner and repository names case-insensitively.
    if (
      repoPath === null ||
      owner.toLowerCase() !== config.owner.toLowerCase() ||
      repo.toLowerCase() !== config.repo.toLowerCase()
    ) {
      sendError(new ApiError(404, Messages.notFound), 'https://docs.github.com/rest/repos/repos#get-a-repository')
      return
    }
    const match = router.match(method, rest)
    if (match === undefined) {
      sendError(new ApiError(404, Messages.notFound), DOCS_ROOT)
      return
    }
    const { route, params } = match
    if (!isPermitted(config.permissions, route.scope, method)) {
      sendError(new ApiError(403, Messages.notAccessible), route.docs)
      return
    }
    if (route.gitDatabase && (await config.isEmpty())) {
      sendError(new ApiError(409, Messages.emptyRepository), route.docs)
      return
    }

    let reply: Reply
    try {
      reply = await route.handler({
        method,
        params,
        query: url.searchParams,
        body,
        accept: request.headers.accept ?? '',
        repoApiUrl: `${origin}${config.pathPrefix}/repos/${config.owner}/${config.repo}`,
        repoHtmlUrl: `${origin}/${config.owner}/${config.repo}`
      })
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      sendError(error, route.docs)
      return
    }
    send(reply.status, reply.status === 204 ? undefined : (reply.raw ?? JSON.stringify(reply.body)), reply.headers)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, '127.0.0.1', () => resolve())
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { server, origin }
}

/** Closes the server, dropping keep-alive connections so `close()` does not wait for them. */
export function stopServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}

const PARSE_FAILED = Symbol('unparseable body')

/** `token X` (what Octokit sends for a plain token) and `Bearer X` are both accepted, as on GitHub. */
function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1] === token
}

function isPermitted(permissions: Permissions, scope: PermissionScope, method: string): boolean {
  const write = method !== 'GET'
  if (scope === 'contents') return !write || permissions.contents === 'write'
  if (scope === 'issues') return permissions.issues === 'write' || (!write && permissions.issues === 'read')
  return true
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Looks like GitHub's `CA1E:3F2A0B:9C1D2E:A1B2C3:6745F0AB`, unique per response. */
function requestId(): string {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase()
  return `${hex(2)}:${hex(3)}:${hex(3)}:${hex(3)}:${hex(4)}`
}
