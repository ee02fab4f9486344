import type { Credential } from '../auth/credential.js'
import type { Cloud } from '../auth/clouds.js'
import type { FormatName } from '../branch/paths.js'
import type { ContentType } from '../record/content-types.js'
import type { PlanScope } from '../plan/windows.js'
import type { SourceName } from '../plan/sources.js'
import type { RecordFilter } from '../record/filter.js'

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
  Source: 'source',
  GraphUrl: 'graph-url',
  GraphQueries: 'graph-queries',
  GraphWait: 'graph-wait',
  GraphSubmissions: 'graph-submissions',
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
  RetentionDays: 'retention-days',
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

/** How much of the tenant's audit search allowance (shared with Purview's users) a run may take. */
export interface GraphLimits {
  /** Queries of this action running at once. */
  inFlight: number
  /** Queries submitted in any 24 hours, counted across runs in the ledger. */
  submissionsPerDay: number
  /** How long a run waits for queries before it commits what finished (the rest is adopted by the next run). */
  waitMs: number
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
  /** Where records come from: the Management API, Microsoft Graph audit log queries, or both (`auto`). */
  source: SourceName
  /** Microsoft Graph root (its token resource and API host) for `graph` and `auto`; undefined otherwise. */
  graphUrl: string | undefined
  /** The bounds of a run's work with Graph audit log queries. */
  graphLimits: GraphLimits
  /** Content types to collect, without duplicates, in the order given; none for a run that only imports. */
  contentTypes: ContentType[]
  /** `PublisherIdentifier` sent on every API call: it selects the tenant's own quota. */
  publisherId: string
  /** Backfill range or scheduled look-back. */
  scope: PlanScope
  /** Length of each listing window, at most 24 h. */
  windowMs: number
  /** Largest number of listing windows a run may plan. */
  maxWindows: number
  /** Snapshot file format. */
  format: FormatName
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
  /** Keep this many UTC days on the data branch, erasing older ones from its history; undefined keeps all. */
  retentionDays?: number | undefined
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
