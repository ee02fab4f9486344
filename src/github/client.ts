import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import Bottleneck from 'bottleneck/light.js'

/** The Octokit every GitHub call of the action goes through. */
export type GitHubClient = ReturnType<typeof getOctokit>

/** How to reach GitHub. */
export interface GitHubClientOptions {
  token: string
  /** REST API root: the run context's, or input 'github-api-url'. */
  baseUrl: string
  /**
   * The unit of GitHub pacing, GITHUB_PACING_MS by default: content-creating requests are
   * spaced by it (GitHub asks for at least a second between them), requests that notify
   * people (issues, comments) by three times it, and retries of failed requests back off
   * by it squared per attempt. Only tests against a fake GitHub lower it.
   */
  pacingMs?: number
  /** How long a request may wait for GitHub to start answering (GITHUB_ANSWER_TIMEOUT_MS unless a test says). */
  answerTimeoutMs?: number
}

/**
 * How long a request may wait for GitHub's answer to begin, its upload included (a part of
 * 32 MiB takes seconds). A stalled call then fails, names the host, and is retried as a 5xx
 * is, instead of holding the job until its timeout; a body that stops mid-way is cut by the
 * connections' own idle limit (src/http/proxy.ts).
 */
export const GITHUB_ANSWER_TIMEOUT_MS = 120_000

/** GitHub's advice: at least one second between content-creating requests. */
export const GITHUB_PACING_MS = 1_000

/** Where Octokit's own messages go. */
export interface OctokitLog {
  debug(message: string): void
  warn(message: string): void
}

/** Retries of a rate-limited request before giving up. */
const RATE_LIMIT_RETRIES = 3

/**
 * Statuses the retry plugin leaves alone: another try cannot fix them, or (429) they belong
 * to the throttling plugin, which waits as GitHub asks. Were 429 retried by both, one
 * rate-limited request would be sent again twice over, the second time without waiting.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451]

/**
 * Builds the client with `@actions/github`'s `getOctokit` and GitHub's own retry and
 * throttling plugins: 5xx answers are retried; primary and secondary rate limits (403 or
 * 429) wait as GitHub asks, a few times; errors another try cannot fix are not retried.
 * Octokit logs each failed request itself, including the expected 404 of a branch that does
 * not exist yet; those lines go to the debug log, and the action explains real failures in
 * its own words.
 */
export function createGitHubClient(options: GitHubClientOptions, log?: OctokitLog): GitHubClient {
  const debug = (message: string): void => log?.debug(message)
  const warn = (message: string): void => log?.warn(message)
  const pacingMs = options.pacingMs ?? GITHUB_PACING_MS
  // Groups of our own rather than the plugin's process-wide defaults, so that the pacing is
  // a property of this client alone.
  const spaced = (minTime: number): Bottleneck.Group => new Bottleneck.Group({ maxConcurrent: 1, minTime })
  return getOctokit(
    options.token,
    {
      baseUrl: options.baseUrl,
      userAgent: 'm365-audit-sync',
      // getOctokit's default fetch brings its own undici and proxy agent; the action's calls
      // to every service share one connection pool and one proxy rule (src/http/proxy.ts),
      // which the global fetch uses.
      request: {
        fetch: (input: string | URL | Request, init?: RequestInit) =>
          fetchWithDeadline(input, init, options.answerTimeoutMs ?? GITHUB_ANSWER_TIMEOUT_MS)
      },
      log: { debug, info: debug, warn: debug, error: debug },
      retry: { doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: pacingMs },
      throttle: {
        write: spaced(pacingMs),
        notifications: spaced(3 * pacingMs),
        retryAfterBaseValue: pacingMs,
        onRateLimit: (
          retryAfter: number,
          request: { method?: string; url?: string },
          _octokit: unknown,
          retryCount: number
        ) => {
          warn(`GitHub rate limit reached for ${request.method} ${request.url}; retrying after ${retryAfter} s.`)
          return retryCount < RATE_LIMIT_RETRIES
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          request: { method?: string; url?: string },
          _octokit: unknown,
          retryCount: number
        ) => {
          warn(`GitHub secondary rate limit for ${request.method} ${request.url}; retrying after ${retryAfter} s.`)
          return retryCount < RATE_LIMIT_RETRIES
        }
      }
    },
    retry,
    throttling
  )
}

/** `fetch`, failing with the host named when the answer has not begun within `ms`. */
async function fetchWithDeadline(
  input: string | URL | Request,
  init: RequestInit | undefined,
  ms: number
): Promise<Response> {
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), ms)
  const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal
  try {
    return await fetch(input, { ...init, signal })
  } catch (error) {
    if (!deadline.signal.aborted) throw error
    const url = new URL(input instanceof Request ? input.url : input)
    // Not an AbortError: Octokit turns other errors into a 5xx its retry plugin retries.
    throw new Error(
      `GitHub at ${url.host} did not answer ${init?.method ?? 'GET'} ${decodeURIComponent(url.pathname)} within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`,
      { cause: error }
    )
  } finally {
    clearTimeout(timer)
  }
}
