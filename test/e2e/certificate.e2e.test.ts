import { createHash, X509Certificate } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { findLeaks, type ActionResult } from './run-action.js'
import { backfillRange, CLIENT, disableWhenListing, GITHUB_TOKEN, SECRET, startWorld, type World } from './world.js'
import { makeCertificate, rsaKeyPair, type TestCertificate } from '../emulator/index.js'

const DAY = 86_400_000
const PASSWORD = 'c3rt-Passw0rd~e2e'

/** Everything secret about a PEM: the whole text and each line of its key blocks. */
function secretsOf(...pems: string[]): string[] {
  const values: string[] = []
  for (const pem of pems) {
    values.push(pem.trim())
    for (const block of pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ??
      []) {
      values.push(
        ...block.split('\n').filter((line) => line.length >= 8 && !line.startsWith('-----') && !line.includes(':'))
      )
    }
  }
  return values
}

/** The texts a secret must never reach: the log, the summary, the outputs, every issue and comment. */
function published(world: World, result: ActionResult): Record<string, string> {
  const issues = world.github.issues.map((issue) => JSON.stringify(issue)).join('\n')
  return { log: result.visibleLog, summary: result.summary, outputs: JSON.stringify(result.outputs), issues }
}

describe('certificate sign-in against the shipped bundle', { timeout: E2E_TEST_BUDGET_MS }, () => {
  let world: World | undefined

  afterEach(async () => {
    await world?.close()
    world = undefined
  })

  it('signs in with an encrypted key and a chain, warns that the certificate expires soon, and lands exactly the served records', async () => {
    const ca = await makeCertificate({ subject: 'Contoso Test CA' })
    const leaf = await makeCertificate({
      subject: 'm365-audit-sync',
      issuer: { subject: 'Contoso Test CA', privateKey: ca.privateKey },
      notAfter: new Date(Date.now() + 20 * DAY)
    })
    const encryptedKey = leaf.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD })
      .toString()
    const certificate = `${encryptedKey}${leaf.certPem}${ca.certPem}`

    world = await startWorld({ emulator: { certificate: leaf.certPem } })
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const { inputs, from, to } = backfillRange(3)
    emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 2 })

    const result = await world.run({ ...inputs, 'client-secret': '', certificate, 'certificate-password': PASSWORD })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBeGreaterThan(0)

    // The emulator verified each assertion against the registered certificate; here is what it saw.
    const der = new X509Certificate(leaf.certPem).raw
    const tokenEndpoint = `${emulator.authority}/oauth2/v2.0/token`
    expect(emulator.signIns.length).toBeGreaterThanOrEqual(1)
    for (const signIn of emulator.signIns) {
      expect(signIn).toMatchObject({ method: 'certificate', code: 0, scope: `${emulator.resource}/.default` })
      expect(signIn.assertion?.header).toMatchObject({
        alg: 'PS256',
        'x5t#S256': createHash('sha256').update(der).digest('base64url')
      })
      expect(signIn.assertion?.claims).toMatchObject({ iss: CLIENT, sub: CLIENT, aud: tokenEndpoint })
      const { nbf, exp } = signIn.assertion?.claims as { nbf: number; exp: number }
      expect(exp).toBeGreaterThan(nbf)
    }

    const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase()
    expect(result.stdout).toContain(`Sign-in with the certificate CN=m365-audit-sync, SHA-1 thumbprint ${thumbprint}`)
    const warning = result.commands.find(
      (command) => command.command === 'warning' && command.properties.title === 'Certificate expires soon'
    )
    expect(warning?.message).toMatch(
      /^The certificate CN=m365-audit-sync, SHA-1 thumbprint [0-9A-F]{40} expires on \S+, in (19|20) days; sign-in fails from then on/
    )

    const secrets = [PASSWORD, ...secretsOf(encryptedKey, leaf.keyPem)]
    expect(result.masked).toEqual(expect.arrayContaining([PASSWORD, ...secretsOf(encryptedKey).slice(1)]))
    expect(findLeaks([...secrets, GITHUB_TOKEN], published(world, result))).toEqual([])
    const files = [...(await world.branchFiles()).values()].join('\n')
    expect(findLeaks(secrets, { branch: files })).toEqual([])
  })
})

describe('a failure issue opened by a certificate run', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('carries neither the key nor the password', async () => {
    const app = await makeCertificate({ subject: 'm365-audit-sync' })
    const encryptedKey = app.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD })
      .toString()
    const world = await startWorld({ emulator: { certificate: app.certPem } })
    try {
      disableWhenListing(world)
      const result = await world.run({
        ...backfillRange(2).inputs,
        'client-secret': '',
        certificate: encryptedKey + app.certPem,
        'certificate-password': PASSWORD
      })
      expect(result.exitCode).toBe(1)
      expect(world.github.issues).toHaveLength(1)
      expect(findLeaks([PASSWORD, ...secretsOf(encryptedKey, app.keyPem)], published(world, result))).toEqual([])
    } finally {
      await world.close()
    }
  })
})

describe('each certificate mistake has its own error, before any request', { timeout: E2E_TEST_BUDGET_MS }, () => {
  let world: World
  let good: TestCertificate
  let other: TestCertificate
  let expired: TestCertificate
  let future: TestCertificate
  let encryptedKey: string

  beforeAll(async () => {
    const now = Date.now()
    ;[good, other, expired, future] = await Promise.all([
      makeCertificate({ subject: 'm365-audit-sync' }),
      makeCertificate({ subject: 'another app' }),
      makeCertificate({
        subject: 'm365-audit-sync 2025',
        notBefore: new Date(now - 400 * DAY),
        notAfter: new Date(now - 35 * DAY)
      }),
      makeCertificate({ subject: 'm365-audit-sync next', key: await rsaKeyPair(), notBefore: new Date(now + 7 * DAY) })
    ])
    encryptedKey = good.privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD })
      .toString()
    world = await startWorld({ emulator: { certificate: good.certPem } })
  })

  afterAll(async () => {
    await world?.close()
  })

  const cases: [string, () => Record<string, string>, string, RegExp][] = [
    [
      'a PEM with the certificate only',
      () => ({ certificate: good.certPem }),
      'certificate',
      /^Input 'certificate' holds 1 certificate but no private key: .*the key \(-----BEGIN PRIVATE KEY-----\) and the certificate, for example `cat key\.pem cert\.pem`/
    ],
    [
      'a PEM with the key only',
      () => ({ certificate: good.keyPem }),
      'certificate',
      /^Input 'certificate' holds a private key but no certificate/
    ],
    [
      'a key that does not belong to the certificate',
      () => ({ certificate: other.keyPem + good.certPem }),
      'certificate',
      /^The private key in 'certificate' does not belong to its certificate \(CN=m365-audit-sync, SHA-1 thumbprint [0-9A-F]{40}\)/
    ],
    [
      'an expired certificate',
      () => ({ certificate: expired.keyPem + expired.certPem }),
      'certificate',
      /^The certificate in 'certificate' \(CN=m365-audit-sync 2025, SHA-1 thumbprint [0-9A-F]{40}\) expired on \d{4}-\d\d-\d\dT[\d:]+Z: make a new one, upload it/
    ],
    [
      'a certificate not valid yet',
      () => ({ certificate: future.keyPem + future.certPem }),
      'certificate',
      /^The certificate in 'certificate' \(CN=m365-audit-sync next, .*\) is not valid before \d{4}-\d\d-\d\dT[\d:]+Z, and Entra ID refuses it until then/
    ],
    [
      'an encrypted key without its password',
      () => ({ certificate: encryptedKey + good.certPem }),
      'certificate-password',
      /^The private key in 'certificate' is encrypted and 'certificate-password' is empty: pass its password from a secret/
    ],
    [
      'an encrypted key with a wrong password',
      () => ({ certificate: encryptedKey + good.certPem, 'certificate-password': 'not-the-password' }),
      'certificate-password',
      /^Input 'certificate-password' does not decrypt the private key in 'certificate' \(.+\): check that the password secret belongs to this key/
    ],
    [
      'a client secret and a certificate together',
      () => ({ 'client-secret': SECRET, certificate: good.keyPem + good.certPem }),
      'certificate',
      /^Inputs 'client-secret' and 'certificate' are both set; the action signs in with exactly one credential/
    ]
  ]

  it.each(cases)('%s', async (_, inputs, input, message) => {
    const requestsBefore = world.emulator.requests.length
    const githubBefore = world.github.requests.length
    const given: Record<string, string> = { 'client-secret': '', ...inputs() }
    const result = await world.run({ ...backfillRange(1).inputs, ...given })

    expect(result.exitCode).toBe(1)
    const error = result.errors.find((e) => e.message.includes(`'${input}'`))
    expect(error?.message, result.stdout).toMatch(message)
    expect(world.emulator.requests.length, 'no token or API request').toBe(requestsBefore)
    expect(world.github.requests.length, 'no GitHub request').toBe(githubBefore)
    const secrets = [PASSWORD, 'not-the-password', SECRET, ...secretsOf(given.certificate ?? '')]
    expect(findLeaks(secrets, published(world, result))).toEqual([])
  })
})
