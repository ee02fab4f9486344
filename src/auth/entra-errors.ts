/**
 * What an Entra ID error code means for someone setting up this action. The codes are the
 * AADSTS numbers of https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
const ADVICE: Readonly<Record<string, string>> = {
  '7000215':
    "the client secret is wrong: use the secret's Value (not its Secret ID), or create a new secret in the app registration and update the repository secret",
  '7000222': 'the client secret has expired: create a new one in the app registration (Certificates & secrets) and update the repository secret',
  '700016':
    "no app with this client-id exists in this tenant: check 'client-id' and 'tenant-id', and that 'cloud' matches where the app is registered",
  '90002': "the tenant was not found: check 'tenant-id' and that 'cloud' (or 'authority') matches the tenant's cloud",
  '500011':
    "the tenant does not know the Management API resource asked for: check 'cloud' or 'audience' (GCC, GCC High and DoD have their own hosts)",
  '1002012': "the token scope is invalid: check 'audience'",
  '70011': "the token scope is invalid: check 'audience'",
  '900382': "the app is registered in another cloud than the one asked for: set 'cloud' (or 'authority'/'audience') to the tenant's cloud",
  '7000229': 'the app has no service principal in this tenant: an administrator must grant consent to the app in this tenant',
  '700024': 'the federated token is outside its valid time range: check the runner clock',
  '70021': "no federated credential of the app matches this workflow's token: check the credential's issuer, subject and audience",
  '53003': 'a Conditional Access policy blocked the sign-in: exclude this workload identity or adjust the policy'
}

/** The AADSTS number in an error text, if any. */
export function aadstsCode(text: string): string | undefined {
  return /AADSTS(\d+)/.exec(text)?.[1]
}

/** One sentence on how to fix a sign-in failure, or undefined for an unknown code. */
export function adviceFor(code: string | undefined): string | undefined {
  return code ? ADVICE[code] : undefined
}
