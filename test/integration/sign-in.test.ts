import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici'
import { readClientCertificate } from '../../src/action/certificate-input.js'
import { createTokenProvider, type EntraOptions, type TokenProvider } from '../../src/auth/entra-token.js'
import type { PresentedToken } from '../../src/auth/github-oidc.js'
import type { Credential } from '../../src/auth/credential.js'
import {
  makeCertificate,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type TestCertificate
} from '../emulator/index.js'
import { signRs256 } from '../emulator/test-client.js'

const GITHUB = 'https://token.actions.githubusercontent.com'
const MAIN = 'repo:contoso/audit:ref:refs/heads/main'
const github = generateKeyPairSync('rsa', { modulusLength: 2048 })
const original = getGlobalDispatcher()

let registered: TestCertificate
let unregistered: TestCertificate
let emulator: Emulator | undefined

beforeAll(async () => {
  ;[registered, unregistered] = await Promise.all([
    makeCertificate({ subject: 'm365-audit-sync' }),
    makeCertificate({ subject: 'not uploaded' })
  ])
})

afterEach(async () => {
  setGlobalDispatcher(original)
  await emulator?.close()
  emulator = undefined
})

/** A GitHub token as the fake issuer would make it, for `subject`. */
function githubToken(audience: string, subject = MAIN): string {
  const now = Math.floor(Date.now() / 1000)
  return signRs256(
    { iss: GITHUB, sub: subject, aud: audience, nbf: now, iat: now, exp: now + 300, jti: crypto.randomUUID() },
    github.privateKey
  )
}

async function provider(
  credential: Credential,
  extra: Partial<EntraOptions> = {},
  options: EmulatorOptions = {}
): Promise<{ emulator: Emulator; tokens: TokenProvider }> {
  emulator = await startEmulator({
    certificate: registered.certPem,
    federated: {
      issuer: GITHUB,
      subject: MAIN,
      publicKeyPem: github.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    },
    ...options
  })
  // MSAL uses the global fetch: trust the emulator's throwaway certificate for this test.
  setGlobalDispatcher(new Agent({ connect: { ca: emulator.caCertPem } }))
  const tokens = createTokenProvider({
    tenantId: emulator.tenantId,
    clientId: emulator.clientId,
    credential,
    authorityHost: emulator.url,
    audience: emulator.resource,
    onToken: () => {},
    ...extra
  })
  return { emulator, tokens }
}

function certificateCredential(certificate: TestCertificate): Credential {
  return { kind: 'certificate', ...readClientCertificate(certificate.keyPem + certificate.certPem, '', new Date()) }
}

describe('the token provider', () => {
  it('asks Entra ID once for concurrent callers, serves that token, and asks again when told to', async () => {
    const { emulator, tokens } = await provider({ kind: 'client-secret', secret: 'emulator-secret~value' })
    const first = await Promise.all(Array.from({ length: 8 }, () => tokens.getToken()))
    expect(new Set(first).size).toBe(1)
    expect(await tokens.getToken()).toBe(first[0])
    expect(emulator.signIns.map((signIn) => [signIn.method, signIn.code])).toEqual([['secret', 0]])
    const renewed = await tokens.getToken(true)
    expect(renewed).not.toBe(first[0])
    expect(emulator.signIns).toHaveLength(2)
  })

  it('renews a token from 5 minutes before it expires', async () => {
    const { emulator, tokens } = await provider(
      { kind: 'client-secret', secret: 'emulator-secret~value' },
      {},
      { tokenLifetimeSeconds: 299 }
    )
    await tokens.getToken()
    await tokens.getToken()
    expect(emulator.signIns).toHaveLength(2)
  })

  it('GitHub OIDC: one GitHub token per token request, none for a token it serves', async () => {
    const audiences: string[] = []
    const presented: (PresentedToken | undefined)[] = []
    const { emulator, tokens } = await provider(
      { kind: 'github-oidc', audience: 'api://AzureADTokenExchange' },
      {
        getIDToken: async (audience) => {
          audiences.push(audience)
          return githubToken(audience)
        },
        onPresented: (token) => presented.push(token)
      }
    )
    await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()])
    await tokens.getToken()
    expect(audiences).toEqual(['api://AzureADTokenExchange'])
    await tokens.getToken(true)
    expect(audiences).toHaveLength(2)
    expect(emulator.signIns.map((signIn) => [signIn.method, signIn.code])).toEqual([
      ['federated', 0],
      ['federated', 0]
    ])
    expect(presented[0]).toEqual({ issuer: GITHUB, subject: MAIN, audience: 'api://AzureADTokenExchange' })
  })

  it('signs a certificate assertion with PS256 and the SHA-256 thumbprint', async () => {
    const credential = certificateCredential(registered)
    const { emulator, tokens } = await provider(credential)
    await tokens.getToken()
    const [signIn] = emulator.signIns
    expect(signIn).toMatchObject({ method: 'certificate', code: 0 })
    expect(signIn?.assertion?.header).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': Buffer.from(
        credential.kind === 'certificate' ? credential.certificate.thumbprintSha256 : '',
        'hex'
      ).toString('base64url')
    })
  })
})

describe('sign-in failures say what to do, the code first', () => {
  it('AADSTS700027: names the certificate that signed and its thumbprint as the admin center lists it', async () => {
    const credential = certificateCredential(unregistered)
    const { tokens } = await provider(credential)
    const sha1 = credential.kind === 'certificate' ? credential.certificate.thumbprintSha1 : ''
    await expect(tokens.getToken()).rejects.toThrow(
      new RegExp(
        `^Sign-in to Entra ID failed for app \\S+ in tenant \\S+ at \\S+: AADSTS700027: the certificate that signed the sign-in is not registered on the app, .*` +
          `This run signed with CN=not uploaded, whose SHA-1 thumbprint \\(as the admin center lists it\\) is ${sha1}\\. \\(Entra ID: The certificate with identifier`
      )
    )
  })

  it('AADSTS70021: shows the subject the workflow presents and where to register it', async () => {
    const { tokens } = await provider(
      { kind: 'github-oidc', audience: 'api://AzureADTokenExchange' },
      { getIDToken: async (audience) => githubToken(audience, 'repo:contoso/audit:pull_request') }
    )
    await expect(tokens.getToken()).rejects.toThrow(
      "AADSTS70021: no federated credential of the app matches this workflow's token. This workflow presents subject 'repo:contoso/audit:pull_request' " +
        '(issuer https://token.actions.githubusercontent.com, audience api://AzureADTokenExchange); register exactly these in the Entra admin center: ' +
        'App registrations → the app → Certificates & secrets → Federated credentials → Add credential'
    )
  })

  it('a TLS failure on the way (a company CA the runner does not trust) names the proxy and CA settings', async () => {
    const { tokens } = await provider({ kind: 'client-secret', secret: 'any' })
    // As on a runner behind TLS inspection: the emulator's certificate is not trusted.
    setGlobalDispatcher(original)
    await expect(tokens.getToken()).rejects.toThrow(
      /^Sign-in to Entra ID failed for app \S+ in tenant \S+ at \S+: .*Entra ID was not reached: behind a proxy, set HTTPS_PROXY .*NODE_EXTRA_CA_CERTS/
    )
  })

  it('a sign-in that gets no answer fails within its deadline, naming the host', async () => {
    const { emulator: slow, tokens } = await provider({ kind: 'client-secret', secret: 'any' }, { timeoutMs: 300 })
    slow.faults.add({ route: ['openid', 'token'], kind: 'slow', delayMs: 5_000 })
    const started = Date.now()
    await expect(tokens.getToken()).rejects.toThrow(
      new RegExp(
        `^Sign-in to Entra ID for app \\S+ at ${slow.url.replace(/[.]/g, '\\.')} got no answer within 0 s: .*HTTPS_PROXY`
      )
    )
    // Well before the emulator would have answered.
    expect(Date.now() - started).toBeLessThan(4_000)
  })

  it('AADSTS7000215 and AADSTS700016', async () => {
    const { tokens } = await provider({ kind: 'client-secret', secret: 'the Secret ID, not its Value' })
    await expect(tokens.getToken()).rejects.toThrow(
      /: AADSTS7000215: the client secret is wrong: use the secret's Value \(not its Secret ID\)/
    )
    await emulator?.close()
    emulator = await startEmulator({ clientId: '99999999-9999-4999-8999-999999999999' })
    setGlobalDispatcher(new Agent({ connect: { ca: emulator.caCertPem } }))
    const other = createTokenProvider({
      tenantId: emulator.tenantId,
      clientId: '11111111-1111-4111-8111-111111111111',
      credential: { kind: 'client-secret', secret: 'emulator-secret~value' },
      authorityHost: emulator.url,
      audience: emulator.resource,
      onToken: () => {}
    })
    await expect(other.getToken()).rejects.toThrow(/: AADSTS700016: no app with this client-id exists in this tenant/)
  })

  it('GitHub refusing the ID token is said as such, and nothing goes to Entra ID', async () => {
    const { emulator, tokens } = await provider(
      { kind: 'github-oidc', audience: 'api://AzureADTokenExchangeUSGov' },
      {
        getIDToken: async () => {
          throw new Error(
            'Error message: Failed to get ID Token. \n \n        Error Code : 403\n \n        Error Message: Forbidden'
          )
        }
      }
    )
    await expect(tokens.getToken()).rejects.toThrow(
      "GitHub did not issue an OIDC token for audience 'api://AzureADTokenExchangeUSGov' (Failed to get ID Token. Error Code : 403 Error Message: Forbidden). " +
        "The job needs 'id-token: write' in its permissions, and pull requests from forks never get one."
    )
    expect(emulator.signIns).toEqual([])
  })
})
