import { describe, expect, it } from 'vitest'
import { maskedValues } from '../../src/action/masked-values.js'

describe('values the run masks', () => {
  it('are masked in the log once each, and redacted from saved text, the longest first', () => {
    const told: string[] = []
    const masked = maskedValues((value) => void told.push(value))
    for (const value of ['pass-word-1', 'eyJ.header.sig', 'pass-word-1', '-----BEGIN KEY-----pass-word-1'])
      masked.mask(value)
    expect(told).toEqual(['pass-word-1', 'eyJ.header.sig', '-----BEGIN KEY-----pass-word-1'])
    expect(masked.redact('cert -----BEGIN KEY-----pass-word-1, pw pass-word-1, token eyJ.header.sig')).toBe(
      'cert ***, pw ***, token ***'
    )
    // Values too short to be secrets are not redacted from every word that holds them.
    masked.mask('ab')
    expect(masked.redact('about')).toBe('about')
  })

  it('redacts a value also as JSON writes it inside a string, so saved JSON stays JSON', () => {
    const masked = maskedValues(() => undefined)
    const pem = '-----BEGIN KEY-----\nMIIB"x"\n-----END KEY-----'
    masked.mask(pem)
    const saved = JSON.stringify({ message: `bad certificate ${pem}` })
    const redacted = masked.redact(saved)
    expect(redacted).not.toContain('MIIB')
    expect(JSON.parse(redacted)).toEqual({ message: 'bad certificate ***' })
  })
})
