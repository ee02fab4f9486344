import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { expiryWarning } from './auth/certificate.js'
import { createTokenProvider } from './auth/entra-token.js'
import type { PresentedToken } from './auth/github-oidc.js'
import { errorMessage } from './errors.js'
import { findFailureIssue, syncFailureIssue, type IssueOutcome } from './github/failure-issue.js'
import type { GitHubClient } from './github/client.js'
import type { GitDatabase } from './github/git-database.js'
import { readRunContext, type RunContext } from './github/run-context.js'
import { connectGitHub } from './github/connect.js'
import { dryRun } from './dry-run.js'
import { DEFAULT_RETRY } from './http/retry.js'
import { readTestHooks, type TestHooks } from './test-hooks.js'
import { optional } from './util/optional.js'
import type { IssueContext } from './report/failure-issue-text.js'
import type { SnapshotReport } from './snapshot/build-changes.js'
import { formatInstant } from './config/timestamp.js'
import { actionInputs, describeSettings, InputError, readSettings } from './inputs.js'
import { createQuotaLimiter } from './http/quota-limiter.js'
import { ActivityClient } from './m365/activity-client.js'
import { describePlan } from './plan/render-plan.js'
import { Outputs, type Credential, type RepositoryRef, type Settings } from './settings.js'
import { writeStoppedSummary, writeSyncSummary, type RunLinks } from './summary.js'
import { sync, type SyncDependencies } from './sync.js'
import { SyncStopped, type SyncProgress } from './run-state.js'
import { allFailures } from './state/ledger.js'
import { readLedger } from './state/read-ledger.js'

/**
 * One run of the action: validate inputs, then plan, sign in, collect and commit. Every
 * failure ends here, as one `::error::` per problem and a failed step.
 */
export async function run(now: () => Date = () => new Date()): Promise<void> {
  try {
    const context = readRunContext()
    const { settings, plan } = await core.group('Inputs', async () => {
      const validated = readSettings({ ...actionInputs, currentRepository: context.repository }, now())
      core.info(describeSettings(validated.settings))
      return validated
    })
    for (const note of plan.notes) core.notice(note)
    const expiring = settings.credential?.kind === 'certificate' ? expiryWarning(settings.credential.certificate, now()) : undefined
    if (expiring) core.warning(expiring, { title: 'Certificate expires soon' })

    if (settings.dryRun) await dryRun(settings, plan, context, now)
    else await runSync(settings, context, now)
  } catch (error) {
    reportFailure(error)
  }
}

/** The Management API client, signing in with the app's credential when it is first needed. */
function managementApi(settings: Settings, credential: Credential, hooks: TestHooks): ActivityClient {
  const tokens = createTokenProvider({
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    credential,
    authorityHost: settings.authorityHost,
    audience: settings.audience,
    onToken: maskOnce(),
    getIDToken: (audience) => core.getIDToken(audience),
    onPresented: logPresentedOnce()
  })
  return new ActivityClient({
    audience: settings.audience,
    tenantId: settings.tenantId,
    publisherId: settings.publisherId,
    tokens,
    limiter: createQuotaLimiter({ perMinute: settings.apiQuota }),
    ...optional('retry', hooks.retryBaseDelayMs === undefined ? undefined : { ...DEFAULT_RETRY, baseDelayMs: hooks.retryBaseDelayMs }),
    onRetry: (what, error, attempt, delayMs) =>
      core.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
  })
}

/**
 * What stands for the Management API in a run that only imports and has no credential: sync
 * lists nothing then, so a call here is a bug, said as such.
 */
function importOnlyApi(): SyncDependencies['api'] {
  const refuse = (): never => {
    throw new Error('This run only imports (content-types: none) and has no credential: it cannot call the Management API.')
  }
  return { listContent: refuse, fetchBlob: refuse, listSubscriptions: refuse, startSubscription: refuse }
}

async function runSync(settings: Settings, context: RunContext, now: () => Date): Promise<void> {
  const repository = settings.repository
  if (!repository) throw new Error(`Input 'repository' is needed for a real run.`)
  const env = process.env
  const { runUrl } = context
  const hooks = readTestHooks(env)
  // A few more connections than downloads: listing and sign-in run beside them.
  const { octokit, git, github } = connectGitHub(settings, repository, context, settings.concurrency + 4)

  const { credential } = settings
  const api = credential ? managementApi(settings, credential, hooks) : importOnlyApi()
  const issueContext = (): IssueContext => ({
    branch: settings.dataBranch,
    now: now(),
    ...(runUrl ? { runUrl } : {}),
    ...optional('repository', context.repository),
    ...optional('workflowFile', context.workflowFile)
  })
  const links = runLinks(github.serverUrl, repository, settings.dataBranch)

  const result = await sync(settings, {
    tempDir: env.RUNNER_TEMP || tmpdir(),
    workspace: context.workspace,
    api,
    git,
    now,
    log: (message) => core.info(message),
    group: (name, work) => core.group(name, work),
    ...(runUrl ? { runUrl } : {}),
    ...optional('maxPartBytes', hooks.maxPartBytes),
    ...optional('progressEveryMs', hooks.progressEveryMs)
  }).catch(async (error: unknown) => {
    // The step fails with the error as it is; the summary says what the run did before.
    const progress = error instanceof SyncStopped ? error.progress : undefined
    try {
      const issue = await core.group('Failure issue', () => issueAfterStop(octokit, git, settings, repository, progress, issueContext()))
      const headline = progress?.plan ? describePlan(progress.plan, settings.contentTypes) : ''
      await writeStoppedSummary(errorMessage(error), progress, headline, { ...links, ...optional('issue', issue) })
    } catch (reportError) {
      core.warning(`The job summary of this stopped run was not written: ${errorMessage(reportError)}`)
    }
    throw error instanceof SyncStopped ? error.cause : error
  })

  // The data is committed; from here on nothing may lose it, and a failed report only warns.
  const { failures } = result.report
  // The issue tracks API collection; a run that only imports has nothing to say to it.
  const issue =
    settings.openIssue && settings.contentTypes.length > 0
      ? await core.group('Failure issue', () => updateFailureIssue(octokit, git, settings, repository, failures, issueContext()))
      : ({ action: 'none' } as const)

  core.setOutput(Outputs.RecordsAdded, result.report.recordsAdded)
  core.setOutput(Outputs.FilesChanged, result.report.filesChanged)
  core.setOutput(Outputs.CommitSha, result.commitSha ?? '')
  core.setOutput(Outputs.FailedSegments, result.failures.length)
  core.setOutput(Outputs.IssueUrl, issue.action === 'none' ? '' : issue.url)
  core.setOutput(Outputs.BadRows, result.imported?.badRows ?? 0)
  await writeSyncSummary(result, describePlan(result.plan, settings.contentTypes), {
    ...links,
    ...optional('issue', issue.action === 'none' ? undefined : { url: issue.url, number: issue.number, open: issue.action !== 'closed' })
  })
  if (result.imported && result.imported.badRows > 0) {
    const [first] = result.imported.bad
    core.warning(
      `${result.imported.badRows} row(s) of the exports were not imported (listed in the log and the job summary)` +
        `${first ? `; the first: ${first.file}:${first.line}: ${first.reason}` : ''}.`,
      { title: 'Bad rows in Purview exports' }
    )
  }
  for (const gap of failures.newGaps.slice(0, MAX_ANNOTATIONS)) {
    core.warning(`${gap.type} ${gap.start}: ${gap.message}`, { title: 'Audit content no longer available from the API' })
  }

  if (result.failures.length > 0) {
    for (const failure of result.failures.slice(0, MAX_ANNOTATIONS)) {
      core.error(`${failure.type} ${formatInstant(failure.start)} to ${formatInstant(failure.end)}: ${failure.message}`, {
        title: `Window failed (${failure.code})`
      })
    }
    const message =
      `${result.failures.length} listing window(s) failed after retries; everything else was committed` +
      `${result.commitSha ? ` (${result.commitSha.slice(0, 7)})` : ''} and the next run retries them first.`
    if (settings.failOnError) core.setFailed(message)
    else core.warning(message)
  }
}

/**
 * Brings the failure issue in line with the branch. Decides from the ledger at the branch
 * tip, not this run's commit: in a matrix another run may have recorded failures since, and
 * its issue must not be closed by a run that saw none. Never throws: the data is committed.
 */
async function updateFailureIssue(
  octokit: GitHubClient,
  git: GitDatabase,
  settings: Settings,
  repository: RepositoryRef,
  failures: SnapshotReport['failures'],
  context: IssueContext
): Promise<IssueOutcome> {
  try {
    const open = allFailures(await readLedger(git, settings.dataBranch))
    const outcome = await syncFailureIssue(
      octokit,
      { ...repository, labels: settings.issueLabels },
      { open, recovered: failures.recovered, gaps: failures.newGaps },
      context
    )
    if (outcome.action !== 'none') core.info(`Failure issue #${outcome.number} ${outcome.action}: ${outcome.url}`)
    return outcome
  } catch (error) {
    core.warning(errorMessage(error), { title: 'Failure issue not updated' })
    return { action: 'none' }
  }
}

/**
 * The failure issue of a run that stopped part-way, for its summary. A run that committed
 * something brings the issue in line with the branch as a finished run does (its commits may
 * hold new failed windows); one that committed nothing only looks for the open issue. Never
 * throws: the run's own error is what the step reports.
 */
async function issueAfterStop(
  octokit: GitHubClient,
  git: GitDatabase,
  settings: Settings,
  repository: RepositoryRef,
  progress: SyncProgress | undefined,
  context: IssueContext
): Promise<RunLinks['issue']> {
  if (!settings.openIssue || settings.contentTypes.length === 0) return undefined
  if (progress && progress.commits.length > 0) {
    const failures = progress.report?.failures ?? { open: [], recovered: [], newGaps: [] }
    const outcome = await updateFailureIssue(octokit, git, settings, repository, failures, context)
    return outcome.action === 'none' ? undefined : { url: outcome.url, number: outcome.number, open: outcome.action !== 'closed' }
  }
  try {
    const found = await findFailureIssue(octokit, { ...repository, labels: settings.issueLabels }, settings.dataBranch)
    return found ? { ...found, open: true } : undefined
  } catch (error) {
    core.info(`Could not look for the failure issue: ${errorMessage(error)}`)
    return undefined
  }
}

/** Where the data branch and its commits are on the web, when the GitHub web root is known. */
function runLinks(serverUrl: string | undefined, repository: RepositoryRef, branch: string): RunLinks {
  const root = serverUrl ? `${serverUrl}/${repository.owner}/${repository.repo}` : undefined
  return {
    branch: { name: branch, ...optional('url', root ? `${root}/tree/${encodeURI(branch)}` : undefined) },
    commitUrl: (sha) => (root ? `${root}/commit/${sha}` : undefined)
  }
}

/** Masks each distinct token once: MSAL hands back the same cached token on every call. */
function maskOnce(): (token: string) => void {
  const masked = new Set<string>()
  return (token) => {
    if (masked.has(token)) return
    masked.add(token)
    core.setSecret(token)
  }
}

/** Logs what the workflow's GitHub token presents, once: what a federated credential must match. */
function logPresentedOnce(): (presented: PresentedToken | undefined) => void {
  let logged = false
  return (presented) => {
    if (logged || !presented) return
    logged = true
    core.info(`GitHub OIDC token: issuer ${presented.issuer}, subject ${presented.subject}, audience ${presented.audience}.`)
  }
}

/** GitHub shows 10 annotations of each kind per step; a handful says enough. */
const MAX_ANNOTATIONS = 5

function reportFailure(error: unknown): void {
  if (error instanceof InputError && error.problems.length > 1) {
    for (const problem of error.problems) core.error(problem.message, { title: `Invalid input '${problem.input}'` })
    core.setFailed(`${error.problems.length} inputs are invalid (see above); nothing was requested or written.`)
    return
  }
  core.setFailed(errorMessage(error))
}
