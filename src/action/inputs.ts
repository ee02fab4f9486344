import { cloudEndpoints, CLOUDS, parseCloud, type Cloud } from '../auth/clouds.js'
import { CONTENT_TYPES, parseContentType, type ContentType } from '../record/content-types.js'
import { explainInvalidBranchName } from './branch-name.js'
import { parseDuration } from '../util/duration.js'
import { parseInstant } from '../util/time.js'
import { DOCUMENTED_QUOTA_PER_MINUTE } from '../http/quota-limiter.js'
import { checkWindowLength, PlanError, resolveRange, splitRange, type Plan, type PlanScope } from '../plan/windows.js'
import { credentialSecrets, describeCredential, inputSecrets, readCredential, type CredentialInputs } from './credential-inputs.js'
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
 * Secrets are masked the moment they are read. Returns the settings and the plan preview
 * (the final plan of a scheduled run also depends on what the data branch has covered).
 */
export function readSettings(source: InputSource, now: Date): { settings: Settings; plan: Plan } {
  const problems: InputProblem[] = []
  const problem = (input: string, message: string): undefined => {
    problems.push({ input, message })
    return undefined
  }
  const input = (name: string): string => source.getInput(name).trim()
  const masked = new Set<string>()
  const mask = (secret: string): void => {
    if (masked.has(secret)) return
    masked.add(secret)
    source.setSecret(secret)
  }

  const credentialInputs: CredentialInputs = {
    clientSecret: source.getInput(Inputs.ClientSecret),
    certificate: source.getInput(Inputs.Certificate),
    certificatePassword: source.getInput(Inputs.CertificatePassword),
    oidcAudience: source.getInput(Inputs.OidcAudience)
  }
  for (const secret of inputSecrets(credentialInputs, source.env)) mask(secret)
  const githubToken = source.getInput(Inputs.GitHubToken).trim()
  if (githubToken) mask(githubToken)

  const tenantId = readGuid(input(Inputs.TenantId), Inputs.TenantId, 'the Directory (tenant) ID', problem)
  const clientId = readGuid(input(Inputs.ClientId), Inputs.ClientId, 'the Application (client) ID', problem)

  const cloudText = input(Inputs.Cloud) || 'commercial'
  const cloud: Cloud | undefined =
    parseCloud(cloudText) ??
    problem(Inputs.Cloud, `Input 'cloud' must be one of ${CLOUDS.join(', ')}; got ${quote(cloudText)}.`)
  const importPatterns = readImportPatterns(source.getInput(Inputs.Import))
  // With exports to import, content-types left empty (or `none`) means the run only imports.
  const contentTypes = readContentTypes(input(Inputs.ContentTypes) || (importPatterns.length > 0 ? 'none' : 'Audit.General'), importPatterns.length > 0, problem)
  // A run that only imports asks Microsoft for nothing: it needs no credential, but one that
  // is given is still checked.
  const importOnly = contentTypes?.length === 0
  const credentialGiven = Object.values(credentialInputs).some((value) => value.trim() !== '')
  const credential = importOnly && !credentialGiven ? undefined : readCredential(credentialInputs, { clientId, cloud, env: source.env, now }, problem)
  if (credential) for (const secret of credentialSecrets(credential)) mask(secret)
  const preset = cloud ? cloudEndpoints(cloud) : undefined
  const authorityHost = readEndpoint(input(Inputs.Authority), Inputs.Authority, tenantId, problem) ?? preset?.authorityHost
  const audience = readEndpoint(input(Inputs.Audience), Inputs.Audience, undefined, problem) ?? preset?.audience

  const filter = readFilter(input(Inputs.Operations), input(Inputs.Workloads), input(Inputs.RecordTypes), problem)
  const usage = readBoolean(input(Inputs.Usage), Inputs.Usage, true, problem)
  const publisherText = input(Inputs.PublisherId)
  const publisherId = publisherText
    ? readGuid(publisherText, Inputs.PublisherId, 'a tenant GUID (by default the tenant-id)', problem)
    : tenantId

  const segmentText = input(Inputs.Segment) || '1h'
  const segmentLength = readDuration(segmentText, Inputs.Segment, problem)
  const windowMs = segmentLength === undefined ? undefined : attempt(() => checkWindowLength(segmentLength), problem)
  const lookbackMs = readDuration(input(Inputs.Lookback) || '1d', Inputs.Lookback, problem)
  const maxWindows = readInteger(input(Inputs.MaxSegments) || '200', Inputs.MaxSegments, 1, 10_000, problem)
  const scope = readScope(input(Inputs.Start), input(Inputs.End), lookbackMs, problem)

  const formatText = (input(Inputs.Format) || 'csv').trim().toLowerCase()
  const format =
    formatText === 'csv' || formatText === 'parquet'
      ? formatText
      : problem(Inputs.Format, `Input 'format' must be 'csv' or 'parquet'; got ${quote(input(Inputs.Format))}.`)

  const dataBranch = readBranch(input(Inputs.DataBranch) || 'audit-data', problem)
  const dryRun = readBoolean(input(Inputs.DryRun), Inputs.DryRun, false, problem)
  const repository = readRepository(input(Inputs.Repository) || source.currentRepository || '', dryRun, problem)
  if (!githubToken && dryRun === false) {
    problem(
      Inputs.GitHubToken,
      `Input 'github-token' is empty; the action needs a token with 'contents: write' and 'issues: write' ` +
        `(the default \${{ github.token }} works when the workflow grants those permissions).`
    )
  }
  const githubApiUrl = readApiUrl(input(Inputs.GitHubApiUrl), problem)
  const openIssue = readBoolean(input(Inputs.OpenIssue), Inputs.OpenIssue, true, problem)
  const issueLabels = readLabels(input(Inputs.IssueLabels) || 'audit-sync', problem)
  const failOnError = readBoolean(input(Inputs.FailOnError), Inputs.FailOnError, true, problem)
  const concurrency = readInteger(input(Inputs.Concurrency) || '8', Inputs.Concurrency, 1, MAX_CONCURRENCY, problem)
  const apiQuota = readInteger(input(Inputs.ApiQuota) || String(DOCUMENTED_QUOTA_PER_MINUTE), Inputs.ApiQuota, 10, 100_000, problem)
  const recordsPerCommit = readInteger(
    input(Inputs.RecordsPerCommit) || String(DEFAULT_RECORDS_PER_COMMIT),
    Inputs.RecordsPerCommit,
    1,
    MAX_RECORDS_PER_COMMIT,
    problem
  )

  const range = scope ? attempt(() => resolveRange(scope, now), problem) : undefined
  const plan =
    range && windowMs !== undefined && maxWindows !== undefined
      ? attempt(() => splitRange(range, windowMs, maxWindows), problem)
      : undefined

  if (
    problems.length > 0 ||
    !tenantId ||
    !clientId ||
    (!credential && !importOnly) ||
    !cloud ||
    !authorityHost ||
    !audience ||
    !contentTypes ||
    !publisherId ||
    !scope ||
    windowMs === undefined ||
    maxWindows === undefined ||
    !format ||
    !dataBranch ||
    dryRun === undefined ||
    openIssue === undefined ||
    !issueLabels ||
    failOnError === undefined ||
    concurrency === undefined ||
    apiQuota === undefined ||
    recordsPerCommit === undefined ||
    !filter ||
    usage === undefined ||
    !plan
  ) {
    throw new InputError(problems)
  }

  const settings: Settings = {
    tenantId,
    clientId,
    credential,
    cloud,
    authorityHost,
    audience,
    contentTypes,
    publisherId,
    scope,
    windowMs,
    maxWindows,
    format,
    dataBranch,
    repository,
    githubToken,
    githubApiUrl,
    openIssue,
    issueLabels,
    failOnError,
    concurrency,
    apiQuota,
    recordsPerCommit,
    filter,
    usage,
    importPatterns,
    dryRun
  }
  return { settings, plan }
}

/** The settings in a few lines for the log; secrets are never part of it. */
export function describeSettings(settings: Settings): string {
  const where = settings.repository ? `${settings.repository.owner}/${settings.repository.repo}` : '(no repository: dry run)'
  const filter = describeFilter(settings.filter)
  return [
    `Tenant ${settings.tenantId}, app ${settings.clientId}, cloud ${settings.cloud}: sign-in at ${settings.authorityHost}, API at ${settings.audience}.`,
    describeCredential(settings.credential),
    settings.contentTypes.length > 0
      ? `Content types ${settings.contentTypes.join(', ')}; PublisherIdentifier ${settings.publisherId}.`
      : 'No content type is collected from the Management API: this run only imports.',
    ...(settings.importPatterns.length > 0 ? [`Importing Purview audit exports matching ${settings.importPatterns.map((pattern) => `'${pattern}'`).join(', ')}.`] : []),
    ...(filter ? [filter] : []),
    ...(settings.usage ? [] : ['Power Apps usage files are not written (usage: false).']),
    `Snapshots (${settings.format}) go to branch '${settings.dataBranch}' of ${where}; ${settings.concurrency} downloads at a time, ` +
      `at most ${settings.apiQuota} API calls a minute.`
  ].join('\n')
}

type Report = (input: string, message: string) => undefined

/** Runs a planning step, turning its PlanError into an input problem. */
function attempt<T>(step: () => T, problem: Report): T | undefined {
  try {
    return step()
  } catch (error) {
    if (!(error instanceof PlanError)) throw error
    return problem(error.input, error.message)
  }
}

function readGuid(value: string, name: string, what: string, problem: Report): string | undefined {
  if (!value) return problem(name, `Input '${name}' is required: ${what}, a GUID from the app registration's Overview page in Entra ID.`)
  if (!GUID.test(value)) {
    return problem(name, `Input '${name}' must be ${what}, a GUID like 00000000-0000-0000-0000-000000000000; got ${quote(value)}.`)
  }
  return value.toLowerCase()
}

function readEndpoint(value: string, name: string, tenantId: string | undefined, problem: Report): string | undefined {
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return problem(name, `Input '${name}' must be an https URL such as https://login.microsoftonline.com; got ${quote(value)}.`)
  }
  if (url.protocol !== 'https:') {
    return problem(name, `Input '${name}' must use https (Entra ID and the Management API accept nothing else); got ${quote(value)}.`)
  }
  // The CoE's "Audit Logs - Authority" is a bare host, but people paste the tenant URL too.
  const path = url.pathname.replace(/\/+$/, '')
  if (path !== '' && !(tenantId && path.toLowerCase() === `/${tenantId}`)) {
    return problem(name, `Input '${name}' must be a scheme and host only, such as https://${url.host}; got ${quote(value)}.`)
  }
  if (url.search || url.hash) return problem(name, `Input '${name}' must not carry a query or fragment; got ${quote(value)}.`)
  return url.origin
}

function readContentTypes(value: string, importing: boolean, problem: Report): ContentType[] | undefined {
  const names = value
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.some((name) => name.toLowerCase() === 'none')) {
    if (names.length > 1) return problem(Inputs.ContentTypes, `Input 'content-types' names 'none' beside content types; give either 'none' or the content types to collect.`)
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
  if (types.length === 0) return problem(Inputs.ContentTypes, `Input 'content-types' names no content type; use for example Audit.General.`)
  return types
}

/** Glob patterns, one a line (a comma belongs to glob syntax: `{a,b}.csv`). */
function readImportPatterns(value: string): string[] {
  return [...new Set(value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''))]
}

function readFilter(operations: string, workloads: string, recordTypes: string, problem: Report): RecordFilter | undefined {
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

function readScope(startText: string, endText: string, lookbackMs: number | undefined, problem: Report): PlanScope | undefined {
  const start = startText ? parseInstant(startText) : undefined
  const end = endText ? parseInstant(endText) : undefined
  const format = 'an ISO 8601 UTC date or time such as 2026-11-20 or 2026-11-20T06:00Z'
  if (startText && !start) problem(Inputs.Start, `Input 'start' must be ${format}; got ${quote(startText)}.`)
  if (endText && !end) problem(Inputs.End, `Input 'end' must be ${format}; got ${quote(endText)}.`)
  if (endText && !startText) {
    return problem(Inputs.End, `Input 'end' (${quote(endText)}) needs 'start': a backfill covers start to end; a scheduled run uses 'lookback'.`)
  }
  if (startText) return start && (end || !endText) ? { mode: 'backfill', start, ...(end ? { end } : {}) } : undefined
  return lookbackMs === undefined ? undefined : { mode: 'scheduled', lookbackMs }
}

function readLabels(value: string, problem: Report): string[] | undefined {
  const labels = [...new Set(value.split(/[,\n]/).map((label) => label.trim()).filter((label) => label !== ''))]
  const tooLong = labels.find((label) => label.length > 50)
  if (tooLong) return problem(Inputs.IssueLabels, `Input 'issue-labels' has a label over 50 characters, GitHub's limit; got ${quote(tooLong)}.`)
  if (labels.length === 0) return problem(Inputs.IssueLabels, `Input 'issue-labels' names no label; use for example audit-sync.`)
  return labels
}

function readBranch(value: string, problem: Report): string | undefined {
  const name = value.replace(/^refs\/heads\//, '')
  const reason = explainInvalidBranchName(name)
  return reason ? problem(Inputs.DataBranch, `Input 'data-branch' is not a valid git branch name: ${reason}; got ${quote(value)}.`) : name
}

/** https, or http to this machine only (a local fake): a token never crosses a network in clear. */
function readApiUrl(value: string, problem: Report): string | undefined {
  if (!value) return undefined
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
      : problem(Inputs.Repository, `Input 'repository' is empty and GITHUB_REPOSITORY is not set; give it as owner/name.`)
  }
  const match = REPOSITORY.exec(value)
  if (!match?.[1] || !match[2]) return problem(Inputs.Repository, `Input 'repository' must be owner/name; got ${quote(value)}.`)
  return { owner: match[1], repo: match[2] }
}

/** Quotes a user's value for a message, short and on one line. */
function quote(value: string): string {
  const oneLine = JSON.stringify(value).slice(1, -1)
  return `'${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`
}
