import { allFailures, type FailureChanges, type OpenFailure, type TypedGap } from '../branch/ledger.js'
import { readBranchLedger } from '../github/branch-tip.js'
import type { GitHubClient } from '../github/client.js'
import type { GitDatabase } from '../github/git-database.js'
import type { SyncProgress } from './progress.js'
import { errorMessage } from '../util/error-message.js'
import {
  issueMarker,
  issueTitle,
  renderIssueBody,
  renderRecoveredComment,
  renderStillFailingComment,
  renderStoppedText,
  STOPPED_TITLE,
  type IssueContext
} from './failure-issue-text.js'

/** What the issue step did. */
export type IssueOutcome =
  { action: 'opened' | 'commented' | 'closed'; url: string; number: number } | { action: 'none' }

/**
 * Keeps one issue per data branch in step with the ledger's failed windows: opens it when
 * windows fail, comments on it while they keep failing (never a second issue), and comments
 * and closes it once they have all recovered.
 */
async function syncFailureIssue(
  octokit: GitHubClient,
  target: { owner: string; repo: string; labels: readonly string[] },
  state: { open: readonly OpenFailure[]; recovered: readonly OpenFailure[]; gaps: readonly TypedGap[] },
  context: IssueContext
): Promise<IssueOutcome> {
  const repo = { owner: target.owner, repo: target.repo }
  const existing = await findIssue(octokit, target, context.branch)
  try {
    if (state.open.length > 0) {
      if (!existing) {
        const { data } = await octokit.rest.issues.create({
          ...repo,
          title: issueTitle(state.open),
          body: renderIssueBody(state.open, state.gaps, context),
          labels: [...target.labels]
        })
        return { action: 'opened', ...(await keptAfterOpening(octokit, target, context.branch, data)) }
      }
      await octokit.rest.issues.update({
        ...repo,
        issue_number: existing.number,
        title: issueTitle(state.open),
        body: renderIssueBody(state.open, state.gaps, context)
      })
      await octokit.rest.issues.createComment({
        ...repo,
        issue_number: existing.number,
        body: renderStillFailingComment(state.open, state.gaps, context)
      })
      return { action: 'commented', url: existing.html_url, number: existing.number }
    }
    if (existing) {
      await octokit.rest.issues.createComment({
        ...repo,
        issue_number: existing.number,
        body: renderRecoveredComment(state.recovered, context)
      })
      await octokit.rest.issues.update({
        ...repo,
        issue_number: existing.number,
        state: 'closed',
        state_reason: 'completed'
      })
      return { action: 'closed', url: existing.html_url, number: existing.number }
    }
    return { action: 'none' }
  } catch (error) {
    throw explainIssueError(error, target)
  }
}

/**
 * The open issue of the data branch, the oldest when there are several: jobs of a matrix that
 * fail at the same moment may each open one. The others are closed as its duplicates.
 */
async function findIssue(
  octokit: GitHubClient,
  target: { owner: string; repo: string; labels: readonly string[] },
  branch: string
): Promise<{ number: number; html_url: string } | undefined> {
  const marker = issueMarker(branch)
  try {
    const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
      owner: target.owner,
      repo: target.repo,
      state: 'open',
      ...(target.labels[0] ? { labels: target.labels[0] } : {}),
      per_page: 100
    })
    const ours = issues
      .filter((issue) => !issue.pull_request && (issue.body ?? '').includes(marker))
      .sort((a, b) => a.number - b.number)
    const [oldest, ...duplicates] = ours
    for (const duplicate of duplicates) {
      const repo = { owner: target.owner, repo: target.repo, issue_number: duplicate.number }
      await octokit.rest.issues.createComment({
        ...repo,
        body: `Duplicate of #${oldest!.number}: one issue per data branch.`
      })
      await octokit.rest.issues.update({ ...repo, state: 'closed', state_reason: 'not_planned' })
    }
    return oldest
  } catch (error) {
    throw explainIssueError(error, target)
  }
}

/**
 * The issue that stays once this run opened one: another job of a matrix may have opened its
 * own at the same moment; the oldest is kept and the others closed as its duplicates.
 */
async function keptAfterOpening(
  octokit: GitHubClient,
  target: { owner: string; repo: string; labels: readonly string[] },
  branch: string,
  opened: { number: number; html_url: string }
): Promise<{ url: string; number: number }> {
  const kept = (await findIssue(octokit, target, branch)) ?? opened
  return { url: kept.html_url, number: kept.number }
}

/** A failed issue call in words: what failed, where, and what to change (said once). */
class IssueError extends Error {}

function explainIssueError(error: unknown, target: { owner: string; repo: string }): Error {
  if (error instanceof IssueError) return error
  const status = (error as { status?: number }).status
  if (status === 403 || status === 404) {
    return new IssueError(
      `Could not update the failure issue in ${target.owner}/${target.repo} (${status} ${errorMessage(error)}): ` +
        `the workflow needs 'permissions: issues: write', or set 'open-issue: false'. The collected data was committed.`
    )
  }
  return new IssueError(`Could not update the failure issue in ${target.owner}/${target.repo}: ${errorMessage(error)}`)
}

/** Where the failure issue is, and what to say when it cannot be updated. */
export interface IssueTarget {
  octokit: GitHubClient
  git: GitDatabase
  owner: string
  repo: string
  labels: readonly string[]
  branch: string
  log: (message: string) => void
  warn: (message: string, title: string) => void
}

/**
 * Brings the failure issue in line with the branch. Decides from the ledger at the branch
 * tip, not this run's commit: in a matrix another run may have recorded failures since, and
 * its issue must not be closed by a run that saw none. Never throws: the data is committed.
 */
export async function updateFailureIssue(
  target: IssueTarget,
  failures: Pick<FailureChanges, 'recovered' | 'newGaps'>,
  context: IssueContext
): Promise<IssueOutcome> {
  try {
    const open = allFailures((await readBranchLedger(target.git, target.branch)).ledger)
    const outcome = await syncFailureIssue(
      target.octokit,
      target,
      { open, recovered: failures.recovered, gaps: failures.newGaps },
      context
    )
    return logged(target, outcome)
  } catch (error) {
    target.warn(errorMessage(error), 'Failure issue not updated')
    return { action: 'none' }
  }
}

/**
 * The failure issue of a run that stopped part-way. A run that committed something brings the
 * issue in line with the branch as a finished run does (its commits may hold new failed
 * windows); one that committed nothing reports the stop (`reason`, already redacted): a comment
 * on the open issue, or a new issue that the next run to complete closes. Never throws: the
 * run's own error is what the step reports.
 */
export async function issueAfterStop(
  target: IssueTarget,
  progress: SyncProgress | undefined,
  context: IssueContext,
  reason: string
): Promise<IssueOutcome> {
  if (progress && progress.commits.length > 0) {
    return updateFailureIssue(target, progress.report?.failures ?? { recovered: [], newGaps: [] }, context)
  }
  // Nothing committed (a refused sign-in, an expired secret, a missing permission): the stop
  // itself is what someone must hear about, on the open issue or a new one.
  const repo = { owner: target.owner, repo: target.repo }
  try {
    const found = await findIssue(target.octokit, target, target.branch)
    if (found) {
      await target.octokit.rest.issues.createComment({
        ...repo,
        issue_number: found.number,
        body: renderStoppedText(reason, context, false)
      })
      return logged(target, { action: 'commented', url: found.html_url, number: found.number })
    }
    const { data } = await target.octokit.rest.issues.create({
      ...repo,
      title: STOPPED_TITLE,
      body: renderStoppedText(reason, context, true),
      labels: [...target.labels]
    })
    return logged(target, {
      action: 'opened',
      ...(await keptAfterOpening(target.octokit, target, target.branch, data))
    })
  } catch (error) {
    target.warn(errorMessage(explainIssueError(error, target)), 'Failure issue not updated')
    return { action: 'none' }
  }
}

/** The outcome, told to the log when the issue changed. */
function logged(target: IssueTarget, outcome: IssueOutcome): IssueOutcome {
  if (outcome.action !== 'none') target.log(`Failure issue #${outcome.number} ${outcome.action}: ${outcome.url}`)
  return outcome
}
