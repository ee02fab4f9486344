import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { describeCredential, readCredential, type CredentialInputs } from '../../src/action/credential-inputs.js'
import { privateKeyLines } from '../../src/action/certificate-input.js'
import { InputError, readSettings, type InputSource } from '../../src/action/inputs.js'
import type { Credential } from '../../src/auth/credential.js'
import { makeCertificate, type TestCertificate } from '../emulator/index.js'

const NOW = new Date('2026-11-22T03:57:00Z')
const CLIENT = '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60'
const SECRET = 'Xy9~s3cr3t.value_with-symbols'
const PASSWORD = 'pem-Passw0rd'
const OIDC_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-value'
}

let app: TestCertificate

beforeAll(async () => {
  app = await makeCertificate({
    subject: 'm365-audit-sync',
    notBefore: new Date('2026-11-01'),
    notAfter: new Date('2027-11-01')
  })
})

function read(
  given: Partial<CredentialInputs>,
  options: { env?: Record<string, string>; cloud?: 'commercial' | 'gcc' | 'gcc-high' | 'dod' } = {}
): { credential: Credential | undefined; problems: { input: string; message: string }[] } {
  const problems: { input: string; message: string }[] = []
  const inputs: CredentialInputs = {
    clientSecret: '',
    certificate: '',
    certificatePassword: '',
    oidcAudience: '',
    ...given
  }
  const credential = readCredential(
    inputs,
    { clientId: CLIENT, cloud: options.cloud ?? 'commercial', env: options.env ?? {}, now: NOW },
    (input, message) => {
      problems.push({ input, message })
      return undefined
    }
  )
  return { credential, problems }
}

describe('readCredential: exactly one credential', () => {
  it('a client secret', () => {
    expect(read({ clientSecret: SECRET })).toEqual({
      credential: { kind: 'client-secret', secret: SECRET },
      problems: []
    })
  })

  it('a certificate, even where OIDC is available', () => {
    const { credential, problems } = read({ certificate: app.keyPem + app.certPem }, { env: OIDC_ENV })
    expect(problems).toEqual([])
    expect(credential).toMatchObject({ kind: 'certificate', certificate: { subject: 'CN=m365-audit-sync' } })
  })

  it.each([
    ['commercial', 'api://AzureADTokenExchange'],
    ['gcc', 'api://AzureADTokenExchange'],
    ['gcc-high', 'api://AzureADTokenExchangeUSGov'],
    ['dod', 'api://AzureADTokenExchangeUSGov']
  ] as const)('GitHub OIDC in %s asks for audience %s', (cloud, audience) => {
    expect(read({}, { env: OIDC_ENV, cloud })).toEqual({ credential: { kind: 'github-oidc', audience }, problems: [] })
  })

  it("GitHub OIDC with 'oidc-audience' asks for that audience", () => {
    expect(read({ oidcAudience: ' api://contoso ' }, { env: OIDC_ENV, cloud: 'dod' }).credential).toEqual({
      kind: 'github-oidc',
      audience: 'api://contoso'
    })
  })

  it('a secret and a certificate together: an error naming both inputs', () => {
    const { credential, problems } = read({ clientSecret: SECRET, certificate: app.keyPem + app.certPem })
    expect(credential).toBeUndefined()
    expect(problems).toEqual([
      {
        input: 'certificate',
        message:
          "Inputs 'client-secret' and 'certificate' are both set; the action signs in with exactly one credential: " +
          "remove 'client-secret' to use the certificate, or 'certificate' to use the secret."
      }
    ])
  })

  it('none, and no OIDC: an error naming both inputs and the permission, with the block to add', () => {
    const { problems } = read({})
    expect(problems).toHaveLength(1)
    expect(problems[0]?.input).toBe('client-secret')
    expect(problems[0]?.message).toMatch(
      /^No credential for app 0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60: set 'client-secret' to a client secret of the app, or 'certificate' to a PEM/
    )
    expect(problems[0]?.message).toContain(
      '(ACTIONS_ID_TOKEN_REQUEST_URL is not set). Grant it in the workflow or the job:\n' +
        'permissions:\n  id-token: write # sign in to Entra ID with GitHub OIDC\n  contents: write # commit snapshots to the data branch\n' +
        '  issues: write # open, update and close the failure issue\nand add a federated credential'
    )
  })

  it("'oidc-audience' without an ID token: the OIDC error, under that input", () => {
    const { problems } = read(
      { oidcAudience: 'api://AzureADTokenExchange' },
      { env: { ACTIONS_ID_TOKEN_REQUEST_URL: OIDC_ENV.ACTIONS_ID_TOKEN_REQUEST_URL } }
    )
    expect(problems.map((problem) => problem.input)).toEqual(['oidc-audience'])
    expect(problems[0]?.message).toMatch(
      /^GitHub OIDC sign-in \('oidc-audience' is set\) needs an ID token from GitHub, and this job may not ask for one/
    )
  })

  it.each([
    [
      { oidcAudience: 'api://a api://b' },
      'oidc-audience',
      /must be one audience, such as api:\/\/AzureADTokenExchange; got 'api:\/\/a api:\/\/b'/
    ],
    [
      { oidcAudience: 'api://x', clientSecret: SECRET },
      'oidc-audience',
      /is for GitHub OIDC sign-in.*remove 'oidc-audience', or remove 'client-secret'/
    ],
    [
      { certificatePassword: PASSWORD, clientSecret: SECRET },
      'certificate-password',
      /is set but 'certificate' is empty/
    ]
  ])('refuses %j', (given, input, message) => {
    const { problems } = read(given, { env: OIDC_ENV })
    expect(problems.map((problem) => problem.input)).toEqual([input])
    expect(problems[0]?.message).toMatch(message)
    expect(problems[0]?.message).not.toContain(SECRET)
    expect(problems[0]?.message).not.toContain(PASSWORD)
  })

  it('says in one line how it signs in, nothing secret', () => {
    const certificate = read({ certificate: app.keyPem + app.certPem }).credential!
    const sha1 = new X509Certificate(app.certPem).fingerprint.replaceAll(':', '')
    expect(describeCredential(certificate)).toBe(
      `Sign-in with the certificate CN=m365-audit-sync, SHA-1 thumbprint ${sha1} (x5t#S256 ${new X509Certificate(app.certPem).fingerprint256.replaceAll(':', '')}), valid until 2027-11-01T00:00:00Z.`
    )
    expect(describeCredential({ kind: 'client-secret', secret: SECRET })).toBe('Sign-in with a client secret.')
    expect(describeCredential({ kind: 'github-oidc', audience: 'api://AzureADTokenExchangeUSGov' })).toBe(
      "Sign-in with GitHub OIDC: GitHub's token for audience api://AzureADTokenExchangeUSGov, exchanged through a federated credential of the app."
    )
  })
})

describe('readSettings masks every credential secret before it checks anything', () => {
  function source(inputs: Record<string, string>, env: Record<string, string> = {}) {
    const events: string[] = []
    const all: Record<string, string> = {
      'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47',
      'client-id': CLIENT,
      'github-token': 'ghs_token0123456789',
      repository: 'contoso/audit',
      ...inputs
    }
    const input: InputSource = {
      getInput: (name) => all[name] ?? '',
      setSecret: (value) => events.push(`mask:${value}`),
      env
    }
    return { input, events }
  }

  it('the PEM whole, each line of its key, the password, and the key MSAL gets', () => {
    const encrypted = app.privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD })
      .toString()
    const { input, events } = source({ certificate: encrypted + app.certPem, 'certificate-password': PASSWORD })
    const { settings } = readSettings(input, NOW)
    const masked = events.map((event) => event.slice('mask:'.length))
    expect(masked).toEqual(expect.arrayContaining([PASSWORD, encrypted + app.certPem, ...privateKeyLines(encrypted)]))
    const derived = settings.credential?.kind === 'certificate' ? settings.credential.privateKeyPem : ''
    expect(masked).toEqual(expect.arrayContaining(privateKeyLines(derived)))
    expect(new Set(masked).size, 'each value masked once').toBe(masked.length)
  })

  it('masks before reporting a mistake, and the mistake quotes none of it', () => {
    const { input, events } = source({
      'client-secret': SECRET,
      certificate: app.keyPem + app.certPem,
      'tenant-id': 'x'
    })
    let error: unknown
    try {
      readSettings(input, NOW)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InputError)
    const masked = events.map((event) => event.slice('mask:'.length))
    expect(masked).toEqual(expect.arrayContaining([SECRET, ...privateKeyLines(app.keyPem)]))
    const text = (error as InputError).message
    expect([SECRET, ...privateKeyLines(app.keyPem)].filter((secret) => text.includes(secret))).toEqual([])
  })

  it("masks the runner's ID-token request token for OIDC", () => {
    const { input, events } = source({}, OIDC_ENV)
    expect(readSettings(input, NOW).settings.credential).toEqual({
      kind: 'github-oidc',
      audience: 'api://AzureADTokenExchange'
    })
    expect(events).toContain(`mask:${OIDC_ENV.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`)
  })
})
