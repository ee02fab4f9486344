import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici'

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const

/**
 * Self-hosted runners often reach the internet only through a proxy named in HTTPS_PROXY /
 * HTTP_PROXY (with NO_PROXY exceptions), as every first-party action honours. Node's fetch
 * does not read them by itself; every call of this action (Entra ID, the Management API,
 * GitHub) goes through fetch, so one proxy-aware global dispatcher covers them all.
 * Returns the proxy for the log, without any credentials, or undefined when there is none.
 */
export function useProxyFromEnvironment(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const configured = PROXY_VARIABLES.map((name) => env[name]).find((value) => value && value.trim() !== '')
  if (!configured) return undefined
  setGlobalDispatcher(new EnvHttpProxyAgent())
  return describeProxy(configured)
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
