import { createHash } from 'node:crypto'

/** The first `bytes` bytes of the SHA-256 of `text` (UTF-8): a short, stable name that reveals nothing. */
export function sha256Prefix(text: string, bytes: number, encoding: 'base64' | 'hex' = 'base64'): string {
  return createHash('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString(encoding)
}
