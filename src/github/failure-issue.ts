import type { GitHubClient } from './client.js'
import { errorMessage } from '../errors.js'
import {
  issueMarker,
  issueTitle,
  renderIssueBody,
  renderRecoveredComment,
  renderStillFailingComment,
  type IssueContext,
  type OpenFailure,
  type TypedGap
} from '../report/failure-issue-text.js'

/** What the issue step did. */
export type IssueOutcome =
  | { action: 'opened' | 'commented' | 'closed'; url: string; number: number }
  | { action: 'none' }

/**
 * Keeps one issue per data branch in step with the ledger's failed windows: opens it when
 * windows fail, comments on it while they keep failing (never a second issue), and comments
 * and closes it once they have all recovered.
 */
export async function syncFailureIssue(
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
        return { action: 'opened', url: data.html_url, number: data.number }
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
      await octokit.rest.issues.createComment({ ...repo, issue_number: existing.number, body: renderRecoveredComment(state.recovered, context) })
      await octokit.rest.issues.update({ ...repo, issue_number: existing.number, state: 'closed', state_reason: 'completed' })
      return { action: 'closed', url: existing.html_url, number: existing.number }
    }
    return { action: 'none' }
  } catch (error) {
    throw explainIssueError(error, target)
  }
}

/** The open failure issue of a data branch, if there is one (read-only: for a run that stopped). */
export async function findFailureIssue(
  octokit: GitHubClient,
  target: { owner: string; repo: string; labels: readonly string[] },
  branch: string
): Promise<{ url: string; number: number } | undefined> {
  const issue = await findIssue(octokit, target, branch)
  return issue ? { url: issue.html_url, number: issue.number } : undefined
}

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
    return issues.find((issue) => !issue.pull_request && (issue.body ?? '').includes(marker))
  } catch (error) {
    throw explainIssueError(error, target)
  }
}

function explainIssueError(error: unknown, target: { owner: string; repo: string }): Error {
  const status = (error as { status?: number }).status
  if (status === 403 || status === 404) {
    return new Error(
      `Could not update the failure issue in ${target.owner}/${target.repo} (${status} ${errorMessage(error)}): ` +
        `the workflow needs 'permissions: issues: write', or set 'open-issue: false'. The collected data was committed.`
    )
  }
  return new Error(`Could not update the failure issue in ${target.owner}/${target.repo}: ${errorMessage(error)}`)
}
