/**
 * GitHub Actions OIDC as the app's credential: the job's ID token from GitHub is the client
 * assertion, and a federated credential on the app registration says which workflow's tokens
 * Entra ID trusts. No secret is stored anywhere.
 * https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
 */
import { errorMessage } from '../util/error-message.js'

/** The `iss` of GitHub's tokens on github.com. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

/** The runner sets these only for jobs allowed `id-token: write`. */
const REQUEST_URL = 'ACTIONS_ID_TOKEN_REQUEST_URL'
const REQUEST_TOKEN = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'

/** What a workflow needs to declare for OIDC sign-in (and the action's other work). */
export const PERMISSIONS_BLOCK = [
  'permissions:',
  '  id-token: write # sign in to Entra ID with GitHub OIDC',
  '  contents: write # commit snapshots to the data branch',
  '  issues: write # open, update and close the failure issue'
].join('\n')

/** Whether this job may ask GitHub for an ID token. */
export function oidcAvailable(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env[REQUEST_URL]?.trim() && env[REQUEST_TOKEN]?.trim())
}

/** The token that lets the job ask for ID tokens: not an input, but a secret all the same. */
export function oidcRequestToken(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env[REQUEST_TOKEN]?.trim() || undefined
}

/** The claims Entra ID matches a federated credential on. */
export interface PresentedToken {
  issuer: string
  subject: string
  audience: string
}

/**
 * The issuer, subject and audience of a GitHub token, read without checking its signature:
 * they only go into messages, and Entra ID does the checking.
 */
export function presentedToken(jwt: string): PresentedToken | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'))
    if (typeof payload !== 'object' || payload === null) return undefined
    const claims = payload as Record<string, unknown>
    const aud = Array.isArray(claims['aud']) ? claims['aud'].join(', ') : claims['aud']
    return typeof claims['sub'] === 'string'
      ? { issuer: String(claims['iss'] ?? ''), subject: claims['sub'], audience: String(aud ?? '') }
      : undefined
  } catch {
    return undefined
  }
}

/** GitHub did not hand out an ID token. */
export class OidcTokenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OidcTokenError'
  }
}

/**
 * MSAL's client-assertion callback: a new GitHub token each time it is called, so that no
 * token outlives its few minutes. `onToken` hears what each token presents.
 */
export function gitHubAssertion(
  getIDToken: (audience: string) => Promise<string>,
  audience: string,
  onToken: (presented: PresentedToken | undefined) => void
): () => Promise<string> {
  return async () => {
    let token: string
    try {
      token = await getIDToken(audience)
    } catch (error) {
      throw new OidcTokenError(
        `GitHub did not issue an OIDC token for audience '${audience}' (${oneLine(errorMessage(error)).replace(/^Error message:\s*/i, '')}). ` +
          `The job needs 'id-token: write' in its permissions, and pull requests from forks never get one.`
      )
    }
    onToken(presentedToken(token))
    return token
  }
}

/** @actions/core's errors spread over several indented lines. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
