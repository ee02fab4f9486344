/**
 * The app's credential, as sign-in takes it: already read from the inputs and checked
 * (src/action/credential-inputs.ts), its secret parts already masked.
 */

/** How the action proves its identity to Entra ID: exactly one of three kinds. */
export type Credential = ClientSecretCredential | CertificateCredential | GitHubOidcCredential

/** A client secret of the app registration. */
export interface ClientSecretCredential {
  kind: 'client-secret'
  secret: string
}

/** A certificate uploaded to the app registration, with its private key (already checked). */
export interface CertificateCredential {
  kind: 'certificate'
  /** The private key as unencrypted PKCS#8 PEM, as MSAL signs with it; masked. */
  privateKeyPem: string
  /** The certificate whose public key matches the private key. */
  certificate: CertificateFacts
}

/** What the log and the error messages say about a certificate; nothing secret. */
export interface CertificateFacts {
  subject: string
  /** SHA-1 thumbprint, upper-case hex: what the Entra admin center lists. */
  thumbprintSha1: string
  /** SHA-256 thumbprint, upper-case hex: what MSAL puts in the assertion's `x5t#S256`. */
  thumbprintSha256: string
  notBefore: Date
  notAfter: Date
}

/** GitHub's OIDC token, exchanged through a federated credential of the app: no secret at all. */
export interface GitHubOidcCredential {
  kind: 'github-oidc'
  /** The `aud` requested for GitHub's token, e.g. api://AzureADTokenExchange. */
  audience: string
}
