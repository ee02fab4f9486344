/**
 * The app's credential, from the inputs: exactly one of a client secret, a certificate, or
 * (with neither) GitHub OIDC. Everything about it is decided here, before any request.
 */
import { cloudEndpoints, FEDERATION_AUDIENCE, type Cloud } from '../auth/clouds.js'
import { formatInstant } from '../util/time.js'
import type { Credential } from '../auth/credential.js'
import { Inputs } from './settings.js'
import { CertificateError, certificateName, privateKeyLines, readClientCertificate } from './certificate-input.js'
import { oidcAvailable, oidcRequestToken, PERMISSIONS_BLOCK } from '../auth/github-oidc.js'

/** The credential inputs as the runner passes them (`certificate` may span many lines). */
export interface CredentialInputs {
  clientSecret: string
  certificate: string
  certificatePassword: string
  oidcAudience: string
}

/** What else the choice depends on. */
export interface CredentialContext {
  clientId: string | undefined
  cloud: Cloud | undefined
  env: Readonly<Record<string, string | undefined>>
  now: Date
}

type Report = (input: string, message: string) => undefined

/**
 * Every value to mask as soon as the inputs are read: the secrets whole, and each line of a
 * private key, since the runner hides a value only where it appears whole on one line.
 */
export function inputSecrets(inputs: CredentialInputs, env: CredentialContext['env']): string[] {
  const values = [
    inputs.clientSecret,
    inputs.certificatePassword,
    inputs.certificate,
    ...privateKeyLines(inputs.certificate),
    oidcRequestToken(env)
  ]
  return unique(values)
}

/** Values derived from the inputs that are just as secret: the key MSAL gets, line by line. */
export function credentialSecrets(credential: Credential): string[] {
  return credential.kind === 'certificate'
    ? unique([credential.privateKeyPem.trim(), ...privateKeyLines(credential.privateKeyPem)])
    : []
}

/** The credential, or undefined after reporting why there is none. */
export function readCredential(
  inputs: CredentialInputs,
  context: CredentialContext,
  problem: Report
): Credential | undefined {
  const hasSecret = inputs.clientSecret !== ''
  const hasCertificate = inputs.certificate.trim() !== ''
  const oidcAudience = inputs.oidcAudience.trim()

  if (hasSecret && hasCertificate) {
    return problem(
      Inputs.Certificate,
      `Inputs '${Inputs.ClientSecret}' and '${Inputs.Certificate}' are both set; the action signs in with exactly one credential: ` +
        `remove '${Inputs.ClientSecret}' to use the certificate, or '${Inputs.Certificate}' to use the secret.`
    )
  }
  if (inputs.certificatePassword !== '' && !hasCertificate) {
    return problem(
      Inputs.CertificatePassword,
      `Input '${Inputs.CertificatePassword}' is set but '${Inputs.Certificate}' is empty: the password decrypts the private key given in '${Inputs.Certificate}'.`
    )
  }
  if (oidcAudience !== '' && (hasSecret || hasCertificate)) {
    const other = hasSecret ? Inputs.ClientSecret : Inputs.Certificate
    return problem(
      Inputs.OidcAudience,
      `Input '${Inputs.OidcAudience}' is for GitHub OIDC sign-in, which is used only when neither '${Inputs.ClientSecret}' nor '${Inputs.Certificate}' is set: ` +
        `remove '${Inputs.OidcAudience}', or remove '${other}' to sign in with OIDC.`
    )
  }

  if (hasSecret) return { kind: 'client-secret', secret: inputs.clientSecret }
  if (hasCertificate) {
    try {
      const certificate = readClientCertificate(inputs.certificate, inputs.certificatePassword, context.now)
      return { kind: 'certificate', ...certificate }
    } catch (error) {
      if (error instanceof CertificateError) return problem(error.input, error.message)
      throw error
    }
  }
  return readOidc(oidcAudience, context, problem)
}

/** A line for the log on how the run signs in; nothing secret. */
export function describeCredential(credential: Credential | undefined): string {
  if (!credential) return 'No sign-in: this run only imports and asks Microsoft for nothing.'
  switch (credential.kind) {
    case 'client-secret':
      return 'Sign-in with a client secret.'
    case 'certificate':
      return (
        `Sign-in with the certificate ${certificateName(credential.certificate)} ` +
        `(x5t#S256 ${credential.certificate.thumbprintSha256}), valid until ${formatInstant(credential.certificate.notAfter)}.`
      )
    case 'github-oidc':
      return `Sign-in with GitHub OIDC: GitHub's token for audience ${credential.audience}, exchanged through a federated credential of the app.`
  }
}

function readOidc(audienceInput: string, context: CredentialContext, problem: Report): Credential | undefined {
  if (/\s/.test(audienceInput)) {
    return problem(
      Inputs.OidcAudience,
      `Input '${Inputs.OidcAudience}' must be one audience, such as ${FEDERATION_AUDIENCE}; got '${audienceInput}'.`
    )
  }
  if (!oidcAvailable(context.env)) {
    const app = context.clientId ?? `(${Inputs.ClientId})`
    const intro =
      audienceInput !== ''
        ? `GitHub OIDC sign-in ('${Inputs.OidcAudience}' is set) needs an ID token from GitHub, and this job may not ask for one`
        : `No credential for app ${app}: set '${Inputs.ClientSecret}' to a client secret of the app, or '${Inputs.Certificate}' to a PEM ` +
          `with its private key and certificate, each from a repository secret (for example ${Inputs.ClientSecret}: \${{ secrets.M365_CLIENT_SECRET }}). ` +
          `Or sign in with GitHub OIDC and keep no secret at all; this job may not ask GitHub for an ID token`
    return problem(
      audienceInput !== '' ? Inputs.OidcAudience : Inputs.ClientSecret,
      `${intro} (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Grant it in the workflow or the job:\n${PERMISSIONS_BLOCK}\n` +
        `and add a federated credential for this workflow to the app (see docs/sign-in.md of the action). Pull requests from forks never get an ID token.`
    )
  }
  const audience =
    audienceInput || (context.cloud ? cloudEndpoints(context.cloud).federationAudience : FEDERATION_AUDIENCE)
  return { kind: 'github-oidc', audience }
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value.trim() !== ''))]
}
