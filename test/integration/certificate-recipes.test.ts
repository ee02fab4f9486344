/**
 * The openssl recipes of docs/sign-in.md, run as written: what they make must sign in. Needs the
 * `openssl` CLI, as the emulator's TLS set-up does.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readClientCertificate } from '../../src/action/certificate-input.js'

const exec = promisify(execFile)
const SIGN_IN = resolve(import.meta.dirname, '../../docs/sign-in.md')
const PASSWORD = 'recipe-Passw0rd'
const DAY = 86_400_000

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'm365-cert-recipe-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The page's shell block that makes the certificate, dedented. */
async function recipe(): Promise<string> {
  const text = await readFile(SIGN_IN, 'utf8')
  const block = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .find((body) => body.includes('openssl req -x509'))
  if (!block) throw new Error('docs/sign-in.md has no sh block with openssl req -x509')
  const indent = /^ */.exec(block)?.[0].length ?? 0
  return block
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n')
}

/** A command the page gives inline, in backticks, that starts with `prefix`. */
async function inline(prefix: string): Promise<string> {
  const text = (await readFile(SIGN_IN, 'utf8')).replace(/\n\s*/g, ' ')
  const command = new RegExp('`(' + prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '[^`]*)`').exec(text)?.[1]
  if (!command) throw new Error(`docs/sign-in.md has no inline command starting ${prefix}`)
  return command
}

async function sh(script: string): Promise<void> {
  await exec('sh', ['-e', '-c', script], { cwd: dir })
}

describe('the certificate recipes of docs/sign-in.md', () => {
  it('openssl req -x509 ... then cat key.pem cert.pem: a PEM the action signs in with', async () => {
    await sh(await recipe())
    const result = readClientCertificate(await readFile(join(dir, 'm365-audit-sync.pem'), 'utf8'), '', new Date())
    expect(result.certificate.subject).toBe('CN=m365-audit-sync')
    expect(result.certificate.notAfter.getTime() - Date.now()).toBeGreaterThan(364 * DAY)
  })

  it('an encrypted key (openssl pkcs8 -topk8) with certificate-password', async () => {
    await sh(await recipe())
    await sh(
      `${await inline('openssl pkcs8 -topk8')} -passout pass:${PASSWORD} && ${await inline('cat key.enc.pem cert.pem')} > encrypted.pem`
    )
    const pem = await readFile(join(dir, 'encrypted.pem'), 'utf8')
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----')
    expect(readClientCertificate(pem, PASSWORD, new Date()).certificate.subject).toBe('CN=m365-audit-sync')
  })

  it('a .pfx converted with openssl pkcs12 -nodes (bag attributes and all)', async () => {
    await sh(await recipe())
    await sh(`openssl pkcs12 -export -inkey key.pem -in cert.pem -out app.pfx -passout pass:${PASSWORD}`)
    await sh(`${await inline('openssl pkcs12 -in app.pfx')} -passin pass:${PASSWORD}`)
    const pem = await readFile(join(dir, 'app.pem'), 'utf8')
    expect(pem).toContain('Bag Attributes')
    expect(readClientCertificate(pem, '', new Date()).certificate.subject).toBe('CN=m365-audit-sync')
  })
})
