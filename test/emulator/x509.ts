/**
 * X.509 certificates with chosen dates, keys and issuers, made in-process with node:crypto
 * and a minimal DER writer: the certificate sign-in tests need certificates that expired
 * last year or start next week, and chains signed by a test CA, which the `openssl req` of
 * tls.ts cannot backdate. Nothing touches the disk.
 */
import { generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'

const generate = promisify(generateKeyPair)

/** A key pair as node:crypto objects. */
export interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
}

/** A certificate with its key, both PEM. */
export interface TestCertificate extends KeyPair {
  certPem: string
  /** Unencrypted PKCS#8. */
  keyPem: string
  subject: string
}

/** What to make; every field has a default (a self-signed RSA certificate valid for a year). */
export interface TestCertificateOptions {
  /** The subject's CN. */
  subject?: string
  notBefore?: Date
  notAfter?: Date
  /** The certified key; default a new RSA 2048 key. */
  key?: KeyPair
  /** Who signs; default the certificate itself. */
  issuer?: { subject: string; privateKey: KeyObject }
}

/** A new RSA key pair (2048 bits by default). */
export function rsaKeyPair(bits = 2048): Promise<KeyPair> {
  return generate('rsa', { modulusLength: bits })
}

/** A new EC P-256 key pair. */
export function ecKeyPair(): Promise<KeyPair> {
  return generate('ec', { namedCurve: 'prime256v1' })
}

/** Makes a certificate. */
export async function makeCertificate(options: TestCertificateOptions = {}): Promise<TestCertificate> {
  const key = options.key ?? (await rsaKeyPair())
  const subject = options.subject ?? 'm365-audit-sync test'
  const now = Date.now()
  const notBefore = options.notBefore ?? new Date(now - 3_600_000)
  const notAfter = options.notAfter ?? new Date(now + 365 * 86_400_000)
  const issuer = options.issuer ?? { subject, privateKey: key.privateKey }
  const algorithm = signatureAlgorithm(issuer.privateKey)

  // A positive DER INTEGER in minimal form: the first byte neither sets the sign bit nor is a
  // leading zero (0x00 before a byte under 0x80 is "illegal padding" to OpenSSL).
  const serial = randomBytes(16)
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name(issuer.subject),
    sequence(time(notBefore), time(notAfter)),
    name(subject),
    key.publicKey.export({ type: 'spki', format: 'der' })
  )
  const signature = sign('sha256', tbs, issuer.privateKey)
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const certPem = pem('CERTIFICATE', der)
  new X509Certificate(certPem) // fails here, not in a test, if the writer is wrong
  return {
    ...key,
    certPem,
    keyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    subject: `CN=${subject}`
  }
}

/** DER as PEM with 64-character lines. */
export function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

function signatureAlgorithm(key: KeyObject): Buffer {
  // sha256WithRSAEncryption takes NULL parameters; ecdsa-with-SHA256 takes none.
  return key.asymmetricKeyType === 'ec'
    ? sequence(oid('1.2.840.10045.4.3.2'))
    : sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]))
}

function name(commonName: string): Buffer {
  return sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))))
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const year = date.getUTCFullYear()
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`))
}

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes)
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function sequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts))
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  let header: number[]
  if (length < 0x80) header = [length]
  else {
    const bytes: number[] = []
    for (let value = length; value > 0; value >>= 8) bytes.unshift(value & 0xff)
    header = [0x80 | bytes.length, ...bytes]
  }
  return Buffer.concat([Buffer.from([tag, ...header]), content])
}
