/**
 * GitHub Actions' OIDC token endpoint, as a job with `id-token: write` reaches it: the
 * runner hands the job ACTIONS_ID_TOKEN_REQUEST_URL (with an `api-version` query) and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN; @actions/core's getIDToken appends `&audience=...`, sends
 * `Authorization: Bearer <request token>` and reads `value` from the JSON answer. The token is
 * an RS256 JWT from this fake issuer's own key, with GitHub's claims.
 * https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
import { generateKeyPair, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'

/** GitHub's issuer on github.com. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

/** How to set up the fake issuer; every field is optional. */
export interface FakeOidcIssuerOptions {
  /** Default `repo:contoso/audit:ref:refs/heads/main`. */
  subject?: string
  /** Default {@link GITHUB_OIDC_ISSUER}. */
  issuer?: string
  /** Lifetime of issued tokens; default 300 s. */
  lifetimeSeconds?: number
}

/** One request to the endpoint. */
export interface OidcTokenRequest {
  /** The `audience` query parameter, when sent. */
  audience: string | undefined
  /** Whether it carried the right request token. */
  authorized: boolean
  status: number
}

/** A running fake issuer. */
export interface FakeOidcIssuer {
  /** ACTIONS_ID_TOKEN_REQUEST_URL. */
  readonly url: string
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken: string
  readonly issuer: string
  /** The subject of the tokens it issues; a test may change it. */
  subject: string
  /** The public key that verifies its tokens (SPKI PEM), as Entra gets it from GitHub's JWKS. */
  readonly publicKeyPem: string
  readonly requests: readonly OidcTokenRequest[]
  /** Every token handed out, oldest first. */
  readonly issued: readonly string[]
  /** The two variables the runner sets for a job with `id-token: write`. */
  env(): Record<string, string>
  close(): Promise<void>
}

const generate = promisify(generateKeyPair)

/** Starts the fake issuer on 127.0.0.1. */
export async function startFakeOidcIssuer(options: FakeOidcIssuerOptions = {}): Promise<FakeOidcIssuer> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 })
  const issuer = options.issuer ?? GITHUB_OIDC_ISSUER
  const lifetime = options.lifetimeSeconds ?? 300
  const requestToken = `oidc-request-${randomBytes(16).toString('hex')}`
  const kid = randomBytes(8).toString('hex')
  const requests: OidcTokenRequest[] = []
  const issued: string[] = []
  const state = { subject: options.subject ?? 'repo:contoso/audit:ref:refs/heads/main' }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const audience = url.searchParams.get('audience') ?? undefined
    const authorized = req.headers.authorization === `Bearer ${requestToken}`
    const answer = (status: number, body: unknown) => {
      requests.push({ audience, authorized, status })
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body))
    }
    if (req.method !== 'GET' || url.pathname !== '/idtoken' || url.searchParams.get('api-version') !== '2.0') {
      return answer(404, { message: 'Not found' })
    }
    if (!authorized) return answer(401, { message: 'Bad credentials' })
    const token = githubToken(privateKey, kid, {
      issuer,
      subject: state.subject,
      // Without an audience GitHub names the repository owner's URL.
      audience: audience ?? 'https://github.com/contoso',
      lifetime
    })
    issued.push(token)
    return answer(200, { count: token.length, value: token })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}/idtoken?api-version=2.0`

  return {
    url,
    requestToken,
    issuer,
    get subject() {
      return state.subject
    },
    set subject(value: string) {
      state.subject = value
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    requests,
    issued,
    env: () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

function githubToken(
  key: KeyObject,
  kid: string,
  claims: { issuer: string; subject: string; audience: string; lifetime: number }
): string {
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    jti: randomUUID(),
    sub: claims.subject,
    aud: claims.audience,
    ref: 'refs/heads/main',
    repository: 'contoso/audit',
    repository_owner: 'contoso',
    run_id: '4242',
    event_name: 'schedule',
    iss: claims.issuer,
    nbf: now - 5,
    iat: now,
    exp: now + claims.lifetime
  }
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${encode({ typ: 'JWT', alg: 'RS256', kid })}.${encode(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`
}
