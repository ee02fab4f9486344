import * as core from '@actions/core'
import { createTokenProvider } from './auth/entra-token.js'
import { errorMessage } from './errors.js'
import { createGitDatabase, createOctokit } from './github/git-database.js'
import { actionInputs, describeSettings, InputError, readSettings } from './inputs.js'
import { ActivityClient } from './m365/activity-client.js'
import { describePlan, renderPlanTable } from './plan/render-plan.js'
import { Outputs, type Settings } from './settings.js'
import { writePlanSummary, writeSyncSummary } from './summary.js'
import { sync } from './sync.js'

/**
 * One run of the action: validate inputs, then plan, sign in, collect and commit. Every
 * failure ends here, as one `::error::` per problem and a failed step.
 */
export async function run(now: () => Date = () => new Date()): Promise<void> {
  try {
    const { settings, plan } = await core.group('Inputs', async () => {
      const validated = readSettings(actionInputs, now())
      core.info(describeSettings(validated.settings))
      return validated
    })
    for (const note of plan.notes) core.notice(note)

    if (settings.dryRun) {
      const headline = describePlan(plan, settings.contentTypes)
      core.info(headline)
      core.info(renderPlanTable(plan))
      await writePlanSummary(plan, headline, plan.notes)
      core.info('dry-run: the plan above is what a real run would list; nothing was requested or written.')
      return
    }
    await runSync(settings, now)
  } catch (error) {
    reportFailure(error)
  }
}

async function runSync(settings: Settings, now: () => Date): Promise<void> {
  const repository = settings.repository
  if (!repository) throw new Error(`Input 'repository' is needed for a real run.`)
  const env = process.env
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const runUrl = env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY ? `${serverUrl}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined

  const tokens = createTokenProvider({
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    credential: settings.credential,
    authorityHost: settings.authorityHost,
    audience: settings.audience,
    onToken: (token) => core.setSecret(token)
  })
  const api = new ActivityClient({
    audience: settings.audience,
    tenantId: settings.tenantId,
    publisherId: settings.publisherId,
    tokens,
    onRetry: (what, error, attempt, delayMs) =>
      core.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
  })
  const octokit = createOctokit(
    { ...repository, token: settings.githubToken, baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com' },
    { debug: (message) => core.debug(message), warn: (message) => core.warning(message) }
  )
  const git = createGitDatabase(octokit, repository)

  const result = await sync(settings, {
    api,
    git,
    now,
    log: (message) => core.info(message),
    group: (name, work) => core.group(name, work),
    ...(runUrl ? { runUrl } : {})
  })

  const commitUrl = result.commitSha ? `${serverUrl}/${repository.owner}/${repository.repo}/commit/${result.commitSha}` : undefined
  core.setOutput(Outputs.RecordsAdded, result.report.recordsAdded)
  core.setOutput(Outputs.FilesChanged, result.report.filesChanged)
  core.setOutput(Outputs.CommitSha, result.commitSha ?? '')
  core.setOutput(Outputs.FailedSegments, 0)
  core.setOutput(Outputs.IssueUrl, '')
  await writeSyncSummary(result, describePlan(result.plan, settings.contentTypes), commitUrl)
}

function reportFailure(error: unknown): void {
  if (error instanceof InputError && error.problems.length > 1) {
    for (const problem of error.problems) core.error(problem.message, { title: `Invalid input '${problem.input}'` })
    core.setFailed(`${error.problems.length} inputs are invalid (see above); nothing was requested or written.`)
    return
  }
  core.setFailed(errorMessage(error))
}
