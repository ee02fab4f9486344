import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSelfSignedCertificate, startEmulator, type Emulator, type SelfSignedCertificate } from './index.js'
import { jwtPayload, signRs256, TestClient, UndiciNetworkClient } from './test-client.js'

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
const GITHUB_SUBJECT = 'repo:octo/audit:ref:refs/heads/main'
const github = generateKeyPairSync('rsa', { modulusLength: 2048 })

let emulator: Emulator
let client: TestClient
let appCert: SelfSignedCertificate

beforeAll(async () => {
  appCert = await createSelfSignedCertificate('m365-audit-sync app')
  emulator = await startEmulator({
    resource: 'https://manage.office.com',
    certificate: appCert.certPem,
    federated: {
      issuer: GITHUB_ISSUER,
      subject: GITHUB_SUBJECT,
      publicKeyPem: github.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    }
  })
  client = new TestClient(emulator)
})

afterAll(async () => {
  await client.close()
  await emulator.close()
})

interface EntraError {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
}

function msalApp(auth: Partial<Configuration['auth']>): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId: emulator.clientId, authority: emulator.authority, knownAuthorities: [emulator.host], ...auth },
    system: { networkClient: new UndiciNetworkClient(client.agent) }
  })
}

function githubAssertion(overrides: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000)
  return signRs256(
    {
      iss: GITHUB_ISSUER,
      sub: GITHUB_SUBJECT,
      aud: 'api://AzureADTokenExchange',
      iat: now,
      nbf: now,
      exp: now + 300,
      ...overrides
    },
    github.privateKey,
    { kid: 'gh' }
  )
}

describe('token endpoint (v2)', () => {
  it('issues a Bearer access token with the expected claims for the client secret', async () => {
    const answer = await client.tokenRequest()
    expect(answer.status).toBe(200)
    const body = answer.json as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 })
    const claims = jwtPayload(body['access_token'] as string)
    expect(claims).toMatchObject({
      aud: emulator.resource,
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      appid: emulator.clientId,
      roles: ['ActivityFeed.Read'],
      ver: '1.0'
    })
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(3599)
  })

  it('answers a wrong secret with 401 invalid_client AADSTS7000215 in Entra shape', async () => {
    const answer = await client.send('POST', `${emulator.authority}/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': 'corr-123' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emulator.clientId,
        client_secret: 'wrong',
        scope: `${emulator.resource}/.default`
      }).toString()
    })
    expect(answer.status).toBe(401)
    const body = answer.json as EntraError
    expect(body.error).toBe('invalid_client')
    expect(body.error_codes).toEqual([7000215])
    expect(body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided\./)
    expect(body.error_description).toContain(
      `\r\nTrace ID: ${body.trace_id}\r\nCorrelation ID: corr-123\r\nTimestamp: `
    )
    expect(body.correlation_id).toBe('corr-123')
    expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/)
  })

  it.each([
    ['unknown client', { client_id: '99999999-9999-4999-8999-999999999999' }, 400, 'unauthorized_client', 700016],
    ['scope without /.default', { scope: 'https://manage.office.com' }, 400, 'invalid_scope', 1002012],
    ['unknown resource', { scope: 'https://graph.example/.default' }, 400, 'invalid_resource', 500011],
    ['no credential', { client_secret: undefined }, 401, 'invalid_client', 7000218],
    ['wrong grant', { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003]
  ])('rejects %s', async (_name, form, status, error, code) => {
    const answer = await client.tokenRequest(form)
    expect(answer.status).toBe(status)
    expect(answer.json).toMatchObject({ error, error_codes: [code] })
    expect((answer.json as EntraError).error_description).toMatch(new RegExp(`^AADSTS${code}: `))
  })

  it('rejects an unknown tenant with AADSTS90002', async () => {
    const answer = await client.send('POST', `${emulator.url}/44444444-4444-4444-8444-444444444444/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials'
    })
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: 'invalid_request', error_codes: [90002] })
  })

  it('accepts a configured extra resource and the API accepts that audience', async () => {
    const answer = await client.tokenRequest({ scope: 'https://manage.office.com//.default' })
    expect(answer.status).toBe(200)
    const token = (answer.json as { access_token: string }).access_token
    expect(jwtPayload(token)['aud']).toBe('https://manage.office.com')
    const api = new TestClient(emulator)
    api.token = token
    expect((await api.api('GET', 'subscriptions/list')).status).toBe(200)
    await api.close()
  })
})

describe('token endpoint (v1)', () => {
  it('takes resource= and answers with string numbers', async () => {
    const answer = await client.tokenRequest(
      { scope: undefined, resource: 'https://manage.office.com' },
      '/oauth2/token'
    )
    expect(answer.status).toBe(200)
    const body = answer.json as Record<string, unknown>
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: '3599',
      ext_expires_in: '3599',
      resource: 'https://manage.office.com'
    })
    expect(body['expires_on']).toMatch(/^\d+$/)
  })
})

describe('OIDC discovery', () => {
  it('names issuer and token endpoint on the emulator origin', async () => {
    const answer = await client.send('GET', `${emulator.authority}/v2.0/.well-known/openid-configuration`)
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({
      issuer: `${emulator.authority}/v2.0`,
      token_endpoint: `${emulator.authority}/oauth2/v2.0/token`
    })
  })
})

describe('MSAL Node', () => {
  it('gets a token with the client secret, then serves it from cache', async () => {
    emulator.requests.clear()
    const app = msalApp({ clientSecret: emulator.clientSecret! })
    const first = await app.acquireTokenByClientCredential({ scopes: [`${emulator.resource}/.default`] })
    expect(first?.accessToken).toBeTruthy()
    const second = await app.acquireTokenByClientCredential({ scopes: [`${emulator.resource}/.default`] })
    expect(second?.fromCache).toBe(true)
    expect(emulator.requests.entries.map((r) => [r.route, r.status])).toEqual([
      ['openid', 200],
      ['token', 200]
    ])
  })

  it('surfaces AADSTS7000215 for a wrong secret', async () => {
    const app = msalApp({ clientSecret: 'nope' })
    await expect(app.acquireTokenByClientCredential({ scopes: [`${emulator.resource}/.default`] })).rejects.toThrow(
      /AADSTS7000215/
    )
  })

  it.each(['thumbprintSha256', 'thumbprint'] as const)('gets a token with a certificate (%s)', async (kind) => {
    const x509 = new X509Certificate(appCert.certPem)
    const digest = createHash(kind === 'thumbprint' ? 'sha1' : 'sha256')
      .update(x509.raw)
      .digest('hex')
    const app = msalApp({ clientCertificate: { [kind]: digest, privateKey: appCert.keyPem } })
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://manage.office.com/.default'] })
    expect(jwtPayload(result!.accessToken)).toMatchObject({ aud: 'https://manage.office.com', appidacr: '2' })
  })

  it('gets a token with a federated (GitHub OIDC) assertion callback', async () => {
    let calls = 0
    const app = msalApp({
      clientAssertion: async () => {
        calls++
        return githubAssertion()
      }
    })
    const result = await app.acquireTokenByClientCredential({ scopes: [`${emulator.resource}/.default`] })
    expect(result?.accessToken).toBeTruthy()
    expect(calls).toBe(1)
  })
})

describe('client assertions', () => {
  const assertionForm = (assertion: string) => ({
    client_secret: undefined,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion
  })

  it('rejects a federated assertion whose subject matches no credential (AADSTS70021)', async () => {
    const answer = await client.tokenRequest(assertionForm(githubAssertion({ sub: 'repo:octo/audit:pull_request' })))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error_codes: [70021] })
    expect((answer.json as EntraError).error_description).toContain("Assertion Subject: 'repo:octo/audit:pull_request'")
  })

  it('rejects an expired federated assertion (AADSTS700024)', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600
    const answer = await client.tokenRequest(
      assertionForm(githubAssertion({ iat: past - 300, nbf: past - 300, exp: past }))
    )
    expect(answer.json).toMatchObject({ error: 'invalid_client', error_codes: [700024] })
  })

  it('rejects a federated assertion signed by another key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const now = Math.floor(Date.now() / 1000)
    const forged = signRs256(
      { iss: GITHUB_ISSUER, sub: GITHUB_SUBJECT, aud: 'api://AzureADTokenExchange', nbf: now, exp: now + 300 },
      other.privateKey
    )
    const answer = await client.tokenRequest(assertionForm(forged))
    expect(answer.json).toMatchObject({ error: 'invalid_client', error_codes: [700027] })
  })

  it('rejects a certificate assertion with an unregistered thumbprint (AADSTS700027)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const assertion = signRs256(
      {
        iss: emulator.clientId,
        sub: emulator.clientId,
        aud: `${emulator.authority}/oauth2/v2.0/token`,
        nbf: now,
        exp: now + 600,
        jti: 'x'
      },
      appCert.keyPem,
      { x5t: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' }
    )
    const answer = await client.tokenRequest(assertionForm(assertion))
    expect(answer.status).toBe(401)
    expect(answer.json).toMatchObject({ error: 'invalid_client', error_codes: [700027] })
  })
})
