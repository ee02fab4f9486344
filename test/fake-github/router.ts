/** Everything a route handler gets about one request. */
export interface RouteContext {
  method: string
  /** Path parameters, percent-decoded (`ref` may contain slashes, sent raw or as %2F). */
  params: Record<string, string>
  query: URLSearchParams
  /** Parsed JSON body, `undefined` when the request had none. */
  body: unknown
  /** The request's Accept header (`''` when absent), for endpoints with media types. */
  accept: string
  /** `http://127.0.0.1:<port>/repos/<owner>/<repo>`, the prefix of every `url` in responses. */
  repoApiUrl: string
  /** `http://127.0.0.1:<port>/<owner>/<repo>`, the prefix of every `html_url`. */
  repoHtmlUrl: string
}

/** What a handler answers; errors are thrown as `ApiError`. */
export interface Reply {
  status: number
  body?: unknown
  /** Bytes to send as they are instead of a JSON `body` (a raw media type). */
  raw?: Buffer
  headers?: Record<string, string>
}

/** Which token permission a route needs: reads need `read`, other methods `write`. */
export type PermissionScope = 'metadata' | 'contents' | 'issues'

/** A route below `/repos/{owner}/{repo}`. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** Path below the repository, e.g. `/git/ref/*ref` (`:x` one segment, `*x` the rest). */
  pattern: string
  /** GitHub's documentation page for the endpoint, quoted in its error bodies. */
  docs: string
  scope: PermissionScope
  /** Git database routes answer 409 while the repository is empty. */
  gitDatabase?: boolean
  handler: (context: RouteContext) => Promise<Reply>
}

/** A route that matched a request, with its decoded parameters. */
export interface RouteMatch {
  route: Route
  params: Record<string, string>
}

interface CompiledRoute {
  route: Route
  regex: RegExp
  names: string[]
}

/** Matches a method and a path below the repository to one route. */
export class Router {
  private readonly routes: CompiledRoute[] = []

  constructor(routes: readonly Route[]) {
    for (const route of routes) this.routes.push(compile(route))
  }

  /** The route for this request, or `undefined` (GitHub answers unknown routes with 404). */
  match(method: string, path: string): RouteMatch | undefined {
    for (const { route, regex, names } of this.routes) {
      if (route.method !== method) continue
      const found = regex.exec(path)
      if (found === null) continue
      const params: Record<string, string> = {}
      names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? '')
      })
      return { route, params }
    }
    return undefined
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = []
  const source = route.pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1))
        return '([^/]+)'
      }
      if (segment.startsWith('*')) {
        names.push(segment.slice(1))
        return '(.+)'
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return { route, regex: new RegExp(`^${source}/?$`), names }
}
