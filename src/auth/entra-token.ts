import { ConfidentialClientApplication, type Configuration, type NodeAuthOptions } from '@azure/msal-node'
import { errorMessage } from '../util/error-message.js'
import type { Credential } from './credential.js'
import { aadstsCode, adviceFor, type SignInContext } from './entra-errors.js'
import { gitHubAssertion, OidcTokenError, type PresentedToken } from './github-oidc.js'

/** A source of access tokens for the Management API. */
export interface TokenProvider {
  /**
   * A valid access token. `forceRefresh` bypasses the cache: after a 401 the cached token
   * may have been revoked even though it has not expired.
   */
  getToken(forceRefresh?: boolean): Promise<string>
}

/** Where and as whom to sign in. */
export interface EntraOptions {
  tenantId: string
  clientId: string
  credential: Credential
  /** Authority host, e.g. https://login.microsoftonline.com. */
  authorityHost: string
  /** Resource whose `/.default` scope is requested, e.g. https://manage.office.com. */
  audience: string
  /** Called with every token acquired, so it can be masked before anything could print it. */
  onToken(token: string): void
  /** GitHub's OIDC token for an audience (`core.getIDToken`); used by a `github-oidc` credential. */
  getIDToken?(audience: string): Promise<string>
  /** Hears what each GitHub token presents (issuer, subject, audience), for the log. */
  onPresented?(presented: PresentedToken | undefined): void
  /** How long a sign-in may take (SIGN_IN_TIMEOUT_MS unless a test says). */
  timeoutMs?: number
}

/**
 * How long a sign-in may take, metadata and token request together. MSAL sets no deadline of
 * its own: a stalled connection would hold the run until the job's 6 hours are up.
 */
export const SIGN_IN_TIMEOUT_MS = 120_000

/** `work`, or the error `late` makes if it has not settled within `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(late()), ms)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Raised when Entra ID refuses to issue a token; the message says what to change. */
export class SignInError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SignInError'
  }
}

/** A token is renewed this long before it expires, as MSAL's own cache does. */
const RENEW_BEFORE_MS = 5 * 60_000

/**
 * Client-credentials sign-in with MSAL. The authority host is declared as known, which
 * skips MSAL's instance discovery call: it works the same for every cloud and for a
 * custom authority without reaching login.microsoftonline.com first.
 *
 * The token is kept here rather than in MSAL's cache: MSAL calls a client-assertion callback
 * on every acquire, cache hit or not, and for OIDC each call is a request to GitHub. So MSAL
 * is asked only when a token is missing, about to expire or refused, and then always goes to
 * Entra ID; concurrent callers share that one request.
 */
export function createTokenProvider(options: EntraOptions): TokenProvider {
  const context: SignInContext = { credential: options.credential }
  const config: Configuration = {
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost}/${options.tenantId}`,
      knownAuthorities: [new URL(options.authorityHost).host],
      ...msalCredential(options, (presented) => {
        context.presented = presented
        options.onPresented?.(presented)
      })
    }
  }
  const app = new ConfidentialClientApplication(config)
  const scopes = [`${options.audience}/.default`]
  let current: { token: string; renewAt: number } | undefined
  let pending: Promise<string> | undefined

  const acquire = async (): Promise<string> => {
    let token: string | undefined
    let expiresOn: Date | null | undefined
    try {
      const result = await withDeadline(
        app.acquireTokenByClientCredential({ scopes, skipCache: true }),
        options.timeoutMs ?? SIGN_IN_TIMEOUT_MS,
        () =>
          new SignInError(
            `Sign-in to Entra ID for app ${options.clientId} at ${options.authorityHost} got no answer within ` +
              `${Math.round((options.timeoutMs ?? SIGN_IN_TIMEOUT_MS) / 1000)} s: check the runner's network to that host ` +
              `(HTTPS_PROXY, a firewall) and 'authority'.`
          )
      )
      token = result?.accessToken
      expiresOn = result?.expiresOn
    } catch (error) {
      if (error instanceof SignInError) throw error
      throw explainSignInFailure(error, options, context)
    }
    if (!token) throw new SignInError(`Entra ID returned no access token for ${scopes[0]}.`)
    options.onToken(token)
    const expiresAt = expiresOn?.getTime() ?? Date.now() + 2 * RENEW_BEFORE_MS
    current = { token, renewAt: expiresAt - RENEW_BEFORE_MS }
    return token
  }

  return {
    getToken(forceRefresh = false): Promise<string> {
      if (pending) return pending
      if (!forceRefresh && current && Date.now() < current.renewAt) return Promise.resolve(current.token)
      pending = acquire().finally(() => {
        pending = undefined
      })
      return pending
    }
  }
}

/** The MSAL options for one kind of credential. */
function msalCredential(
  options: EntraOptions,
  onPresented: (presented: PresentedToken | undefined) => void
): Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate' | 'clientAssertion'> {
  const credential = options.credential
  switch (credential.kind) {
    case 'client-secret':
      return { clientSecret: credential.secret }
    case 'certificate':
      // SHA-256 thumbprint: MSAL then signs with PS256 and sends `x5t#S256`.
      return {
        clientCertificate: {
          thumbprintSha256: credential.certificate.thumbprintSha256,
          privateKey: credential.privateKeyPem
        }
      }
    case 'github-oidc': {
      const getIDToken = options.getIDToken
      if (!getIDToken) throw new Error('GitHub OIDC sign-in needs a way to get GitHub ID tokens.')
      return { clientAssertion: gitHubAssertion(getIDToken, credential.audience, onPresented) }
    }
  }
}

/**
 * How MSAL says it never got an answer: it fetches the authority's metadata first and reports
 * a TLS or network failure there as `endpoints_resolution_error`, the cause left out.
 */
const UNREACHED =
  /endpoints_resolution_error|network_error|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CERT_|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/

function explainSignInFailure(error: unknown, options: EntraOptions, context: SignInContext): SignInError {
  if (error instanceof OidcTokenError) return new SignInError(error.message)
  const text = errorMessage(error)
  const code = aadstsCode(text)
  const advice = adviceFor(code, context)
  // MSAL's message is Entra's error_description: the AADSTS line, then trace and correlation ids.
  const firstLine = text.split(/\r?\n/)[0] ?? text
  const where = `app ${options.clientId} in tenant ${options.tenantId} at ${options.authorityHost}`
  if (!code && UNREACHED.test(text))
    return new SignInError(
      `Sign-in to Entra ID failed for ${where}: ${firstLine}. Entra ID was not reached: ` +
        `behind a proxy, set HTTPS_PROXY for the step; behind a company TLS inspection, set NODE_EXTRA_CA_CERTS ` +
        `to the PEM file of its root certificate; otherwise check 'authority' (or 'cloud').`
    )
  if (!advice || !code) return new SignInError(`Sign-in to Entra ID failed for ${where}: ${firstLine}`)
  // The code first, then what it means and what to do; Entra ID's own words last.
  const said = firstLine.replace(/^.*?AADSTS\d+:\s*/, '')
  return new SignInError(`Sign-in to Entra ID failed for ${where}: AADSTS${code}: ${advice}. (Entra ID: ${said})`)
}
