import { ApiError, invalidRequest, notFound } from './errors.js'
import { commitBody } from './git-routes.js'
import type { GitStore } from './git-store.js'
import { nodeId, objectUrl, wrappedBase64, type UrlContext } from './render.js'
import type { Reply, Route, RouteContext } from './router.js'
import type { Permissions } from './server.js'
import { optionalString, requireObject, requireString } from './validate.js'

/** What `GET /repos/{owner}/{repo}` describes. */
export interface RepositoryInfo {
  owner: string
  repo: string
  defaultBranch: string
  permissions: Permissions
}

const DOCS = {
  getRepo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  getContent: 'https://docs.github.com/rest/repos/contents#get-repository-content',
  putContent: 'https://docs.github.com/rest/repos/contents#create-or-update-file-contents'
} as const

/**
 * The repository itself and the Contents API. `PUT /contents` is the one way GitHub offers
 * to give an empty repository its first commit, so it is not subject to the empty-repo 409.
 */
export function repoRoutes(store: GitStore, info: RepositoryInfo): Route[] {
  const route = (method: Route['method'], pattern: string, docs: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    docs,
    scope: pattern === '' ? 'metadata' : 'contents',
    handler
  })
  return [
    route('GET', '', DOCS.getRepo, async (context) => ({
      status: 200,
      body: await renderRepository(store, info, context)
    })),
    route('GET', '/contents', DOCS.getContent, (context) => getContent(store, info, context, '')),
    route('GET', '/contents/*path', DOCS.getContent, (context) =>
      getContent(store, info, context, context.params.path ?? '')
    ),
    route('PUT', '/contents/*path', DOCS.putContent, (context) => putContent(store, info, context))
  ]
}

async function renderRepository(store: GitStore, info: RepositoryInfo, context: RouteContext): Promise<unknown> {
  const push = info.permissions.contents === 'write'
  return {
    id: 1296269,
    node_id: nodeId('Repository', `${info.owner}/${info.repo}`),
    name: info.repo,
    full_name: `${info.owner}/${info.repo}`,
    owner: { login: info.owner, id: 1, type: 'Organization' },
    private: true,
    visibility: 'private',
    html_url: context.repoHtmlUrl,
    url: context.repoApiUrl,
    default_branch: info.defaultBranch,
    // GitHub reports size 0 for a repository without commits; some clients test that.
    size: (await store.isEmpty()) ? 0 : 1,
    has_issues: true,
    archived: false,
    disabled: false,
    permissions: { admin: false, maintain: false, push, triage: push, pull: true }
  }
}

async function getContent(
  store: GitStore,
  info: RepositoryInfo,
  context: RouteContext,
  rawPath: string
): Promise<Reply> {
  if (await store.isEmpty()) throw new ApiError(404, 'This repository is empty.')
  const path = rawPath.replace(/\/+$/, '')
  const ref = context.query.get('ref') ?? info.defaultBranch
  const commit = await store.resolveCommit(ref)
  if (commit === null) throw new ApiError(404, `No commit found for the ref ${ref}`)
  const found = await store.objectAtPath(commit, path)
  if (found === null) throw notFound()
  if (found.info.type === 'tree') {
    const entries = await store.readTree(found.sha)
    const kind = { tree: 'dir', commit: 'submodule', blob: 'file', tag: 'file' } as const
    const body = entries.map((entry) =>
      contentEntry(
        context,
        path === '' ? entry.path : `${path}/${entry.path}`,
        entry.sha,
        kind[entry.type],
        entry.size ?? 0,
        ref
      )
    )
    return { status: 200, body }
  }
  const bytes = await store.readBlob(found.sha)
  if (bytes === null) throw notFound()
  return {
    status: 200,
    body: {
      ...contentEntry(context, path, found.sha, 'file', bytes.length, ref),
      content: wrappedBase64(bytes),
      encoding: 'base64'
    }
  }
}

async function putContent(store: GitStore, info: RepositoryInfo, context: RouteContext): Promise<Reply> {
  const path = context.params.path ?? ''
  const body = requireObject(context.body)
  const message = requireString(body, 'message')
  const content = Buffer.from(requireString(body, 'content'), 'base64')
  const expectedSha = optionalString(body, 'sha')
  const branch = optionalString(body, 'branch') ?? info.defaultBranch
  let existed = false

  const commit = await store.commitFiles(
    branch,
    { [path]: content },
    {
      message,
      // Runs under the ref lock, so the sha check and the commit cannot interleave with another writer.
      precondition: async (head) => {
        if (head === null) {
          if (!(await store.isEmpty())) throw new ApiError(404, `Branch ${branch} not found`)
          return
        }
        const current = await store.objectAtPath(head, path)
        existed = current !== null
        if (current !== null && expectedSha === undefined) throw invalidRequest('"sha" wasn\'t supplied.')
        if (current !== null && expectedSha !== current.sha)
          throw new ApiError(409, `${path} does not match ${expectedSha}`)
      }
    }
  )
  const blob = await store.objectAtPath(commit, path)
  if (blob === null) throw new Error(`${path} is missing from the commit just written`)
  return {
    status: existed ? 200 : 201,
    body: {
      content: contentEntry(context, path, blob.sha, 'file', blob.info.size, branch),
      commit: await commitBody(store, context, commit)
    }
  }
}

/** One item of the Contents API, as listed in a directory or returned for a file. */
function contentEntry(
  urls: UrlContext,
  path: string,
  sha: string,
  type: 'file' | 'dir' | 'submodule',
  size: number,
  ref: string
) {
  const name = path.split('/').pop() ?? path
  const url = `${urls.repoApiUrl}/contents/${path}?ref=${encodeURIComponent(ref)}`
  const htmlUrl = `${urls.repoHtmlUrl}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${path}`
  const gitUrl = type === 'submodule' ? null : objectUrl(urls, type === 'dir' ? 'tree' : 'blob', sha)
  return {
    type,
    name,
    path,
    sha,
    size: type === 'file' ? size : 0,
    url,
    html_url: htmlUrl,
    git_url: gitUrl,
    download_url: type === 'file' ? `${urls.repoHtmlUrl}/raw/${ref}/${path}` : null,
    _links: { self: url, git: gitUrl, html: htmlUrl }
  }
}
