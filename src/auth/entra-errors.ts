/**
 * What an Entra ID error code means for someone setting up this action. The codes are the
 * AADSTS numbers of https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
import type { Credential } from './credential.js'
import type { PresentedToken } from './github-oidc.js'

const ADVICE: Readonly<Record<string, string>> = {
  '7000215':
    "the client secret is wrong: use the secret's Value (not its Secret ID), or create a new secret in the app registration and update the repository secret",
  '7000222':
    'the client secret has expired: create a new one in the app registration (Certificates & secrets) and update the repository secret',
  '700027':
    'the certificate that signed the sign-in is not registered on the app, or the signature does not verify: upload the certificate (the public part, ' +
    'e.g. cert.pem) under Certificates & secrets → Certificates of the app registration',
  '700016':
    "no app with this client-id exists in this tenant: check 'client-id' and 'tenant-id', and that 'cloud' matches where the app is registered",
  '90002': "the tenant was not found: check 'tenant-id' and that 'cloud' (or 'authority') matches the tenant's cloud",
  '500011':
    "the tenant does not know the Management API resource asked for: check 'cloud' or 'audience' (GCC, GCC High and DoD have their own hosts)",
  '1002012': "the token scope is invalid: check 'audience'",
  '70011': "the token scope is invalid: check 'audience'",
  '900382':
    "the app is registered in another cloud than the one asked for: set 'cloud' (or 'authority'/'audience') to the tenant's cloud",
  '7000229':
    'the app has no service principal in this tenant: an administrator must grant consent to the app in this tenant',
  '700024': 'the federated token is outside its valid time range: check the runner clock',
  '70021':
    "no federated credential of the app matches this workflow's token: check the credential's issuer, subject and audience",
  '700211': "no federated credential of the app has this token's issuer: check the credential's issuer",
  '700212':
    "no federated credential of the app has this token's audience: check the credential's audience and 'oidc-audience'",
  '700213': "no federated credential of the app has this workflow's subject: check the credential's subject",
  '53003': 'a Conditional Access policy blocked the sign-in: exclude this workload identity or adjust the policy'
}

/** Federated-credential codes, whose fix is to register what the workflow presents. */
const FEDERATION_MISMATCH = new Set(['70021', '700211', '700212', '700213'])

/** What the advice can draw on beyond the code. */
export interface SignInContext {
  credential: Credential
  /** What the last GitHub token presented, for OIDC sign-in. */
  presented?: PresentedToken | undefined
}

/** The AADSTS number in an error text, if any. */
export function aadstsCode(text: string): string | undefined {
  return /AADSTS(\d+)/.exec(text)?.[1]
}

/**
 * How to fix a sign-in failure, or undefined for an unknown code. With the context, the
 * advice names what to compare or register: the certificate's thumbprint, the workflow's
 * subject.
 */
export function adviceFor(code: string | undefined, context?: SignInContext): string | undefined {
  const base = code ? ADVICE[code] : undefined
  if (!base || !code || !context) return base
  const credential = context.credential
  if (code === '700027' && credential.kind === 'github-oidc') {
    const issuer = context.presented?.issuer ?? 'the token'
    return (
      `the signature of the GitHub token did not verify against the keys of its issuer (${issuer}): check that the federated ` +
      `credential's issuer is exactly the one the token names (https://token.actions.githubusercontent.com on github.com)`
    )
  }
  if (code === '700027' && credential.kind === 'certificate') {
    const { subject, thumbprintSha1 } = credential.certificate
    return `${base}. This run signed with ${subject}, whose SHA-1 thumbprint (as the admin center lists it) is ${thumbprintSha1}`
  }
  if (FEDERATION_MISMATCH.has(code) && credential.kind === 'github-oidc' && context.presented) {
    const { issuer, subject, audience } = context.presented
    const what = base.split(':')[0] ?? base
    return (
      `${what}. This workflow presents subject '${subject}' (issuer ${issuer}, audience ${audience}); register exactly these in the ` +
      `Entra admin center: App registrations → the app → Certificates & secrets → Federated credentials → Add credential, ` +
      `scenario "Other issuer" (the subject goes in "Value")`
    )
  }
  return base
}
