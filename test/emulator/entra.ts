/**
 * The Entra ID side: OIDC discovery, the v2 and v1 client-credentials token endpoints
 * (secret, certificate assertion, federated assertion) and the access tokens the API accepts.
 */
import { createPublicKey, randomBytes, randomUUID, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto'
import { aadsts, type EntraErrorSpec } from './errors.js'
import type { EmulatorRequest, EmulatorResponse } from './http.js'
import { decodeJwt, numericClaim, signHs256, stringClaim, verifyHs256, verifyRsa, type DecodedJwt } from './jwt.js'

/** The client assertion type of RFC 7523. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A federated identity credential (e.g. GitHub OIDC) registered on the app. */
export interface FederatedCredential {
  /** e.g. `https://token.actions.githubusercontent.com` */
  issuer: string
  /** e.g. `repo:octo/audit:ref:refs/heads/main`; matched exactly, as Entra does. */
  subject: string
  /** Default `api://AzureADTokenExchange`. */
  audience?: string
  /** Key that verifies the issuer's RS256 signatures; give this or `jwks`. */
  publicKeyPem?: string
  /** The issuer's JWKS; the assertion's `kid` selects the key. */
  jwks?: { keys: JsonWebKey[] }
}

/** Settings of the emulated app registration and tenant. */
export interface EntraSettings {
  origin: string
  tenantId: string
  clientId: string
  clientSecret?: string
  /** PEM certificate registered on the app. */
  certificatePem?: string
  federated: readonly FederatedCredential[]
  /** Accepted resources (audiences) of the Management API, without `/.default` or trailing slash. */
  resources: readonly string[]
  /** Roles in tokens for the Management API. */
  roles: readonly string[]
  /** Accepted resources of the Graph listener (its origin first); empty when there is none. */
  graphResources: readonly string[]
  /** Roles in tokens for Graph. */
  graphRoles: readonly string[]
  tokenLifetimeSeconds: number
  /** Emulator clock: token issue and expiry. */
  now: () => Date
  /** Clock for client assertions, which clients stamp with their real clock. */
  assertionNow: () => Date
}

/** The claims of an access token issued by the emulator. */
export interface AccessTokenClaims {
  aud: string
  iss: string
  iat: number
  nbf: number
  exp: number
  appid: string
  appidacr: string
  idtyp: 'app'
  oid: string
  roles: string[]
  sub: string
  tid: string
  uti: string
  ver: '1.0'
}

/**
 * One request to a token endpoint, as the emulator understood it: where it went, what it
 * asked for, how the client authenticated and, for an assertion, its decoded header and claims
 * (secrets are not kept).
 */
export interface SignInAttempt {
  /** Host the request addressed, e.g. login.microsoftonline.us (or 127.0.0.1:PORT). */
  host: string
  path: string
  /** `assertion` until the assertion is told apart as the app's own (certificate) or federated. */
  method: 'secret' | 'certificate' | 'federated' | 'assertion' | 'none'
  /** 0 when a token was issued, else the AADSTS code. */
  code: number
  scope?: string
  resource?: string
  assertion?: { header: Record<string, unknown>; claims: Record<string, unknown> }
}

/** Overrides for {@link Entra.mintAccessToken}, to make tokens the app could never get. */
export type MintOptions = Partial<Omit<AccessTokenClaims, 'iat' | 'nbf' | 'exp'>> & { lifetimeSeconds?: number }

/** Allowed clock skew on assertion `nbf`/`exp`, as Entra grants. */
const ASSERTION_SKEW_SECONDS = 300
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email'])

/** Entra ID emulation for one tenant and one app registration. */
export class Entra {
  /** How many access tokens were issued (token endpoint and `mintAccessToken`). */
  issuedTokens = 0
  /** Every token request, in arrival order. */
  readonly signIns: SignInAttempt[] = []
  private readonly signingKey = randomBytes(32)
  private readonly live = new Set<string>()
  private readonly certificate?: { key: KeyObject; x5t: string; x5tS256: string }
  private readonly servicePrincipalId = randomUUID()

  constructor(private readonly settings: EntraSettings) {
    if (settings.certificatePem) {
      const cert = new X509Certificate(settings.certificatePem)
      this.certificate = {
        key: cert.publicKey,
        x5t: thumbprint(cert.fingerprint),
        x5tS256: thumbprint(cert.fingerprint256)
      }
    }
  }

  /** `GET /{tenant}/v2.0/.well-known/openid-configuration` (and the v1 document). */
  handleOpenId(req: EmulatorRequest): EmulatorResponse {
    const tenant = req.tenant ?? ''
    if (!this.isTenant(tenant)) return this.error(aadsts.tenantNotFound(tenant), req)
    const origin = req.url.origin
    const base = `${origin}/${tenant}`
    const v2 = req.url.pathname.includes('/v2.0/')
    const doc = {
      token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/${v2 ? 'v2.0/' : ''}keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      // MSAL requires the issuer on the authority's own scheme, host and port.
      issuer: v2 ? `${base}/v2.0` : `${origin}/${this.settings.tenantId}/`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}authorize`,
      device_authorization_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}devicecode`,
      end_session_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}logout`,
      tenant_region_scope: 'EU',
      cloud_instance_name: req.url.hostname.endsWith('.us') ? 'microsoftonline.us' : 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com'
    }
    return { status: 200, headers: entraHeaders(), body: JSON.stringify(doc) }
  }

  /** `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/token`; every attempt lands in {@link signIns}. */
  handleToken(req: EmulatorRequest): EmulatorResponse {
    const form = new URLSearchParams(req.body)
    const assertion = form.get('client_assertion')
    const jwt = assertion === null ? undefined : decodeJwt(assertion)
    const attempt: SignInAttempt = {
      host: req.url.host,
      path: req.url.pathname,
      method: form.has('client_secret') ? 'secret' : assertion === null ? 'none' : 'assertion',
      code: 0,
      ...(form.has('scope') ? { scope: form.get('scope') ?? '' } : {}),
      ...(form.has('resource') ? { resource: form.get('resource') ?? '' } : {}),
      ...(jwt ? { assertion: { header: jwt.header, claims: jwt.payload } } : {})
    }
    const response = this.token(req, attempt)
    if (response.status !== 200)
      attempt.code = (JSON.parse(String(response.body)) as { error_codes: number[] }).error_codes[0] ?? -1
    this.signIns.push(attempt)
    return response
  }

  private token(req: EmulatorRequest, attempt: SignInAttempt): EmulatorResponse {
    const s = this.settings
    const tenant = req.tenant ?? ''
    const v1 = !req.url.pathname.includes('/v2.0/')
    if (req.method !== 'POST') {
      return this.error(
        {
          status: 405,
          error: 'invalid_request',
          code: 900561,
          description: 'The endpoint only accepts POST requests.'
        },
        req
      )
    }
    if (!this.isTenant(tenant)) return this.error(aadsts.tenantNotFound(tenant), req)
    const form = new URLSearchParams(req.body)
    const grant = form.get('grant_type')
    if (!grant) return this.error(aadsts.missingParameter('grant_type'), req)
    if (grant !== 'client_credentials') return this.error(aadsts.unsupportedGrant(grant), req)
    const clientId = form.get('client_id')
    if (!clientId) return this.error(aadsts.missingParameter('client_id'), req)
    if (clientId.toLowerCase() !== s.clientId.toLowerCase())
      return this.error(aadsts.appNotFound(clientId, tenant), req)

    const resource = v1 ? this.resourceFromV1(form) : this.resourceFromScope(form)
    if ('status' in resource) return this.error(resource, req)

    const auth = this.authenticateClient(form, req, attempt)
    if (auth) return this.error(auth, req)

    const appidacr = form.has('client_assertion') ? '2' : '1'
    const token = this.mintAccessToken({ aud: resource.resource, appidacr })
    const now = Math.floor(s.now().getTime() / 1000)
    const body = v1
      ? {
          token_type: 'Bearer',
          expires_in: String(s.tokenLifetimeSeconds),
          ext_expires_in: String(s.tokenLifetimeSeconds),
          expires_on: String(now + s.tokenLifetimeSeconds),
          not_before: String(now),
          resource: resource.resource,
          access_token: token
        }
      : {
          token_type: 'Bearer',
          expires_in: s.tokenLifetimeSeconds,
          ext_expires_in: s.tokenLifetimeSeconds,
          access_token: token
        }
    return { status: 200, headers: entraHeaders(), body: JSON.stringify(body) }
  }

  /**
   * Signs an access token; overrides let tests forge tenant, roles or audience. Its roles are
   * those the app holds on the audience's API: Graph's for a Graph audience.
   */
  mintAccessToken(overrides: MintOptions = {}): string {
    const s = this.settings
    const { lifetimeSeconds = s.tokenLifetimeSeconds, ...claimOverrides } = overrides
    const now = Math.floor(s.now().getTime() / 1000)
    const tid = claimOverrides.tid ?? s.tenantId
    const aud = claimOverrides.aud ?? s.resources[0] ?? s.origin
    const claims: AccessTokenClaims = {
      aud,
      iss: `https://sts.windows.net/${tid}/`,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      appid: s.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: this.servicePrincipalId,
      roles: [...(this.isGraphAudience(aud) ? s.graphRoles : s.roles)],
      sub: this.servicePrincipalId,
      tid,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      ...claimOverrides
    }
    this.live.add(claims.uti)
    this.issuedTokens++
    return signHs256({ ...claims }, this.signingKey, { kid: 'emulator' })
  }

  /**
   * Validates `Authorization: Bearer …` for the API: signature, audience, lifetime (emulator
   * clock) and revocation. Returns the claims, or undefined for "Authorization has been denied".
   */
  validateAccessToken(authorization: string | undefined): AccessTokenClaims | undefined {
    const checked = this.checkToken(authorization)
    if (!('claims' in checked)) return undefined
    return this.settings.resources.includes(normaliseResource(String(checked.claims.aud))) ? checked.claims : undefined
  }

  /**
   * Validates `Authorization: Bearer …` as Graph's gateway does: the claims, or the message of
   * its 401 `InvalidAuthenticationToken` (a token for another API fails on its audience).
   */
  validateGraphToken(authorization: string | undefined): { claims: AccessTokenClaims } | { refused: string } {
    const checked = this.checkToken(authorization)
    if (!('claims' in checked)) return checked
    return this.isGraphAudience(String(checked.claims.aud))
      ? checked
      : { refused: 'Access token validation failure. Invalid audience.' }
  }

  /** Signature, lifetime (emulator clock) and revocation; the messages are Graph's. */
  private checkToken(authorization: string | undefined): { claims: AccessTokenClaims } | { refused: string } {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
    if (!match?.[1]) return { refused: 'Access token is empty.' }
    const jwt = decodeJwt(match[1])
    if (!jwt) return { refused: 'CompactToken parsing failed with error code: 80049217' }
    if (!verifyHs256(jwt, this.signingKey)) return { refused: 'Access token validation failure.' }
    const claims = jwt.payload as unknown as AccessTokenClaims
    const now = this.settings.now().getTime() / 1000
    if (now >= claims.exp || now < claims.nbf) return { refused: 'Lifetime validation failed, the token is expired.' }
    if (!this.live.has(claims.uti)) return { refused: 'Access token validation failure.' }
    return { claims }
  }

  private isGraphAudience(aud: string): boolean {
    return this.settings.graphResources.includes(normaliseResource(aud))
  }

  /** Invalidates every token issued so far (as a secret rotation or policy change would). */
  revokeTokens(): void {
    this.live.clear()
  }

  private isTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.settings.tenantId.toLowerCase()
  }

  private resourceFromScope(form: URLSearchParams): { resource: string } | EntraErrorSpec {
    const scope = form.get('scope')
    if (!scope) return aadsts.missingParameter('scope')
    const scopes = scope.split(/\s+/).filter((x) => x !== '' && !OIDC_SCOPES.has(x))
    const only = scopes.length === 1 ? scopes[0] : undefined
    if (!only || !only.endsWith('/.default')) return aadsts.invalidScope(scope)
    return this.knownResource(only.slice(0, -'/.default'.length))
  }

  private resourceFromV1(form: URLSearchParams): { resource: string } | EntraErrorSpec {
    const resource = form.get('resource')
    if (!resource) return aadsts.missingParameter('resource')
    return this.knownResource(resource)
  }

  private knownResource(raw: string): { resource: string } | EntraErrorSpec {
    const resource = normaliseResource(raw)
    return this.settings.resources.includes(resource) || this.isGraphAudience(resource)
      ? { resource }
      : aadsts.resourceNotFound(raw, this.settings.tenantId)
  }

  /** Checks the client's credential; returns the error, or undefined when it is good. */
  private authenticateClient(
    form: URLSearchParams,
    req: EmulatorRequest,
    attempt: SignInAttempt
  ): EntraErrorSpec | undefined {
    const secret = form.get('client_secret')
    const assertion = form.get('client_assertion')
    if (secret !== null) {
      const expected = this.settings.clientSecret
      return expected !== undefined && secret === expected ? undefined : aadsts.invalidSecret(this.settings.clientId)
    }
    if (assertion === null) return aadsts.missingCredential()
    if (form.get('client_assertion_type') !== JWT_BEARER) return aadsts.invalidAssertionType()
    const jwt = decodeJwt(assertion)
    if (!jwt) return aadsts.malformedAssertion('The assertion is not a compact JWT.')
    const iss = stringClaim(jwt.payload, 'iss') ?? ''
    const sub = stringClaim(jwt.payload, 'sub') ?? ''
    // An assertion the app signed itself names the app as issuer and subject; anything else
    // is a token from another identity provider that must match a federated credential.
    const own = iss === this.settings.clientId && sub === this.settings.clientId
    attempt.method = own ? 'certificate' : 'federated'
    return own ? this.checkCertificateAssertion(jwt, req) : this.checkFederatedAssertion(jwt, iss, sub)
  }

  private checkCertificateAssertion(jwt: DecodedJwt, req: EmulatorRequest): EntraErrorSpec | undefined {
    const cert = this.certificate
    const keyId = String(jwt.header['x5t#S256'] ?? jwt.header['x5t'] ?? '')
    if (!cert || (keyId !== cert.x5t && keyId !== cert.x5tS256)) {
      return aadsts.unknownCertificate(this.settings.clientId, keyId)
    }
    if (!verifyRsa(jwt, cert.key)) return aadsts.badSignature()
    const aud = stringClaim(jwt.payload, 'aud') ?? ''
    const tenantBase = `${req.url.origin}/${req.tenant ?? ''}`.toLowerCase()
    if (![`${tenantBase}/oauth2/v2.0/token`, `${tenantBase}/oauth2/token`].includes(aud.toLowerCase())) {
      return aadsts.malformedAssertion(`The audience '${aud}' is not this token endpoint.`)
    }
    return this.checkLifetime(jwt)
  }

  private checkFederatedAssertion(jwt: DecodedJwt, iss: string, sub: string): EntraErrorSpec | undefined {
    const rawAud = jwt.payload['aud']
    const audiences = Array.isArray(rawAud) ? rawAud.map(String) : [String(rawAud ?? '')]
    const credential = this.settings.federated.find(
      (f) => f.issuer === iss && f.subject === sub && audiences.includes(f.audience ?? 'api://AzureADTokenExchange')
    )
    if (!credential) return aadsts.noFederatedMatch(iss, sub, audiences.join(','))
    const key = federatedKey(credential, stringClaim(jwt.header, 'kid'))
    if (!key || !verifyRsa(jwt, key)) return aadsts.badSignature()
    return this.checkLifetime(jwt)
  }

  private checkLifetime(jwt: DecodedJwt): EntraErrorSpec | undefined {
    const now = this.settings.assertionNow()
    const t = now.getTime() / 1000
    const nbf = numericClaim(jwt.payload, 'nbf')
    const exp = numericClaim(jwt.payload, 'exp')
    if (
      exp === undefined ||
      t > exp + ASSERTION_SKEW_SECONDS ||
      (nbf !== undefined && t < nbf - ASSERTION_SKEW_SECONDS)
    ) {
      return aadsts.assertionOutOfRange(now, nbf, exp)
    }
    return undefined
  }

  /** An Entra-shaped error answer with trace/correlation ids and timestamp. */
  private error(spec: EntraErrorSpec, req: EmulatorRequest): EmulatorResponse {
    const traceId = randomUUID()
    const header = req.headers['client-request-id']
    const correlationId = typeof header === 'string' && header !== '' ? header : randomUUID()
    const timestamp = this.settings
      .now()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, 'Z')
    const body = {
      error: spec.error,
      error_description: `AADSTS${spec.code}: ${spec.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [spec.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${req.url.origin}/error?code=${spec.code}`
    }
    return { status: spec.status, headers: entraHeaders(), body: JSON.stringify(body) }
  }
}

/** `https://manage.office.com/` and `https://manage.office.com` name the same resource. */
export function normaliseResource(resource: string): string {
  return resource.replace(/\/+$/, '')
}

/** Node's `AA:BB:…` fingerprint as the base64url a JWT `x5t` header carries. */
function thumbprint(fingerprint: string): string {
  return Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url')
}

function federatedKey(credential: FederatedCredential, kid: string | undefined): KeyObject | undefined {
  if (credential.publicKeyPem) return createPublicKey(credential.publicKeyPem)
  const jwk = credential.jwks?.keys.find((k) => kid === undefined || (k as { kid?: string }).kid === kid)
  return jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : undefined
}

function entraHeaders(): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    'x-ms-ests-server': '2.1.19000.0 - emulator',
    'x-ms-request-id': randomUUID()
  }
}
