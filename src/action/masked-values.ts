/**
 * Every value the run hides from the log (inputs' secrets, the certificate and its password,
 * the OIDC request token, each access and ID token), kept so that text saved rather than
 * logged (the failure issue, the job summary, the ledger) can be redacted against the same
 * values the log masks.
 */
export interface MaskedValues {
  /** Masks a value in the log, once, and remembers it. */
  mask(value: string): void
  /** Text with every masked value replaced by `***`. */
  redact(text: string): string
}

export function maskedValues(setSecret: (value: string) => void): MaskedValues {
  const values = new Set<string>()
  return {
    mask(value) {
      if (values.has(value)) return
      values.add(value)
      setSecret(value)
    },
    redact(text) {
      // Longest first: a value that contains another is replaced whole. Each also as JSON
      // writes it inside a string (a PEM's line breaks as \n), for saved JSON like the ledger.
      const secrets = [...values]
        .filter((value) => value.length >= 4)
        .flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
        .sort((a, b) => b.length - a.length)
      return secrets.reduce((redacted, secret) => redacted.split(secret).join('***'), text)
    }
  }
}
