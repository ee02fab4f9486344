import { describe, expect, it } from 'vitest'
import { aadstsCode, adviceFor } from '../../src/auth/entra-errors.js'
import type { Credential } from '../../src/auth/credential.js'

const certificate: Credential = {
  kind: 'certificate',
  privateKeyPem: '(not used)',
  certificate: {
    subject: 'CN=m365-audit-sync',
    thumbprintSha1: 'A'.repeat(40),
    thumbprintSha256: 'B'.repeat(64),
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2027-01-01')
  }
}
const oidc: Credential = { kind: 'github-oidc', audience: 'api://AzureADTokenExchangeUSGov' }
const presented = {
  issuer: 'https://token.actions.githubusercontent.com',
  subject: 'repo:contoso/audit:environment:prod',
  audience: 'api://AzureADTokenExchangeUSGov'
}

describe('adviceFor', () => {
  it('finds the code in what Entra ID said', () => {
    expect(aadstsCode('invalid_client: AADSTS700027: Client assertion failed signature validation.')).toBe('700027')
    expect(aadstsCode('network error')).toBeUndefined()
  })

  it('AADSTS700027 names the certificate that signed, or the token issuer for OIDC', () => {
    expect(adviceFor('700027', { credential: certificate })).toMatch(
      /^the certificate that signed the sign-in is not registered on the app, .*This run signed with CN=m365-audit-sync, whose SHA-1 thumbprint \(as the admin center lists it\) is A{40}$/
    )
    expect(adviceFor('700027', { credential: oidc, presented })).toMatch(
      /^the signature of the GitHub token did not verify against the keys of its issuer \(https:\/\/token\.actions\.githubusercontent\.com\)/
    )
  })

  it.each(['70021', '700211', '700212', '700213'])(
    'AADSTS%s shows what the workflow presented, and where to register it',
    (code) => {
      const advice = adviceFor(code, { credential: oidc, presented })
      expect(advice).toContain(
        "This workflow presents subject 'repo:contoso/audit:environment:prod' (issuer https://token.actions.githubusercontent.com, audience api://AzureADTokenExchangeUSGov)"
      )
      expect(advice).toContain('Certificates & secrets → Federated credentials → Add credential')
    }
  )

  it('without context, or for an unknown code, falls back to the plain advice', () => {
    expect(adviceFor('70021')).toBe(
      "no federated credential of the app matches this workflow's token: check the credential's issuer, subject and audience"
    )
    expect(adviceFor('7000215', { credential: { kind: 'client-secret', secret: 'x' } })).toMatch(
      /^the client secret is wrong/
    )
    expect(adviceFor('12345', { credential: oidc, presented })).toBeUndefined()
  })
})
