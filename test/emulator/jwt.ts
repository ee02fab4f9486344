/**
 * Just enough JWT (RFC 7519) for the emulator: compact serialisation, HS256 for the tokens it
 * issues, RS256/PS256 verification for client assertions. No library, so failures stay explicit.
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto'

/** A decoded (not yet verified) compact JWT. */
export interface DecodedJwt {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `header.payload`, the bytes the signature covers. */
  signingInput: string
  signature: Buffer
}

/** base64url without padding. */
export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

/** Signs `payload` with HMAC-SHA256. */
export function signHs256(
  payload: Record<string, unknown>,
  secret: Buffer,
  header: Record<string, unknown> = {}
): string {
  const input = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', ...header }))}.${base64url(JSON.stringify(payload))}`
  return `${input}.${base64url(createHmac('sha256', secret).update(input).digest())}`
}

/** Splits and parses a compact JWT; returns undefined for anything malformed. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [h, p, s] = parts as [string, string, string]
  try {
    const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))
    const payload: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
    if (!isObject(header) || !isObject(payload)) return undefined
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') }
  } catch {
    return undefined
  }
}

/** Checks an HS256 signature in constant time. */
export function verifyHs256(jwt: DecodedJwt, secret: Buffer): boolean {
  if (jwt.header['alg'] !== 'HS256') return false
  const expected = createHmac('sha256', secret).update(jwt.signingInput).digest()
  return expected.length === jwt.signature.length && timingSafeEqual(expected, jwt.signature)
}

/**
 * Checks an RSA signature against a public key: RS256, or PS256 (which MSAL uses when given a
 * SHA-256 certificate thumbprint).
 */
export function verifyRsa(jwt: DecodedJwt, key: KeyObject): boolean {
  const alg = jwt.header['alg']
  if (alg !== 'RS256' && alg !== 'PS256') return false
  const keyInput =
    alg === 'PS256'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : key
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), keyInput, jwt.signature)
  } catch {
    return false
  }
}

/** A numeric claim (`exp`, `nbf`, `iat`), or undefined when absent or not a number. */
export function numericClaim(payload: Record<string, unknown>, name: string): number | undefined {
  const value = payload[name]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A string claim, or undefined. */
export function stringClaim(payload: Record<string, unknown>, name: string): string | undefined {
  const value = payload[name]
  return typeof value === 'string' ? value : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
