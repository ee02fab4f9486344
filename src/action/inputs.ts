import { cloudEndpoints, CLOUDS, parseCloud, type Cloud } from '../auth/clouds.js'
import { CONTENT_TYPES, parseContentType, type ContentType } from '../record/content-types.js'
import { explainInvalidBranchName } from './branch-name.js'
import { parseDuration } from '../util/duration.js'
import { floorToMinute, formatInstant, parseInstant, utcDay } from '../util/time.js'
import { DOCUMENTED_QUOTA_PER_MINUTE } from '../http/quota-limiter.js'
import { checkWindowLength, PlanError, resolveRange, splitRange, type Plan, type PlanScope } from '../plan/windows.js'
import { FORMAT_NAMES, type FormatName } from '../branch/paths.js'
import { MIN_RETENTION_DAYS, retentionCutoffDay } from '../branch/retention.js'
import { SOURCE_NAMES, splitScope, type SourceName } from '../plan/sources.js'
import { HOUR_MS, MINUTE_MS } from '../util/duration.js'
import {
  credentialSecrets,
  describeCredential,
  inputSecrets,
  readCredential,
  type CredentialInputs
} from './credential-inputs.js'
import { Inputs, type RepositoryRef, type Settings } from './settings.js'
import { describeFilter, readRecordTypes, splitList, type RecordFilter } from '../record/filter.js'

/** Where inputs come from: the runner's `INPUT_*` variables in production, a map in tests. */
export interface InputSource {
  getInput(name: string): string
  setSecret(value: string): void
  env: Readonly<Record<string, string | undefined>>
  /** `owner/name` of the repository running the workflow (from the run context): the default of 'repository'. */
  currentRepository?: string | undefined
}

/** One bad input value and what to do about it. */
export interface InputProblem {
  input: string
  message: string
}

/** Thrown when inputs are invalid; carries every problem found, not only the first. */
export class InputError extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'))
    this.name = 'InputError'
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const REPOSITORY = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/
const MAX_CONCURRENCY = 64
/** How much work a stopped run can lose; memory does not depend on it. */
const DEFAULT_RECORDS_PER_COMMIT = 1_000_000
const MAX_RECORDS_PER_COMMIT = 5_000_000

/**
 * Reads and validates every input before anything touches the network, so a typo fails
 * in seconds with a message naming the input, rather than after a sign-in or a download.
 * Every problem is reported, not only the first. Secrets are masked the moment they are
 * read. Returns the settings and the plan preview (the final plan of a scheduled run also
 * depends on what the data branch has covered).
 */
export function readSettings(source: InputSource, now: Date): { settings: Settings; plan: Plan } {
  const read = new InputReader(source)
  const credentialInputs = readCredentialInputs(read)
  const githubToken = read.secret(Inputs.GitHubToken)
  const identity = readIdentity(read)
  const collection = readCollection(read)
  const signIn = readSignIn(read, credentialInputs, identity, collection, now)
  const sources = readSources(read, identity.cloud)
  const filters = readFilters(read, identity)
  const timing = readTiming(read)
  const destination = readDestination(read, githubToken)
  const limits = readLimits(read)
  // A range too old is worth saying even when the window length is wrong.
  const { scope, windowMs, maxWindows } = timing
  const range = scope && sources ? read.attempt(() => sourceRange(scope, sources.source, now)) : undefined
  const keptFrom = destination?.retentionDays ? retentionCutoffDay(now, destination.retentionDays) : undefined
  if (keptFrom && scope?.mode === 'backfill' && utcDay(scope.start) < keptFrom) {
    read.problem(
      Inputs.Start,
      `Input 'start' (${formatInstant(scope.start)}) is before the ${destination!.retentionDays} days 'retention-days' keeps (from ${keptFrom}): ` +
        `what it collected there would be erased again. Start at ${keptFrom} or later, or keep more days.`
    )
  }
  const plan =
    range && windowMs !== undefined && maxWindows !== undefined
      ? read.attempt(() => splitRange(range, windowMs, maxWindows))
      : undefined
  const { tenantId, clientId, cloud } = identity
  const incomplete =
    !tenantId ||
    !clientId ||
    !cloud ||
    !collection ||
    !signIn ||
    !sources ||
    !filters ||
    !scope ||
    !plan ||
    !destination ||
    !limits
  if (read.problems.length > 0 || incomplete || windowMs === undefined || maxWindows === undefined)
    throw new InputError(read.problems)
  const settings: Settings = {
    tenantId,
    clientId,
    ...signIn,
    cloud,
    ...sources,
    ...collection,
    ...filters,
    scope,
    windowMs,
    maxWindows,
    ...destination,
    ...limits
  }
  return { settings, plan }
}

/** Reads inputs and gathers the problems found on the way. */
class InputReader {
  readonly problems: InputProblem[] = []
  private readonly masked = new Set<string>()

  constructor(readonly source: InputSource) {}

  /** An input, trimmed. */
  text(name: string): string {
    return this.source.getInput(name).trim()
  }

  /** An input as it was given (a multi-line secret keeps its lines). */
  raw(name: string): string {
    return this.source.getInput(name)
  }

  /** A secret input, trimmed, masked before anything else happens. */
  secret(name: string): string {
    const value = this.text(name)
    if (value) this.mask(value)
    return value
  }

  mask(secret: string): void {
    if (this.masked.has(secret)) return
    this.masked.add(secret)
    this.source.setSecret(secret)
  }

  /** Records a problem; returns undefined for the value it leaves unread. */
  readonly problem = (input: string, message: string): undefined => {
    this.problems.push({ input, message })
    return undefined
  }

  /** Runs a planning step, turning its PlanError into a problem. */
  attempt<T>(step: () => T): T | undefined {
    try {
      return step()
    } catch (error) {
      if (!(error instanceof PlanError)) throw error
      return this.problem(error.input, error.message)
    }
  }
}

/** The credential inputs, their secrets (and the OIDC request token) masked at once. */
function readCredentialInputs(read: InputReader): CredentialInputs {
  const inputs: CredentialInputs = {
    clientSecret: read.raw(Inputs.ClientSecret),
    certificate: read.raw(Inputs.Certificate),
    certificatePassword: read.raw(Inputs.CertificatePassword),
    oidcAudience: read.raw(Inputs.OidcAudience)
  }
  for (const secret of inputSecrets(inputs, read.source.env)) read.mask(secret)
  return inputs
}

/** Which tenant, app and cloud (each undefined when invalid: the others still serve later messages). */
function readIdentity(read: InputReader): Identity {
  const tenantId = readGuid(read.text(Inputs.TenantId), Inputs.TenantId, 'the Directory (tenant) ID', read.problem)
  const clientId = readGuid(read.text(Inputs.ClientId), Inputs.ClientId, 'the Application (client) ID', read.problem)
  const cloudText = read.text(Inputs.Cloud) || 'commercial'
  const cloud =
    parseCloud(cloudText) ??
    read.problem(Inputs.Cloud, `Input 'cloud' must be one of ${CLOUDS.join(', ')}; got ${quote(cloudText)}.`)
  return { tenantId, clientId, cloud }
}

interface Identity {
  tenantId: string | undefined
  clientId: string | undefined
  cloud: Cloud | undefined
}

/** What to collect: content types from the API, exports to import. */
function readCollection(read: InputReader): Pick<Settings, 'contentTypes' | 'importPatterns'> | undefined {
  const importPatterns = readImportPatterns(read.raw(Inputs.Import))
  // With exports to import, content-types left empty (or `none`) means the run only imports.
  const importing = importPatterns.length > 0
  const contentTypes = readContentTypes(
    read.text(Inputs.ContentTypes) || (importing ? 'none' : 'Audit.General'),
    importing,
    read.problem
  )
  return contentTypes ? { contentTypes, importPatterns } : undefined
}

/** How to sign in, and where. A run that only imports asks Microsoft for nothing: it needs no credential, but one that is given is still checked. */
function readSignIn(
  read: InputReader,
  inputs: CredentialInputs,
  identity: Identity,
  collection: { contentTypes: ContentType[] } | undefined,
  now: Date
): Pick<Settings, 'credential' | 'authorityHost' | 'audience'> | undefined {
  const importOnly = collection?.contentTypes.length === 0
  const given = Object.values(inputs).some((value) => value.trim() !== '')
  const context = { clientId: identity.clientId, cloud: identity.cloud, env: read.source.env, now }
  const credential = importOnly && !given ? undefined : readCredential(inputs, context, read.problem)
  if (credential) for (const secret of credentialSecrets(credential)) read.mask(secret)
  const preset = identity.cloud ? cloudEndpoints(identity.cloud) : undefined
  const authorityHost =
    readEndpoint(read.text(Inputs.Authority), Inputs.Authority, identity.tenantId, read.problem) ??
    preset?.authorityHost
  const audience =
    readEndpoint(read.text(Inputs.Audience), Inputs.Audience, undefined, read.problem) ?? preset?.audience
  if ((!credential && !importOnly) || !authorityHost || !audience) return undefined
  return { credential, authorityHost, audience }
}

/**
 * Where records come from, and the Graph side's endpoint and bounds. Graph's audit log query
 * API is served in the global cloud only (commercial and GCC): elsewhere a Graph source is
 * refused here, before any token is asked for, unless 'graph-url' names a root to use.
 */
function readSources(
  read: InputReader,
  cloud: Cloud | undefined
): Pick<Settings, 'source' | 'graphUrl' | 'graphLimits'> | undefined {
  const sourceText = (read.text(Inputs.Source) || 'management-api').toLowerCase()
  const source = (SOURCE_NAMES as readonly string[]).includes(sourceText)
    ? (sourceText as SourceName)
    : read.problem(
        Inputs.Source,
        `Input 'source' must be one of ${SOURCE_NAMES.join(', ')}; got ${quote(read.text(Inputs.Source))}.`
      )
  const given = readEndpoint(read.text(Inputs.GraphUrl), Inputs.GraphUrl, undefined, read.problem)
  const inFlight = readInteger(read.text(Inputs.GraphQueries) || '2', Inputs.GraphQueries, 1, 10, read.problem)
  const submissionsPerDay = readInteger(
    read.text(Inputs.GraphSubmissions) || '100',
    Inputs.GraphSubmissions,
    1,
    10_000,
    read.problem
  )
  const waitMs = readDuration(read.text(Inputs.GraphWait) || '45m', Inputs.GraphWait, read.problem)
  // A job runs 6 hours at most; the wait leaves an hour for the rest of the run and its commit.
  if (waitMs !== undefined && !(waitMs >= MINUTE_MS && waitMs <= 5 * HOUR_MS))
    read.problem(
      Inputs.GraphWait,
      `Input 'graph-wait' must be from 1m to 5h (a job runs 6 hours at most, and the run commits after waiting); got ${quote(read.text(Inputs.GraphWait))}.`
    )
  if (!source || inFlight === undefined || submissionsPerDay === undefined || waitMs === undefined) return undefined
  let graphUrl: string | undefined
  if (source === 'management-api' && read.text(Inputs.GraphUrl))
    return read.problem(
      Inputs.GraphUrl,
      `Input 'graph-url' is set, but 'source' is management-api, which makes no Graph call: set 'source' to auto or graph to query Graph, or remove 'graph-url'.`
    )
  if (source !== 'management-api') {
    graphUrl = given ?? (cloud ? cloudEndpoints(cloud).graphUrl : undefined)
    if (!graphUrl && cloud && !read.text(Inputs.GraphUrl))
      return read.problem(
        Inputs.Source,
        `Input 'source' is '${source}', but Microsoft Graph's audit log queries are not served in cloud '${cloud}' ` +
          `(the API is global only; Microsoft support confirmed it does not work in GCC High). Use 'source: management-api' ` +
          `for the last 7 days and import Purview audit exports for older history, or set 'graph-url' if your cloud serves the API.`
      )
  }
  return { source, graphUrl, graphLimits: { inFlight, submissionsPerDay, waitMs } }
}

/**
 * The range the Management API lists for a scope. With a Graph source a backfill may reach
 * past its 7 days: only its recent part is listed (nothing, with 'graph'), the rest is queried.
 */
function sourceRange(scope: PlanScope, source: SourceName, now: Date) {
  if (scope.mode === 'backfill' && source !== 'management-api') {
    const end = scope.end ?? now
    if (scope.start >= end)
      throw new PlanError(
        'start',
        scope.end
          ? `Input 'start' (${formatInstant(scope.start)}) must be before 'end' (${formatInstant(end)}).`
          : `Input 'start' (${formatInstant(scope.start)}) is in the future; it must be before now (${formatInstant(now)}).`
      )
  }
  const { management } = splitScope(scope, source, now)
  if (management) return resolveRange(management, now)
  // A scheduled Graph run asks for its look-back: the same bounds as the Management API's.
  if (scope.mode === 'scheduled') resolveRange(scope, now)
  const minute = floorToMinute(now)
  return { mode: scope.mode, from: minute, to: minute, notes: [] }
}

/** Which records to keep, the usage files, and the quota the calls count against. */
function readFilters(
  read: InputReader,
  identity: Identity
): Pick<Settings, 'filter' | 'usage' | 'publisherId'> | undefined {
  const filter = readFilter(
    read.text(Inputs.Operations),
    read.text(Inputs.Workloads),
    read.text(Inputs.RecordTypes),
    read.problem
  )
  const usage = readBoolean(read.text(Inputs.Usage), Inputs.Usage, true, read.problem)
  const publisherText = read.text(Inputs.PublisherId)
  const publisherId = publisherText
    ? readGuid(publisherText, Inputs.PublisherId, 'a tenant GUID (by default the tenant-id)', read.problem)
    : identity.tenantId
  return filter && usage !== undefined && publisherId ? { filter, usage, publisherId } : undefined
}

/** The backfill range or scheduled look-back, and how it is cut into windows (each undefined when invalid). */
function readTiming(read: InputReader): Partial<Pick<Settings, 'scope' | 'windowMs' | 'maxWindows'>> {
  const length = readDuration(read.text(Inputs.Segment) || '1h', Inputs.Segment, read.problem)
  const windowMs = length === undefined ? undefined : read.attempt(() => checkWindowLength(length))
  const lookbackMs = readDuration(read.text(Inputs.Lookback) || '1d', Inputs.Lookback, read.problem)
  const maxWindows = readInteger(read.text(Inputs.MaxSegments) || '200', Inputs.MaxSegments, 1, 10_000, read.problem)
  const scope = readScope(read.text(Inputs.Start), read.text(Inputs.End), lookbackMs, read.problem)
  return { scope, windowMs, maxWindows }
}

/** Where the snapshots go, in what format, and what the run says when windows fail. */
function readDestination(
  read: InputReader,
  githubToken: string
):
  | Pick<
      Settings,
      | 'format'
      | 'dataBranch'
      | 'dryRun'
      | 'repository'
      | 'githubToken'
      | 'githubApiUrl'
      | 'openIssue'
      | 'issueLabels'
      | 'failOnError'
      | 'retentionDays'
    >
  | undefined {
  const formatText = (read.text(Inputs.Format) || 'csv').toLowerCase()
  const format = (FORMAT_NAMES as readonly string[]).includes(formatText)
    ? (formatText as FormatName)
    : read.problem(Inputs.Format, `Input 'format' must be 'csv' or 'parquet'; got ${quote(read.text(Inputs.Format))}.`)
  const dataBranch = readBranch(read.text(Inputs.DataBranch) || 'audit-data', read.problem)
  const dryRun = readBoolean(read.text(Inputs.DryRun), Inputs.DryRun, false, read.problem)
  const repository = readRepository(
    read.text(Inputs.Repository) || read.source.currentRepository || '',
    dryRun,
    read.problem
  )
  if (!githubToken && dryRun === false) {
    read.problem(
      Inputs.GitHubToken,
      `Input 'github-token' is empty; the action needs a token with 'contents: write' and 'issues: write' ` +
        `(the default \${{ github.token }} works when the workflow grants those permissions).`
    )
  }
  const githubApiUrl = readApiUrl(read.text(Inputs.GitHubApiUrl), read.problem)
  const openIssue = readBoolean(read.text(Inputs.OpenIssue), Inputs.OpenIssue, true, read.problem)
  const issueLabels = readLabels(read.text(Inputs.IssueLabels) || 'audit-sync', read.problem)
  const failOnError = readBoolean(read.text(Inputs.FailOnError), Inputs.FailOnError, true, read.problem)
  const retentionText = read.text(Inputs.RetentionDays)
  // Fewer than 8 days would erase what the Management API still serves, for a later run to collect again.
  const retentionDays = retentionText
    ? readInteger(retentionText, Inputs.RetentionDays, MIN_RETENTION_DAYS, 36_500, read.problem)
    : undefined
  if (retentionText && retentionDays === undefined) return undefined
  if (
    !format ||
    !dataBranch ||
    dryRun === undefined ||
    openIssue === undefined ||
    !issueLabels ||
    failOnError === undefined
  )
    return undefined
  return {
    format,
    dataBranch,
    dryRun,
    repository,
    githubToken,
    githubApiUrl,
    openIssue,
    issueLabels,
    failOnError,
    retentionDays
  }
}

/** How hard the run may pull: downloads at once, API calls a minute, records a commit. */
function readLimits(read: InputReader): Pick<Settings, 'concurrency' | 'apiQuota' | 'recordsPerCommit'> | undefined {
  const concurrency = readInteger(
    read.text(Inputs.Concurrency) || '8',
    Inputs.Concurrency,
    1,
    MAX_CONCURRENCY,
    read.problem
  )
  const apiQuota = readInteger(
    read.text(Inputs.ApiQuota) || String(DOCUMENTED_QUOTA_PER_MINUTE),
    Inputs.ApiQuota,
    10,
    100_000,
    read.problem
  )
  const recordsPerCommit = readInteger(
    read.text(Inputs.RecordsPerCommit) || String(DEFAULT_RECORDS_PER_COMMIT),
    Inputs.RecordsPerCommit,
    1,
    MAX_RECORDS_PER_COMMIT,
    read.problem
  )
  return concurrency !== undefined && apiQuota !== undefined && recordsPerCommit !== undefined
    ? { concurrency, apiQuota, recordsPerCommit }
    : undefined
}

/** The settings in a few lines for the log; secrets are never part of it. */
export function describeSettings(settings: Settings): string {
  const where = settings.repository
    ? `${settings.repository.owner}/${settings.repository.repo}`
    : '(no repository: dry run)'
  const filter = describeFilter(settings.filter)
  return [
    `Tenant ${settings.tenantId}, app ${settings.clientId}, cloud ${settings.cloud}: sign-in at ${settings.authorityHost}, ` +
      describeSources(settings),
    describeCredential(settings.credential),
    settings.contentTypes.length > 0
      ? `Content types ${settings.contentTypes.join(', ')}; PublisherIdentifier ${settings.publisherId}.`
      : 'No content type is collected from the Management API: this run only imports.',
    ...(settings.importPatterns.length > 0
      ? [
          `Importing Purview audit exports matching ${settings.importPatterns.map((pattern) => `'${pattern}'`).join(', ')}.`
        ]
      : []),
    ...(filter ? [filter] : []),
    ...(settings.usage ? [] : ['Power Apps usage files are not written (usage: false).']),
    `Snapshots (${settings.format}) go to branch '${settings.dataBranch}' of ${where}; ${settings.concurrency} downloads at a time, ` +
      `at most ${settings.apiQuota} API calls a minute.`
  ].join('\n')
}

type Report = (input: string, message: string) => undefined

function describeSources(settings: Settings): string {
  const graph = `Microsoft Graph audit log queries at ${settings.graphUrl ?? ''} (${settings.graphLimits.inFlight} at once, ${settings.graphLimits.submissionsPerDay} a day)`
  if (settings.source === 'graph') return `${graph} only (source: graph).`
  if (settings.source === 'auto')
    return `Management API at ${settings.audience}, and ${graph} for anything older than it serves (source: auto).`
  return `API at ${settings.audience}.`
}

function readGuid(value: string, name: string, what: string, problem: Report): string | undefined {
  if (!value)
    return problem(
      name,
      `Input '${name}' is required: ${what}, a GUID from the app registration's Overview page in Entra ID.`
    )
  if (!GUID.test(value)) {
    return problem(
      name,
      `Input '${name}' must be ${what}, a GUID like 00000000-0000-0000-0000-000000000000; got ${quote(value)}.`
    )
  }
  return value.toLowerCase()
}

function readEndpoint(value: string, name: string, tenantId: string | undefined, problem: Report): string | undefined {
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return problem(
      name,
      `Input '${name}' must be an https URL such as https://login.microsoftonline.com; got ${quote(value)}.`
    )
  }
  if (url.protocol !== 'https:') {
    return problem(
      name,
      `Input '${name}' must use https (Entra ID and the Management API accept nothing else); got ${quote(value)}.`
    )
  }
  // The CoE's "Audit Logs - Authority" is a bare host, but people paste the tenant URL too.
  const path = url.pathname.replace(/\/+$/, '')
  if (path !== '' && !(tenantId && path.toLowerCase() === `/${tenantId}`)) {
    return problem(
      name,
      `Input '${name}' must be a scheme and host only, such as https://${url.host}; got ${quote(value)}.`
    )
  }
  if (url.search || url.hash)
    return problem(name, `Input '${name}' must not carry a query or fragment; got ${quote(value)}.`)
  return url.origin
}

function readContentTypes(value: string, importing: boolean, problem: Report): ContentType[] | undefined {
  const names = value
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.some((name) => name.toLowerCase() === 'none')) {
    if (names.length > 1)
      return problem(
        Inputs.ContentTypes,
        `Input 'content-types' names 'none' beside content types; give either 'none' or the content types to collect.`
      )
    if (!importing) {
      return problem(
        Inputs.ContentTypes,
        `Input 'content-types' is 'none', which collects nothing; set 'import' to the Purview exports to import, or name the content types to collect (for example Audit.General).`
      )
    }
    return []
  }
  const types: ContentType[] = []
  const unknown: string[] = []
  for (const name of names) {
    const type = parseContentType(name)
    if (!type) unknown.push(name)
    else if (!types.includes(type)) types.push(type)
  }
  if (unknown.length > 0) {
    return problem(
      Inputs.ContentTypes,
      `Input 'content-types' has unknown content type${unknown.length > 1 ? 's' : ''} ${unknown.map(quote).join(', ')}; ` +
        `the API knows ${CONTENT_TYPES.join(', ')} (Power Platform events are in Audit.General).`
    )
  }
  if (types.length === 0)
    return problem(Inputs.ContentTypes, `Input 'content-types' names no content type; use for example Audit.General.`)
  return types
}

/** Glob patterns, one a line (a comma belongs to glob syntax: `{a,b}.csv`). */
function readImportPatterns(value: string): string[] {
  return [
    ...new Set(
      value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '')
    )
  ]
}

function readFilter(
  operations: string,
  workloads: string,
  recordTypes: string,
  problem: Report
): RecordFilter | undefined {
  const { types, unknown } = readRecordTypes(splitList(recordTypes))
  if (unknown.length > 0) {
    const details = unknown.map(({ name, suggestions }) => `${quote(name)} (did you mean ${suggestions.join(', ')}?)`)
    return problem(
      Inputs.RecordTypes,
      `Input 'record-types' has unknown record type name${unknown.length > 1 ? 's' : ''} ${details.join('; ')}. ` +
        `Give numbers or the API's RecordType names, for example PowerAppsApp (45) or PowerPlatformAdministratorActivity (256).`
    )
  }
  return { operations: splitList(operations), workloads: splitList(workloads), recordTypes: types }
}

function readDuration(value: string, name: string, problem: Report): number | undefined {
  const ms = parseDuration(value)
  if (ms === undefined) {
    return problem(name, `Input '${name}' must be a duration such as 15m, 1h, 1d or '1 hour'; got ${quote(value)}.`)
  }
  return ms
}

function readInteger(value: string, name: string, min: number, max: number, problem: Report): number | undefined {
  const number = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    return problem(name, `Input '${name}' must be a whole number from ${min} to ${max}; got ${quote(value)}.`)
  }
  return number
}

function readBoolean(value: string, name: string, fallback: boolean, problem: Report): boolean | undefined {
  if (value === '') return fallback
  // The same spellings @actions/core's getBooleanInput accepts (YAML 1.2 core schema).
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  return problem(name, `Input '${name}' must be true or false; got ${quote(value)}.`)
}

function readScope(
  startText: string,
  endText: string,
  lookbackMs: number | undefined,
  problem: Report
): PlanScope | undefined {
  const start = startText ? parseInstant(startText) : undefined
  const end = endText ? parseInstant(endText) : undefined
  const format = 'an ISO 8601 UTC date or time such as 2026-11-20 or 2026-11-20T06:00Z'
  if (startText && !start) problem(Inputs.Start, `Input 'start' must be ${format}; got ${quote(startText)}.`)
  if (endText && !end) problem(Inputs.End, `Input 'end' must be ${format}; got ${quote(endText)}.`)
  if (endText && !startText) {
    return problem(
      Inputs.End,
      `Input 'end' (${quote(endText)}) needs 'start': a backfill covers start to end; a scheduled run uses 'lookback'.`
    )
  }
  if (startText) return start && (end || !endText) ? { mode: 'backfill', start, ...(end ? { end } : {}) } : undefined
  return lookbackMs === undefined ? undefined : { mode: 'scheduled', lookbackMs }
}

function readLabels(value: string, problem: Report): string[] | undefined {
  const labels = [
    ...new Set(
      value
        .split(/[,\n]/)
        .map((label) => label.trim())
        .filter((label) => label !== '')
    )
  ]
  const tooLong = labels.find((label) => label.length > 50)
  if (tooLong)
    return problem(
      Inputs.IssueLabels,
      `Input 'issue-labels' has a label over 50 characters, GitHub's limit; got ${quote(tooLong)}.`
    )
  if (labels.length === 0)
    return problem(Inputs.IssueLabels, `Input 'issue-labels' names no label; use for example audit-sync.`)
  return labels
}

function readBranch(value: string, problem: Report): string | undefined {
  const name = value.replace(/^refs\/heads\//, '')
  const reason = explainInvalidBranchName(name)
  return reason
    ? problem(Inputs.DataBranch, `Input 'data-branch' is not a valid git branch name: ${reason}; got ${quote(value)}.`)
    : name
}

/** https, or http to this machine only (a local fake): a token never crosses a network in clear. */
function readApiUrl(value: string, problem: Report): string | undefined {
  if (!value) return undefined
  // What comes before an '@' in the host part may be a credential: never echoed, always refused.
  const userInfo = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i
  if (userInfo.test(value)) {
    return problem(
      Inputs.GitHubApiUrl,
      `Input 'github-api-url' must not hold a user name or password (user:password@host): give the token as 'github-token', and the URL as https://host/api/v3.`
    )
  }
  const url = URL.canParse(value) ? new URL(value) : undefined
  const loopback = url?.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (!url || !(url.protocol === 'https:' || loopback) || url.search || url.hash) {
    return problem(
      Inputs.GitHubApiUrl,
      `Input 'github-api-url' must be the https URL of a GitHub REST API, such as https://ghes.example.com/api/v3 (http only to this machine); got ${quote(value)}.`
    )
  }
  return url.href.replace(/\/+$/, '')
}

function readRepository(value: string, dryRun: boolean | undefined, problem: Report): RepositoryRef | undefined {
  if (!value) {
    return dryRun
      ? undefined
      : problem(
          Inputs.Repository,
          `Input 'repository' is empty and GITHUB_REPOSITORY is not set; give it as owner/name.`
        )
  }
  const match = REPOSITORY.exec(value)
  if (!match?.[1] || !match[2])
    return problem(Inputs.Repository, `Input 'repository' must be owner/name; got ${quote(value)}.`)
  return { owner: match[1], repo: match[2] }
}

/** Quotes a user's value for a message, short and on one line. */
function quote(value: string): string {
  const oneLine = JSON.stringify(value).slice(1, -1)
  return `'${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`
}
