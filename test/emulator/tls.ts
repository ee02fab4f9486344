/**
 * Throwaway self-signed certificates made with the `openssl` CLI.
 *
 * MSAL refuses http authorities, so the emulator must speak TLS. Node can make keys but not
 * X.509 certificates, hence openssl. openssl writes its output to files; they live in a
 * private temp folder only while it runs, and the folder is removed before this returns,
 * whatever happens: nothing with a private key stays on disk.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A certificate and its private key, both PEM, in memory only. */
export interface SelfSignedCertificate {
  certPem: string
  keyPem: string
}

/**
 * Makes a new self-signed certificate.
 * @param commonName the subject CN; the SAN always covers 127.0.0.1 and localhost.
 * @param keyType `rsa` (2048 bits; needed to sign RS256/PS256 client assertions) or `ec`
 *   (P-256; generated in milliseconds, where an RSA key takes 0.1–0.5 s of CPU).
 * @param dnsNames more host names the SAN covers, e.g. login.microsoftonline.us.
 */
export async function createSelfSignedCertificate(
  commonName = '127.0.0.1',
  keyType: 'rsa' | 'ec' = 'rsa',
  dnsNames: readonly string[] = []
): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'o365-emulator-tls-'))
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    await run('openssl', [
      'req',
      '-x509',
      '-nodes',
      ...(keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']),
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((name) => `DNS:${name}`)].join(',')}`
    ])
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')])
    return { certPem, keyPem }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

let serverCertificate: Promise<SelfSignedCertificate> | undefined

/** The process-wide server certificate, made on first use and kept in memory only. */
export function getServerCertificate(): Promise<SelfSignedCertificate> {
  if (!serverCertificate) {
    // The server key only secures loopback traffic in tests, so the fast EC key is enough.
    serverCertificate = createSelfSignedCertificate('127.0.0.1', 'ec')
    // A failed openssl run must not poison the cache for the next caller.
    serverCertificate.catch(() => {
      serverCertificate = undefined
    })
  }
  return serverCertificate
}

/**
 * Writes a certificate (never a key) where a child process can trust it through
 * `NODE_EXTRA_CA_CERTS`; `remove` deletes the folder again.
 */
export async function writeTrustFile(certPem: string): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'o365-emulator-ca-'))
  const path = join(dir, 'ca.pem')
  await writeFile(path, certPem)
  return { path, remove: () => rm(dir, { recursive: true, force: true }) }
}
