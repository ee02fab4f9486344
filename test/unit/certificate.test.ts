import { createPrivateKey, X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CertificateError,
  expiryWarning,
  privateKeyLines,
  readClientCertificate
} from '../../src/action/certificate-input.js'
import { ecKeyPair, makeCertificate, rsaKeyPair, type TestCertificate } from '../emulator/index.js'

const NOW = new Date('2026-11-22T03:57:00Z')
const DAY = 86_400_000
const PASSWORD = 'pem-Passw0rd'

let app: TestCertificate
let ca: TestCertificate
let leaf: TestCertificate

beforeAll(async () => {
  ca = await makeCertificate({
    subject: 'Contoso CA',
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2030-01-01')
  })
  ;[app, leaf] = await Promise.all([
    makeCertificate({
      subject: 'm365-audit-sync',
      notBefore: new Date('2026-11-01'),
      notAfter: new Date('2027-11-01')
    }),
    makeCertificate({
      subject: 'leaf',
      issuer: { subject: 'Contoso CA', privateKey: ca.privateKey },
      notBefore: new Date('2026-11-01'),
      notAfter: new Date('2027-11-01')
    })
  ])
})

/** The CertificateError `read` throws, as `{input, message}`. */
function mistake(read: () => unknown): { input: string; message: string } {
  try {
    read()
  } catch (error) {
    if (error instanceof CertificateError) return { input: error.input, message: error.message }
    throw error
  }
  throw new Error('expected a CertificateError')
}

function hex(fingerprint: string): string {
  return fingerprint.replaceAll(':', '')
}

describe('readClientCertificate', () => {
  it('reads key and certificate, computes both thumbprints and hands MSAL an unencrypted PKCS#8 key', () => {
    const result = readClientCertificate(app.keyPem + app.certPem, '', NOW)
    const x509 = new X509Certificate(app.certPem)
    expect(result.certificate).toEqual({
      subject: 'CN=m365-audit-sync',
      thumbprintSha1: hex(x509.fingerprint),
      thumbprintSha256: hex(x509.fingerprint256),
      notBefore: new Date('2026-11-01T00:00:00Z'),
      notAfter: new Date('2027-11-01T00:00:00Z')
    })
    expect(result.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(x509.checkPrivateKey(createPrivateKey(result.privateKeyPem))).toBe(true)
  })

  it.each([
    ['PKCS#1', () => app.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), ''],
    [
      'encrypted PKCS#8',
      () =>
        app.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD }).toString(),
      PASSWORD
    ],
    [
      'encrypted PKCS#1 (Proc-Type header)',
      () =>
        app.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: PASSWORD }).toString(),
      PASSWORD
    ]
  ])('reads a %s key', (_, key, password) => {
    const result = readClientCertificate(key() + app.certPem, password, NOW)
    expect(result.certificate.subject).toBe('CN=m365-audit-sync')
    expect(new X509Certificate(app.certPem).checkPrivateKey(createPrivateKey(result.privateKeyPem))).toBe(true)
  })

  it('picks the certificate of the key from a chain, in any order', () => {
    for (const pem of [leaf.keyPem + leaf.certPem + ca.certPem, ca.certPem + leaf.certPem + leaf.keyPem]) {
      expect(readClientCertificate(pem, '', NOW).certificate.subject).toBe('CN=leaf')
    }
  })

  it.each([
    ['CRLF line ends', (pem: string) => pem.replace(/\n/g, '\r\n')],
    ['one line with \\n written out', (pem: string) => pem.replace(/\n/g, '\\n')],
    ['spaces where the line breaks were', (pem: string) => pem.replace(/\n/g, ' ')],
    ['indented lines and blank lines around', (pem: string) => `\n\n${pem.replace(/^/gm, '    ')}\n\n`]
  ])('accepts a PEM pasted with %s', (_, mangle) => {
    const result = readClientCertificate(mangle(app.keyPem + app.certPem), '', NOW)
    expect(result.certificate.thumbprintSha256).toBe(hex(new X509Certificate(app.certPem).fingerprint256))
  })

  it('explains each mistake, naming the input to fix and never quoting the key', async () => {
    const other = await makeCertificate({ subject: 'another app' })
    const encrypted = app.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD })
      .toString()
    const ec = await makeCertificate({ subject: 'ec app', key: await ecKeyPair() })
    const small = await makeCertificate({ subject: 'small app', key: await rsaKeyPair(1024) })
    const cases: [string, () => unknown, string, RegExp][] = [
      [
        'not PEM',
        () => readClientCertificate('MIIKUQIBAzCCChcGCSqGSIb3DQEHAaCCCggEggoE', '', NOW),
        'certificate',
        /is not PEM text .*openssl pkcs12 -in app\.pfx -nodes -out app\.pem/
      ],
      [
        'certificate only',
        () => readClientCertificate(app.certPem, '', NOW),
        'certificate',
        /holds 1 certificate but no private key/
      ],
      [
        'chain only',
        () => readClientCertificate(leaf.certPem + ca.certPem, '', NOW),
        'certificate',
        /holds 2 certificates but no private key/
      ],
      [
        'key only',
        () => readClientCertificate(app.keyPem, '', NOW),
        'certificate',
        /holds a private key but no certificate/
      ],
      [
        'two keys',
        () => readClientCertificate(app.keyPem + other.keyPem + app.certPem, '', NOW),
        'certificate',
        /holds 2 private keys/
      ],
      [
        'key of another certificate',
        () => readClientCertificate(other.keyPem + app.certPem, '', NOW),
        'certificate',
        /^The private key in 'certificate' does not belong to its certificate \(CN=m365-audit-sync, SHA-1 thumbprint [0-9A-F]{40}\)/
      ],
      [
        'key of no certificate in a chain',
        () => readClientCertificate(other.keyPem + leaf.certPem + ca.certPem, '', NOW),
        'certificate',
        /does not belong to any of its 2 certificates \(CN=leaf, .*; CN=Contoso CA, .*\)/
      ],
      [
        'encrypted, no password',
        () => readClientCertificate(encrypted + app.certPem, '', NOW),
        'certificate-password',
        /is encrypted and 'certificate-password' is empty/
      ],
      [
        'encrypted, wrong password',
        () => readClientCertificate(encrypted + app.certPem, 'wrong', NOW),
        'certificate-password',
        /does not decrypt the private key in 'certificate' \(.+\): check that the password secret belongs to this key/
      ],
      [
        'EC key',
        () => readClientCertificate(ec.keyPem + ec.certPem, '', NOW),
        'certificate',
        /is an EC key; certificate sign-in to Entra ID is signed with RSA/
      ],
      [
        '1024-bit key',
        () => readClientCertificate(small.keyPem + small.certPem, '', NOW),
        'certificate',
        /has 1024 bits; Entra ID accepts RSA keys of 2048 bits or more/
      ],
      [
        'damaged key',
        () => readClientCertificate(app.keyPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n') + app.certPem, '', NOW),
        'certificate',
        /^The private key in 'certificate' cannot be read \(.+\): it must be an RSA key in PEM/
      ],
      [
        'damaged certificate',
        () => readClientCertificate(app.keyPem + app.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n'), '', NOW),
        'certificate',
        /^The certificate in 'certificate' cannot be read/
      ],
      [
        'expired',
        () => readClientCertificate(app.keyPem + app.certPem, '', new Date('2027-11-01T00:00:00Z')),
        'certificate',
        /^The certificate in 'certificate' \(CN=m365-audit-sync, SHA-1 thumbprint [0-9A-F]{40}\) expired on 2027-11-01T00:00:00Z: make a new one/
      ],
      [
        'not valid yet',
        () => readClientCertificate(app.keyPem + app.certPem, '', new Date('2026-10-31T23:59:59Z')),
        'certificate',
        /is not valid before 2026-11-01T00:00:00Z, and Entra ID refuses it until then: .*now 2026-10-31T23:59:59Z/
      ]
    ]
    const keyLines = privateKeyLines(app.keyPem + other.keyPem + encrypted)
    for (const [what, read, input, message] of cases) {
      const error = mistake(read)
      expect(error.input, what).toBe(input)
      expect(error.message, what).toMatch(message)
      expect(
        keyLines.filter((line) => error.message.includes(line)),
        what
      ).toEqual([])
      expect(error.message, what).not.toContain(PASSWORD)
    }
  })
})

describe('expiryWarning', () => {
  it('warns from 30 days before expiry, counting whole days', () => {
    const facts = readClientCertificate(app.keyPem + app.certPem, '', NOW).certificate
    const expiry = facts.notAfter.getTime()
    expect(expiryWarning(facts, new Date(expiry - 30 * DAY - 1))).toBeUndefined()
    expect(expiryWarning(facts, new Date(expiry - 30 * DAY))).toMatch(
      /^The certificate CN=m365-audit-sync, SHA-1 thumbprint [0-9A-F]{40} expires on 2027-11-01T00:00:00Z, in 30 days; sign-in fails from then on\. Make a new one, upload it to the app registration beside the old one/
    )
    expect(expiryWarning(facts, new Date(expiry - 1.5 * DAY))).toContain('in 1 day;')
    expect(expiryWarning(facts, new Date(expiry - 60_000))).toContain('within a day;')
  })
})

describe('privateKeyLines', () => {
  it('gives every line of the key blocks, as pasted and as rewrapped, and nothing of the certificate', () => {
    const encrypted = app.privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: PASSWORD })
      .toString()
    const lines = privateKeyLines(encrypted + app.certPem)
    const body = encrypted.split('\n').filter((line) => /^[A-Za-z0-9+/=]{8,}$/.test(line))
    expect(lines).toEqual(expect.arrayContaining(body))
    expect(
      lines.some((line) => line.includes('Proc-Type') || line.includes('DEK-Info') || line.startsWith('-----'))
    ).toBe(false)
    expect(lines.filter((line) => app.certPem.includes(line))).toEqual([])
    // A key pasted as one line with spaces: its rewrapped lines are masked too.
    const oneLine = app.keyPem.replace(/\n/g, ' ')
    expect(privateKeyLines(oneLine)).toEqual(
      expect.arrayContaining(app.keyPem.split('\n').filter((line) => line.length >= 8 && !line.startsWith('-----')))
    )
  })
})
