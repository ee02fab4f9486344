import * as core from '@actions/core'
import { configureConnections } from '../http/proxy.js'
import type { RepositoryRef, Settings } from '../settings.js'
import { readTestHooks } from '../test-hooks.js'
import { optional } from '../util/optional.js'
import { createGitHubClient, type GitHubClient } from './client.js'
import { createGitDatabase, type GitDatabase } from './git-database.js'
import { serverUrlOfApi, type RunContext } from './run-context.js'

/** Where the data branch's GitHub is: its REST API, its web root (for links) and a line for the log. */
export interface GitHubEndpoints {
  apiUrl: string
  serverUrl: string | undefined
  description: string
}

/**
 * The GitHub client and Git Data API of the data branch's repository, on connections set up
 * for `connections` calls at once (through the environment's proxy, if any).
 */
export function connectGitHub(
  settings: Settings,
  repository: RepositoryRef,
  context: RunContext,
  connections: number
): { octokit: GitHubClient; git: GitDatabase; github: GitHubEndpoints } {
  const github = gitHubEndpoints(settings, context)
  core.info(github.description)
  const proxy = configureConnections(process.env, connections)
  if (proxy) core.info(`Using the proxy ${proxy} from the environment (NO_PROXY exceptions apply).`)
  const hooks = readTestHooks(process.env)
  const octokit = createGitHubClient(
    { token: settings.githubToken, baseUrl: github.apiUrl, ...optional('pacingMs', hooks.githubPacingMs) },
    { debug: (message) => core.debug(message), warn: (message) => core.warning(message) }
  )
  return { octokit, git: createGitDatabase(octokit, repository), github }
}

/**
 * The GitHub the data branch is on: the one running the workflow, or the instance named by
 * 'github-api-url' (links to it only when its web root follows from the API's address).
 */
export function gitHubEndpoints(settings: Settings, context: RunContext): GitHubEndpoints {
  const apiUrl = settings.githubApiUrl
  if (apiUrl && apiUrl !== context.apiUrl) {
    return { apiUrl, serverUrl: serverUrlOfApi(apiUrl), description: `GitHub API: ${apiUrl} (input 'github-api-url').` }
  }
  const kind = context.isGhes ? 'GitHub Enterprise Server' : 'GitHub'
  return { apiUrl: context.apiUrl, serverUrl: context.serverUrl, description: `${kind} at ${context.serverUrl}, API ${context.apiUrl}.` }
}
