import type { Cloud } from './config/clouds.js'
import type { SnapshotFormat } from './state/manifest.js'
import type { ContentType } from './config/content-types.js'
import type { PlanWindow } from './plan/segments.js'
import type { RecordFilter } from './filter/record-filter.js'

/** Input names as they appear in action.yml; no other module spells them. */
export const Inputs = {
  TenantId: 'tenant-id',
  ClientId: 'client-id',
  ClientSecret: 'client-secret',
  Certificate: 'certificate',
  CertificatePassword: 'certificate-password',
  OidcAudience: 'oidc-audience',
  Cloud: 'cloud',
  Authority: 'authority',
  Audience: 'audience',
  ContentTypes: 'content-types',
  PublisherId: 'publisher-id',
  Start: 'start',
  End: 'end',
  Lookback: 'lookback',
  Segment: 'segment',
  MaxSegments: 'max-segments',
  Format: 'format',
  DataBranch: 'data-branch',
  Repository: 'repository',
  GitHubToken: 'github-token',
  GitHubApiUrl: 'github-api-url',
  OpenIssue: 'open-issue',
  IssueLabels: 'issue-labels',
  FailOnError: 'fail-on-error',
  Concurrency: 'concurrency',
  ApiQuota: 'api-quota',
  RecordsPerCommit: 'records-per-commit',
  Operations: 'operations',
  Workloads: 'workloads',
  RecordTypes: 'record-types',
  Usage: 'usage',
  Import: 'import',
  DryRun: 'dry-run'
} as const

/** Output names as they appear in action.yml. */
export const Outputs = {
  RecordsAdded: 'records-added',
  FilesChanged: 'files-changed',
  CommitSha: 'commit-sha',
  FailedSegments: 'failed-segments',
  IssueUrl: 'issue-url',
  BadRows: 'bad-rows'
} as const

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

/** `owner/name` of the repository that receives the data branch. */
export interface RepositoryRef {
  owner: string
  repo: string
}

/** Everything the action was asked to do, validated. Built once by `readSettings`. */
export interface Settings {
  /** Directory (tenant) ID of the Microsoft 365 tenant, a GUID. */
  tenantId: string
  /** Application (client) ID of the app registration, a GUID. */
  clientId: string
  /**
   * The app's credential; its secret parts are already masked in the log. None for a run that
   * only imports and was given no credential: it asks Microsoft for nothing.
   */
  credential: Credential | undefined
  /** The Microsoft 365 cloud the tenant lives in. */
  cloud: Cloud
  /** Entra ID authority host (from the cloud, or the `authority` override), no trailing slash. */
  authorityHost: string
  /** Management API root and token resource (from the cloud, or the `audience` override). */
  audience: string
  /** Content types to collect, without duplicates, in the order given; none for a run that only imports. */
  contentTypes: ContentType[]
  /** `PublisherIdentifier` sent on every API call: it selects the tenant's own quota. */
  publisherId: string
  /** Backfill range or scheduled look-back. */
  window: PlanWindow
  /** Length of each listing window, at most 24 h. */
  segmentMs: number
  /** Largest number of listing windows a run may plan. */
  maxSegments: number
  /** Snapshot file format. */
  format: SnapshotFormat
  /** Branch that receives snapshots. */
  dataBranch: string
  /** Repository that holds the data branch. */
  repository: RepositoryRef | undefined
  /** Token for the GitHub API; masked. */
  githubToken: string
  /** REST API root of another GitHub instance; undefined: the one running the workflow. */
  githubApiUrl: string | undefined
  /** Open, update and close an issue for failed segments. */
  openIssue: boolean
  /** Labels of the failure issue; the first one is how later runs find it. */
  issueLabels: string[]
  /** Exit non-zero when segments failed. */
  failOnError: boolean
  /** Parallel blob downloads. */
  concurrency: number
  /** Management API calls per rolling minute the run starts from (it adapts when throttled). */
  apiQuota: number
  /**
   * A run commits once it holds about this many new records, then goes on with the rest of
   * its plan: a run that stops early keeps what it committed.
   */
  recordsPerCommit: number
  /**
   * Keep only records with these operations, workloads and record types (from the API and
   * from imports alike); empty lists keep everything.
   */
  filter: RecordFilter
  /** Write the Power Apps usage file of every Audit.General day that changes. */
  usage: boolean
  /** Glob patterns of Purview audit exports to import, relative to the workspace; empty for none. */
  importPatterns: string[]
  /** Print the plan (from the data branch's ledger, read-only, when it can be read) and stop: no API call, nothing written. */
  dryRun: boolean
}
