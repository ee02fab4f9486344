/**
 * The `certificate` input: a PEM text holding the app's private key and the certificate
 * uploaded to the app registration (a chain may follow). Everything MSAL needs is derived
 * here, and every usual mistake is caught before any request, each with its own message.
 * Pure logic: node:crypto parses and compares, nothing is read, written or printed.
 *
 * Requirements: https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 * (an RSA key of at least 2048 bits; the assertion names the certificate by its thumbprint).
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { DAY_MS } from '../util/duration.js'
import { formatInstant } from '../util/time.js'
import type { CertificateFacts } from '../auth/credential.js'
import { Inputs } from './settings.js'
import { countNoun } from '../util/count-text.js'

/** A certificate that can sign in, as MSAL takes it. */
export interface ClientCertificate {
  /** Unencrypted PKCS#8 PEM: MSAL signs with a PEM string and takes no password. */
  privateKeyPem: string
  certificate: CertificateFacts
}

/** One mistake in the certificate inputs; `input` is the input to fix. */
export class CertificateError extends Error {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(message)
    this.name = 'CertificateError'
  }
}

/** From how many days before expiry a run warns. */
export const EXPIRY_WARNING_DAYS = 30
const MIN_RSA_BITS = 2048
/** Shorter lines are not masked: a few characters of a key give nothing away, and masking them would blank out common words in the log. */
const MIN_MASKED_LINE = 8

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
const KEY_LABEL = /PRIVATE KEY$/
const CERTIFICATE_LABEL = 'CERTIFICATE'

interface PemBlock {
  label: string
  /** The block, armour included, rewrapped as PEM readers expect it. */
  pem: string
}

const CERTIFICATE_PEM = Inputs.Certificate
const PASSWORD = Inputs.CertificatePassword
const COMBINE = '`cat key.pem cert.pem`'

/**
 * Reads and checks the `certificate` (and `certificate-password`) inputs at `now`. Throws a
 * {@link CertificateError} for a PEM without a key or without a certificate, an encrypted key
 * without (or with the wrong) password, a key Entra ID cannot use, a key that belongs to none
 * of the certificates, and a certificate that is expired or not valid yet.
 */
export function readClientCertificate(text: string, password: string, now: Date): ClientCertificate {
  const blocks = pemBlocks(text)
  if (blocks.length === 0) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `Input '${CERTIFICATE_PEM}' is not PEM text (it has no '-----BEGIN' line): it must hold the private key and the certificate as PEM, ` +
        `for example ${COMBINE}. A .pfx or .p12 file converts with \`openssl pkcs12 -in app.pfx -nodes -out app.pem\`.`
    )
  }
  const keys = blocks.filter((block) => KEY_LABEL.test(block.label))
  const certificates = blocks.filter((block) => block.label === CERTIFICATE_LABEL)
  const [keyBlock] = keys
  if (!keyBlock) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `Input '${CERTIFICATE_PEM}' holds ${countNoun(certificates.length, 'certificate')} but no private key: the action signs its sign-in with the key, ` +
        `so the secret must hold the key (-----BEGIN PRIVATE KEY-----) and the certificate, for example ${COMBINE}. ` +
        `Only the certificate is uploaded to the app registration.`
    )
  }
  if (keys.length > 1) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `Input '${CERTIFICATE_PEM}' holds ${keys.length} private keys: keep only the one made with the certificate uploaded to the app registration.`
    )
  }
  if (certificates.length === 0) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `Input '${CERTIFICATE_PEM}' holds a private key but no certificate (-----BEGIN CERTIFICATE-----): add the certificate uploaded to ` +
        `the app registration after the key, for example ${COMBINE}; the thumbprint Entra ID needs is computed from it.`
    )
  }

  const key = readPrivateKey(keyBlock, password)
  const x509s = certificates.map((block, index) => readCertificate(block, index, certificates.length))
  const leaf = x509s.find((x509) => x509.checkPrivateKey(key))
  if (!leaf) throw keyMismatch(x509s)
  const facts = describeCertificate(leaf)

  const nowMs = now.getTime()
  if (facts.notAfter.getTime() <= nowMs) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `The certificate in '${CERTIFICATE_PEM}' (${certificateName(facts)}) expired on ${formatInstant(facts.notAfter)}: make a new one, upload it to the ` +
        `app registration (Certificates & secrets → Certificates) and put it with its key in the secret.`
    )
  }
  if (facts.notBefore.getTime() > nowMs) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `The certificate in '${CERTIFICATE_PEM}' (${certificateName(facts)}) is not valid before ${formatInstant(facts.notBefore)}, and Entra ID refuses it ` +
        `until then: check the dates it was made with (and the runner's clock, now ${formatInstant(now)}).`
    )
  }
  return { privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), certificate: facts }
}

/** A warning when the certificate expires within {@link EXPIRY_WARNING_DAYS} days of `now`. */
export function expiryWarning(certificate: CertificateFacts, now: Date): string | undefined {
  const left = certificate.notAfter.getTime() - now.getTime()
  if (left > EXPIRY_WARNING_DAYS * DAY_MS) return undefined
  const days = Math.floor(left / DAY_MS)
  return (
    `The certificate ${certificateName(certificate)} expires on ${formatInstant(certificate.notAfter)}, ` +
    `${days === 0 ? 'within a day' : `in ${countNoun(days, 'day')}`}; sign-in fails from then on. Make a new one, upload it to the app ` +
    `registration beside the old one (Certificates & secrets → Certificates), and update the '${CERTIFICATE_PEM}' secret.`
  )
}

/** The subject and thumbprints, for the log and for comparing with the Entra admin center. */
export function certificateName(certificate: CertificateFacts): string {
  return `${certificate.subject}, SHA-1 thumbprint ${certificate.thumbprintSha1}`
}

/**
 * What to mask of a PEM text, beyond the whole value: each line of its private key blocks.
 * The runner hides a masked value only where it appears whole on one log line, and a PEM
 * spans many lines.
 */
export function privateKeyLines(text: string): string[] {
  const lines = new Set<string>()
  for (const block of [...rawBlocks(text.replace(/\r/g, '')), ...pemBlocks(text)]) {
    if (!KEY_LABEL.test(block.label)) continue
    for (const line of block.body.split('\n')) {
      const trimmed = line.trim()
      if (trimmed.length >= MIN_MASKED_LINE && !trimmed.includes(':')) lines.add(trimmed)
    }
  }
  return [...lines]
}

/**
 * The PEM blocks of a text, rewrapped. Secrets are pasted in many ways: with CRLF, as one
 * line with `\n` written out, or with spaces where the line breaks were; a PEM reader wants
 * 64-character base64 lines.
 */
function pemBlocks(text: string): (PemBlock & { body: string })[] {
  let pem = text.replace(/\r\n?/g, '\n')
  if (!pem.includes('\n') && pem.includes('\\n')) pem = pem.replaceAll('\\n', '\n')
  return rawBlocks(pem).map(({ label, body }) => {
    // Legacy encrypted keys carry headers (Proc-Type, DEK-Info) that must stay on their lines.
    const content = body.includes(':')
      ? body
          .split('\n')
          .map((line) => line.trim())
          .join('\n')
          .trim()
      : (body.replace(/\s+/g, '').match(/.{1,64}/g) ?? []).join('\n')
    return { label, body: content, pem: `-----BEGIN ${label}-----\n${content}\n-----END ${label}-----\n` }
  })
}

function rawBlocks(text: string): { label: string; body: string }[] {
  return [...text.matchAll(BLOCK)].map((match) => ({ label: match[1] ?? '', body: match[2] ?? '' }))
}

function readPrivateKey(block: PemBlock, password: string): KeyObject {
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(block.pem)
  if (encrypted && password === '') {
    throw new CertificateError(
      PASSWORD,
      `The private key in '${CERTIFICATE_PEM}' is encrypted and '${PASSWORD}' is empty: pass its password from a secret ` +
        `(${PASSWORD}: \${{ secrets.M365_CERTIFICATE_PASSWORD }}), or store the key unencrypted in the secret.`
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey(
      encrypted ? { key: block.pem, format: 'pem', passphrase: password } : { key: block.pem, format: 'pem' }
    )
  } catch (error) {
    if (encrypted) {
      throw new CertificateError(
        PASSWORD,
        `Input '${PASSWORD}' does not decrypt the private key in '${CERTIFICATE_PEM}' (${cryptoReason(error)}): check that the password secret belongs to this key.`
      )
    }
    throw new CertificateError(
      CERTIFICATE_PEM,
      `The private key in '${CERTIFICATE_PEM}' cannot be read (${cryptoReason(error)}): it must be an RSA key in PEM, ` +
        `-----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY----- (PKCS#1), complete and unaltered.`
    )
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `The private key in '${CERTIFICATE_PEM}' is ${key.asymmetricKeyType === 'ec' ? 'an EC' : `a ${key.asymmetricKeyType ?? 'non-RSA'}`} key; ` +
        `certificate sign-in to Entra ID is signed with RSA: make an RSA key of ${MIN_RSA_BITS} bits or more (openssl req -x509 -newkey rsa:${MIN_RSA_BITS} ...).`
    )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_BITS) {
    throw new CertificateError(
      CERTIFICATE_PEM,
      `The private key in '${CERTIFICATE_PEM}' has ${bits} bits; Entra ID accepts RSA keys of ${MIN_RSA_BITS} bits or more: make a new ` +
        `certificate with rsa:${MIN_RSA_BITS} (or rsa:4096) and upload it to the app registration.`
    )
  }
  return key
}

function readCertificate(block: PemBlock, index: number, total: number): X509Certificate {
  try {
    return new X509Certificate(block.pem)
  } catch (error) {
    const which = total > 1 ? `Certificate ${index + 1} of ${total}` : 'The certificate'
    throw new CertificateError(
      CERTIFICATE_PEM,
      `${which} in '${CERTIFICATE_PEM}' cannot be read (${cryptoReason(error)}): copy the whole PEM block, -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`
    )
  }
}

function keyMismatch(certificates: readonly X509Certificate[]): CertificateError {
  const names = certificates.map((x509) => certificateName(describeCertificate(x509)))
  const which =
    certificates.length === 1
      ? `its certificate (${names[0]})`
      : `any of its ${certificates.length} certificates (${names.join('; ')})`
  return new CertificateError(
    CERTIFICATE_PEM,
    `The private key in '${CERTIFICATE_PEM}' does not belong to ${which}: the key and the certificate must be the pair made together. ` +
      `Put the certificate uploaded to the app registration with the key it was made with.`
  )
}

function describeCertificate(x509: X509Certificate): CertificateFacts {
  return {
    subject: x509.subject.split('\n').filter(Boolean).join(', ') || '(no subject)',
    thumbprintSha1: createHash('sha1').update(x509.raw).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(x509.raw).digest('hex').toUpperCase(),
    notBefore: x509.validFromDate,
    notAfter: x509.validToDate
  }
}

/** OpenSSL's reason (`bad decrypt`), never the input: a key must not reach a message. */
function cryptoReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return /::([^:]+)$/.exec(message)?.[1] ?? 'unreadable'
}
