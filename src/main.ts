/**
 * The composition root: reads the inputs, the runner's context and the environment once,
 * wires the clients (Entra ID, the Management API, GitHub), runs the sync or the dry run,
 * and publishes what it did (outputs, job summary, annotations, the failure issue) through
 * the one port to the runner. Nothing below this file reads the environment or @actions/core.
 */
import { tmpdir } from 'node:os'
import { expiryWarning } from './action/certificate-input.js'
import { maskedValues, type MaskedValues } from './action/masked-values.js'
import { describeSettings, InputError, readSettings } from './action/inputs.js'
import { gitHubEndpoints, readRunContext, type RunContext } from './action/run-context.js'
import type { ActionPort, Runtime } from './action/runtime.js'
import { Outputs, type RepositoryRef, type Settings } from './action/settings.js'
import { GRAPH_QUERIES } from './branch/ledger.js'
import { HELD_DAY_CODE } from './branch/held-days.js'
import { readTestHooks, type TestHooks } from './action/test-hooks.js'
import type { Credential } from './auth/credential.js'
import { createTokenProvider, type TokenProvider } from './auth/entra-token.js'
import { AuditQueryClient, GRAPH_RETRY } from './graph/audit-query-client.js'
import type { PresentedToken } from './auth/github-oidc.js'
import { createGitHubClient, type GitHubClient } from './github/client.js'
import { createGitDatabase, type GitDatabase } from './github/git-database.js'
import { configureConnections } from './http/proxy.js'
import { createQuotaLimiter } from './http/quota-limiter.js'
import { DEFAULT_RETRY } from './http/retry.js'
import { ActivityClient } from './m365/activity-client.js'
import { describePlan } from './plan/render-plan.js'
import { issueAfterStop, updateFailureIssue, type IssueOutcome, type IssueTarget } from './report/failure-issue.js'
import type { IssueContext } from './report/failure-issue-text.js'
import {
  renderRetentionSummary,
  renderStoppedSummary,
  renderSyncSummary,
  runLinks,
  type RunLinks
} from './report/summary.js'
import type { SnapshotFormat } from './snapshot/format/snapshot-format.js'
import { dryRun, sync, SyncStopped, type SyncDependencies, type SyncResult } from './sync.js'
import { errorMessage } from './util/error-message.js'
import { limitHeapGrowthForMerge } from './util/heap-growth.js'
import { formatInstant } from './util/time.js'
import { operationNameWarnings } from './record/filter.js'
import { eraseOldDays } from './commit/erase-old-days.js'

/** The runtime of a step on a GitHub Actions runner, for the entry point. */
export { actionsRuntime } from './action/runtime.js'

/**
 * One run of the action: validate inputs, then plan, sign in, collect and commit. Every
 * failure ends here, as one `::error::` per problem and a failed step.
 */
export async function run(runtime: Runtime): Promise<void> {
  const { port, env, now } = runtime
  // Everything masked in the log, remembered for text that is saved (the failure issue).
  const masked = maskedValues((value) => port.setSecret(value))
  try {
    const context = readRunContext(runtime.context, env)
    const { settings, plan } = await port.group('Inputs', async () => {
      const inputs = {
        getInput: (name: string) => port.getInput(name),
        setSecret: (value: string) => masked.mask(value),
        env,
        currentRepository: context.repository
      }
      const validated = readSettings(inputs, now())
      port.info(describeSettings(validated.settings))
      return validated
    })
    for (const note of plan.notes) port.notice(note)
    for (const warning of operationNameWarnings(settings.filter)) port.warning(warning, 'Unknown operation name')
    const expiring =
      settings.credential?.kind === 'certificate' ? expiryWarning(settings.credential.certificate, now()) : undefined
    if (expiring) port.warning(expiring, 'Certificate expires soon')

    const wiring = new Wiring(runtime, settings, context, masked)
    if (settings.dryRun) {
      const git = settings.repository && settings.githubToken ? wiring.github(settings.repository, 4).git : undefined
      const preview = await dryRun(settings, plan, {
        git,
        workspace: context.workspace,
        now,
        log: (line) => port.info(line),
        notice: (line) => port.notice(line)
      })
      await port.appendSummary(wiring.redact(preview))
    } else {
      await runSync(wiring, settings)
    }
  } catch (error) {
    reportFailure(port, error)
  }
}

/** A sync, then what it did: outputs, the job summary, the failure issue, annotations. */
async function runSync(wiring: Wiring, settings: Settings): Promise<void> {
  const { port } = wiring.runtime
  const repository = settings.repository
  if (!repository) throw new Error(`Input 'repository' is needed for a real run.`)
  // A few more connections than downloads: listing and sign-in run beside them.
  const github = wiring.github(repository, settings.concurrency + 4)
  const issues = wiring.issueTarget(github.octokit, github.git, repository)
  const result = await sync(settings, wiring.syncDependencies(github.git)).catch(async (error: unknown) => {
    // The step fails with the error as it is; the summary says what the run did before.
    const progress = error instanceof SyncStopped ? error.progress : undefined
    // Redacted before it is rendered: escaping could hide a masked value from the redaction.
    const reason = wiring.redact(errorMessage(error))
    try {
      const issue = issues
        ? await port.group('Failure issue', () => issueAfterStop(issues, progress, wiring.issueContext(), reason))
        : undefined
      const headline = progress?.plan ? describePlan(progress.plan, settings.contentTypes, settings.source) : ''
      await port.appendSummary(wiring.redact(renderStoppedSummary(reason, progress, headline, github.links(issue))))
    } catch (reportError) {
      port.warning(`The job summary of this stopped run was not written: ${errorMessage(reportError)}`)
    }
    throw error instanceof SyncStopped ? error.cause : error
  })

  // The data is committed; from here on nothing may lose it, and a failed report only warns.
  const retention = settings.retentionDays
    ? await port.group('Retention', async () => {
        const outcome = await eraseOldDays({
          git: github.git,
          branch: settings.dataBranch,
          days: settings.retentionDays!,
          now: wiring.runtime.now()
        })
        if (!outcome.failed) port.info(outcome.line)
        return outcome
      })
    : undefined
  const issue = issues
    ? await port.group('Failure issue', () => updateFailureIssue(issues, result.report.failures, wiring.issueContext()))
    : undefined
  publish(port, result, issue)
  await port.appendSummary(
    wiring.redact(
      renderSyncSummary(result, describePlan(result.plan, settings.contentTypes, settings.source), github.links(issue))
    )
  )
  if (retention) await port.appendSummary(renderRetentionSummary(wiring.redact(retention.line)))
  annotate(port, settings, result)
  if (retention?.failed) port.setFailed(wiring.redact(retention.line))
}

/** The step's outputs. */
function publish(port: ActionPort, result: SyncResult, issue: IssueOutcome | undefined): void {
  port.setOutput(Outputs.RecordsAdded, result.report.recordsAdded)
  port.setOutput(Outputs.FilesChanged, result.report.filesChanged)
  port.setOutput(Outputs.CommitSha, result.commitSha ?? '')
  port.setOutput(Outputs.FailedSegments, result.failures.length + (result.graph?.failed ?? 0))
  port.setOutput(Outputs.IssueUrl, issue && issue.action !== 'none' ? issue.url : '')
  port.setOutput(Outputs.BadRows, result.imported?.badRows ?? 0)
}

/** GitHub shows 10 annotations of each kind per step; a handful says enough. */
const MAX_ANNOTATIONS = 5

/** Annotations for what needs someone's attention, and the step's failure when windows failed. */
function annotate(port: ActionPort, settings: Settings, result: SyncResult): void {
  if (result.imported && result.imported.badRows > 0) {
    const [first] = result.imported.bad
    port.warning(
      `${result.imported.badRows} row(s) of the exports were not imported (listed in the log and the job summary)` +
        `${first ? `; the first: ${first.file}:${first.line}: ${first.reason}` : ''}.`,
      'Bad rows in Purview exports'
    )
  }
  for (const gap of result.report.failures.newGaps.slice(0, MAX_ANNOTATIONS)) {
    port.warning(`${gap.type} ${gap.start}: ${gap.message}`, 'Audit content no longer available from the API')
  }
  const graphFailed = result.graph?.failed ?? 0
  const heldDays = result.report.failures.open.filter((failure) => failure.code === HELD_DAY_CODE)
  if (result.failures.length === 0 && graphFailed === 0 && heldDays.length === 0) return
  for (const held of heldDays.slice(0, MAX_ANNOTATIONS)) {
    port.error(`${held.type} ${held.start.slice(0, 10)}: ${held.message}`, 'Day not merged')
  }
  for (const failure of result.failures.slice(0, MAX_ANNOTATIONS)) {
    port.error(
      `${failure.type} ${formatInstant(failure.start)} to ${formatInstant(failure.end)}: ${failure.message}`,
      `Window failed (${failure.code})`
    )
  }
  const graphWindows = result.report.failures.open.filter((failure) => failure.type === GRAPH_QUERIES)
  for (const failure of graphFailed > 0 ? graphWindows.slice(0, MAX_ANNOTATIONS) : []) {
    port.error(`${failure.start} to ${failure.end}: ${failure.message}`, `Graph window failed (${failure.code})`)
  }
  const failed = [
    ...(result.failures.length > 0 ? [`${result.failures.length} listing window(s)`] : []),
    ...(graphFailed > 0 ? [`${graphFailed} Graph audit log query window(s)`] : []),
    ...(heldDays.length > 0 ? [`${heldDays.length} day(s) that could not be merged (their rows are held)`] : [])
  ].join(' and ')
  const message =
    `${failed} failed after retries; everything else was committed` +
    `${result.commitSha ? ` (${result.commitSha.slice(0, 7)})` : ''} and the next run retries them first.`
  if (settings.failOnError) port.setFailed(message)
  else port.warning(message)
}

function reportFailure(port: ActionPort, error: unknown): void {
  if (error instanceof InputError && error.problems.length > 1) {
    for (const problem of error.problems) port.error(problem.message, `Invalid input '${problem.input}'`)
    port.setFailed(`${error.problems.length} inputs are invalid (see above); nothing was requested or written.`)
    return
  }
  port.setFailed(errorMessage(error))
}

/** The clients of one run, built from its settings, context and environment. */
class Wiring {
  /** Settings only a test suite changes (src/action/test-hooks.ts), read once. */
  private readonly hooks: TestHooks
  /** Masks every token of the run, whichever resource it is for. */
  private readonly logPresented: (presented: PresentedToken | undefined) => void

  constructor(
    readonly runtime: Runtime,
    private readonly settings: Settings,
    private readonly context: RunContext,
    private readonly masked: MaskedValues
  ) {
    this.hooks = readTestHooks(runtime.env)
    this.logPresented = logPresentedOnce(runtime.port)
  }

  /**
   * The GitHub client and Git Data API of the data branch's repository, on connections set up
   * for `connections` calls at once (through the environment's proxy, if any).
   */
  github(
    repository: RepositoryRef,
    connections: number
  ): { octokit: GitHubClient; git: GitDatabase; links: (issue?: IssueOutcome) => RunLinks } {
    const { port, env } = this.runtime
    const endpoints = gitHubEndpoints(this.settings.githubApiUrl, this.context)
    port.info(endpoints.description)
    const proxy = configureConnections(env, connections)
    if (proxy) port.info(`Using the proxy ${proxy} from the environment (NO_PROXY exceptions apply).`)
    const octokit = createGitHubClient(
      {
        token: this.settings.githubToken,
        baseUrl: endpoints.apiUrl,
        ...(this.hooks.githubPacingMs === undefined ? {} : { pacingMs: this.hooks.githubPacingMs })
      },
      { debug: (message) => port.debug(message), warn: (message) => port.warning(message) }
    )
    const links = (issue?: IssueOutcome): RunLinks =>
      runLinks(endpoints.serverUrl, repository, this.settings.dataBranch, issue)
    return { octokit, git: createGitDatabase(octokit, repository), links }
  }

  /** Where the failure issue goes; none when it is off, or when the run only imports (the issue tracks API collection). */
  issueTarget(octokit: GitHubClient, git: GitDatabase, repository: RepositoryRef): IssueTarget | undefined {
    const { settings } = this
    if (!settings.openIssue || settings.contentTypes.length === 0) return undefined
    const { port } = this.runtime
    return {
      octokit,
      git,
      ...repository,
      labels: settings.issueLabels,
      branch: settings.dataBranch,
      log: (line) => port.info(line),
      warn: (message, title) => port.warning(message, title)
    }
  }

  /** Text with every value the run masked replaced: an issue is saved on GitHub as it is written. */
  redact(text: string): string {
    return this.masked.redact(text)
  }

  issueContext(): IssueContext {
    const { runUrl, repository, workflowFile } = this.context
    return {
      branch: this.settings.dataBranch,
      now: this.runtime.now(),
      redact: (text) => this.redact(text),
      ...(runUrl ? { runUrl } : {}),
      ...(repository ? { repository } : {}),
      ...(workflowFile ? { workflowFile } : {})
    }
  }

  syncDependencies(git: GitDatabase): SyncDependencies {
    const { port, env, now } = this.runtime
    const { credential } = this.settings
    return {
      tempDir: env.RUNNER_TEMP || tmpdir(),
      workspace: this.context.workspace,
      api: credential ? this.managementApi(credential) : importOnlyApi(),
      graph: credential && this.settings.graphUrl ? this.graphQueries(credential, this.settings.graphUrl) : undefined,
      graphWaitMs: this.hooks.graphWaitMs,
      graphSettleMs: this.hooks.graphSettleMs,
      graphPollMs:
        this.hooks.graphPollMs === undefined
          ? undefined
          : { first: this.hooks.graphPollMs, max: this.hooks.graphPollMs * 24 },
      git,
      now,
      log: (line) => port.info(line),
      warn: (message, title) => port.warning(message, title),
      redact: (text) => this.redact(text),
      group: (name, work) => port.group(name, work),
      runUrl: this.context.runUrl,
      maxPartBytes: this.hooks.maxPartBytes,
      progressEveryMs: this.hooks.progressEveryMs,
      settleAfterMs: this.hooks.settleAfterMs,
      onReadBack: holdHeapGrowthWhenReadingParquet
    }
  }

  /** Tokens for one resource, signing in with the app's credential when one is first needed. */
  private tokensFor(credential: Credential, resource: string): TokenProvider {
    const { settings } = this
    const { port } = this.runtime
    return createTokenProvider({
      tenantId: settings.tenantId,
      clientId: settings.clientId,
      credential,
      authorityHost: settings.authorityHost,
      audience: resource,
      onToken: (token) => this.masked.mask(token),
      // The workflow's ID token is a credential too: masked whatever port hands it over.
      getIDToken: async (audience) => {
        const idToken = await port.getIDToken(audience)
        this.masked.mask(idToken)
        return idToken
      },
      onPresented: this.logPresented
    })
  }

  /** Microsoft Graph's audit log queries, with a token of their own (`<graph-url>/.default`). */
  private graphQueries(credential: Credential, graphUrl: string): AuditQueryClient {
    const { port } = this.runtime
    const { graphRetryMs } = this.hooks
    return new AuditQueryClient({
      graphUrl,
      tokens: this.tokensFor(credential, graphUrl),
      ...(graphRetryMs === undefined ? {} : { retry: { ...GRAPH_RETRY, baseDelayMs: graphRetryMs } }),
      onRetry: (what, error, attempt, delayMs) =>
        port.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
    })
  }

  /** The Management API client, signing in with the app's credential when it is first needed. */
  private managementApi(credential: Credential): ActivityClient {
    const { settings } = this
    const { port } = this.runtime
    const tokens = this.tokensFor(credential, settings.audience)
    const { retryBaseDelayMs } = this.hooks
    return new ActivityClient({
      audience: settings.audience,
      tenantId: settings.tenantId,
      publisherId: settings.publisherId,
      tokens,
      limiter: createQuotaLimiter({ perMinute: settings.apiQuota }),
      ...(retryBaseDelayMs === undefined ? {} : { retry: { ...DEFAULT_RETRY, baseDelayMs: retryBaseDelayMs } }),
      onRetry: (what, error, attempt, delayMs) =>
        port.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
    })
  }
}

/**
 * The run's one process-wide memory switch beyond the worker's young generation (index.ts):
 * once a Parquet day file is read back to be merged, V8's old generation may grow 1.6× past
 * what its last full collection kept, not the up to 4× it picks itself (docs/benchmarks.md,
 * "Heap growth when a Parquet day is read back"); other runs keep V8's choice.
 */
function holdHeapGrowthWhenReadingParquet(format: SnapshotFormat): void {
  if (format.name === 'parquet') limitHeapGrowthForMerge()
}

/**
 * What stands for the Management API in a run that only imports and has no credential: sync
 * lists nothing then, so a call here is a bug, said as such.
 */
function importOnlyApi(): SyncDependencies['api'] {
  const refuse = (): never => {
    throw new Error(
      'This run only imports (content-types: none) and has no credential: it cannot call the Management API.'
    )
  }
  return { listContent: refuse, fetchBlob: refuse, listSubscriptions: refuse, startSubscription: refuse }
}

/** Logs what the workflow's GitHub token presents, once: what a federated credential must match. */
function logPresentedOnce(port: ActionPort): (presented: PresentedToken | undefined) => void {
  let logged = false
  return (presented) => {
    if (logged || !presented) return
    logged = true
    port.info(
      `GitHub OIDC token: issuer ${presented.issuer}, subject ${presented.subject}, audience ${presented.audience}.`
    )
  }
}
