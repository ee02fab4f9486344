import { Agent, EnvHttpProxyAgent, setGlobalDispatcher } from 'undici'
import { REQUEST_TIMEOUT_MS } from './response.js'

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const

/**
 * Sets up the connections every call of the action uses (Entra ID, the Management API,
 * GitHub): kept alive and reused, enough of them per host for `connections` calls at once.
 * Self-hosted runners often reach the internet only through a proxy named in HTTPS_PROXY /
 * HTTP_PROXY (with NO_PROXY exceptions), as every first-party action honours; Node does not
 * read them by itself, so the one global dispatcher is proxy-aware when they are set.
 * Returns the proxy for the log, without any credentials, or undefined when there is none.
 */
export function configureConnections(
  env: Readonly<Record<string, string | undefined>>,
  connections: number
): string | undefined {
  // A body that stops arriving fails after this long, whichever host sends it (undici's own
  // default is five minutes).
  const options = {
    connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    bodyTimeout: REQUEST_TIMEOUT_MS
  }
  const configured = PROXY_VARIABLES.map((name) => env[name]).find((value) => value && value.trim() !== '')
  setGlobalDispatcher(configured ? new EnvHttpProxyAgent(options) : new Agent(options))
  return configured ? describeProxy(configured) : undefined
}

/** The proxy's scheme, host and port: a proxy URL may carry a user name and password. */
export function describeProxy(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}`
  } catch {
    return '(an unparsable proxy URL)'
  }
}
