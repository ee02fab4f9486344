import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node'
import { errorMessage } from '../errors.js'
import type { Credential } from '../settings.js'
import { aadstsCode, adviceFor } from './entra-errors.js'

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
}

/** Raised when Entra ID refuses to issue a token; the message says what to change. */
export class SignInError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SignInError'
  }
}

/**
 * Client-credentials sign-in with MSAL. The authority host is declared as known, which
 * skips MSAL's instance discovery call: it works the same for every cloud and for a
 * custom authority without reaching login.microsoftonline.com first.
 */
export function createTokenProvider(options: EntraOptions): TokenProvider {
  const config: Configuration = {
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost}/${options.tenantId}`,
      knownAuthorities: [new URL(options.authorityHost).host],
      clientSecret: options.credential.secret
    }
  }
  const app = new ConfidentialClientApplication(config)
  const scopes = [`${options.audience}/.default`]

  return {
    async getToken(forceRefresh = false): Promise<string> {
      let token: string | undefined
      try {
        const result = await app.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh })
        token = result?.accessToken
      } catch (error) {
        throw explainSignInFailure(error, options)
      }
      if (!token) throw new SignInError(`Entra ID returned no access token for ${scopes[0]}.`)
      options.onToken(token)
      return token
    }
  }
}

function explainSignInFailure(error: unknown, options: EntraOptions): SignInError {
  const text = errorMessage(error)
  const code = aadstsCode(text)
  const advice = adviceFor(code)
  // MSAL's message is Entra's error_description: the AADSTS line, then trace and correlation ids.
  const firstLine = text.split(/\r?\n/)[0] ?? text
  const where = `app ${options.clientId} in tenant ${options.tenantId} at ${options.authorityHost}`
  return new SignInError(
    advice
      ? `Sign-in to Entra ID failed for ${where}: ${advice}. (${firstLine})`
      : `Sign-in to Entra ID failed for ${where}: ${firstLine}`
  )
}
