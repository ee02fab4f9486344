/** Where and as what the workflow runs: read once, at the start of a run. */
export interface RunContext {
  /** `owner/name` of the repository whose workflow runs; the default of input 'repository'. */
  repository: string | undefined
  /** The GitHub web root, e.g. https://github.com, for links. */
  serverUrl: string
  /** The REST API root, e.g. https://api.github.com or https://ghes.example.com/api/v3. */
  apiUrl: string
  /** This workflow run's page, when the runner says which run it is. */
  runUrl: string | undefined
  /** The workflow's file name (`audit-sync.yml`), for the `gh workflow run` command the failure issue offers. */
  workflowFile: string | undefined
  /** The workflow runs on GitHub Enterprise Server: its own host, not github.com or a GHE.com subdomain. */
  isGhes: boolean
  /** Where `import` patterns are resolved: the workspace actions/checkout fills, else the current folder. */
  workspace: string
}

/** The part of `@actions/github`'s `context` this reads (a stand-in in tests). */
export interface ActionsContext {
  serverUrl: string
  apiUrl: string
  runId: number
  /** A getter that throws when neither GITHUB_REPOSITORY nor the event payload names a repository. */
  readonly repo: { owner: string; repo: string }
}

/**
 * The run's context from `@actions/github` (which reads the runner's GITHUB_* variables and
 * event payload once, when it is first imported). The workflow file and the workspace are the
 * facts it does not carry, so they are read from GITHUB_WORKFLOW_REF
 * (`owner/repo/.github/workflows/file.yml@ref`) and GITHUB_WORKSPACE here, and nowhere else.
 */
export function readRunContext(context: ActionsContext, env: Readonly<Record<string, string | undefined>>): RunContext {
  const serverUrl = trimSlash(context.serverUrl)
  const repository = currentRepository(context)
  return {
    repository,
    serverUrl,
    apiUrl: trimSlash(context.apiUrl),
    runUrl:
      repository && Number.isInteger(context.runId) && context.runId > 0
        ? `${serverUrl}/${repository}/actions/runs/${context.runId}`
        : undefined,
    workflowFile: env.GITHUB_WORKFLOW_REF?.split('@')[0]?.split('/').at(-1) || undefined,
    isGhes: isGhesUrl(serverUrl),
    workspace: env.GITHUB_WORKSPACE || process.cwd()
  }
}

/** Where the data branch's GitHub is: its REST API, its web root (for links) and a line for the log. */
export interface GitHubEndpoints {
  apiUrl: string
  serverUrl: string | undefined
  description: string
}

/**
 * The GitHub the data branch is on: the one running the workflow, or the instance named by
 * 'github-api-url' (links to it only when its web root follows from the API's address).
 */
export function gitHubEndpoints(githubApiUrl: string | undefined, context: RunContext): GitHubEndpoints {
  if (githubApiUrl && githubApiUrl !== context.apiUrl) {
    return {
      apiUrl: githubApiUrl,
      serverUrl: serverUrlOfApi(githubApiUrl),
      description: `GitHub API: ${githubApiUrl} (input 'github-api-url').`
    }
  }
  const kind = context.isGhes ? 'GitHub Enterprise Server' : 'GitHub'
  return {
    apiUrl: context.apiUrl,
    serverUrl: context.serverUrl,
    description: `${kind} at ${context.serverUrl}, API ${context.apiUrl}.`
  }
}

/**
 * Whether a GitHub web root is a GitHub Enterprise Server: anything but github.com and the
 * data-residency subdomains of ghe.com (which are GitHub Enterprise Cloud). An unparsable
 * URL counts as github.com, where the action is tested most.
 */
export function isGhesUrl(serverUrl: string): boolean {
  let host: string
  try {
    host = new URL(serverUrl).hostname.toLowerCase()
  } catch {
    return false
  }
  return host !== 'github.com' && !host.endsWith('.ghe.com')
}

/**
 * The web root that goes with a REST API root, for links to what the action wrote:
 * api.github.com → github.com, api.NAME.ghe.com → NAME.ghe.com, HOST/api/v3 → HOST.
 * Undefined for any other shape: better no link than a wrong one.
 */
export function serverUrlOfApi(apiUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(trimSlash(apiUrl))
  } catch {
    return undefined
  }
  const path = url.pathname.replace(/\/+$/, '')
  if (
    path === '' &&
    url.hostname.startsWith('api.') &&
    (url.hostname === 'api.github.com' || url.hostname.endsWith('.ghe.com'))
  ) {
    return `${url.protocol}//${url.host.slice('api.'.length)}`
  }
  if (path.endsWith('/api/v3')) return `${url.protocol}//${url.host}${path.slice(0, -'/api/v3'.length)}`
  return undefined
}

function currentRepository(context: ActionsContext): string | undefined {
  try {
    const { owner, repo } = context.repo
    return owner && repo ? `${owner}/${repo}` : undefined
  } catch {
    return undefined
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
