import type { CommitObject, ObjectType, RefRecord, TreeEntry } from './git-store.js'
import type { RouteContext } from './router.js'

/** URLs a handler needs to render response bodies. */
export type UrlContext = Pick<RouteContext, 'repoApiUrl' | 'repoHtmlUrl'>

/** An opaque GraphQL node id; stable for the same kind and key, like GitHub's. */
export function nodeId(kind: string, key: string | number): string {
  return Buffer.from(`${kind}:${key}`).toString('base64').replace(/=+$/, '')
}

/** The API URL of a git object. */
export function objectUrl(urls: UrlContext, type: ObjectType, sha: string): string {
  const collection = { blob: 'blobs', tree: 'trees', commit: 'commits', tag: 'tags' }[type]
  return `${urls.repoApiUrl}/git/${collection}/${sha}`
}

/** `GET /git/ref/{ref}` body. */
export function renderRef(urls: UrlContext, record: RefRecord): unknown {
  return {
    ref: record.ref,
    node_id: nodeId('Ref', record.ref),
    url: `${urls.repoApiUrl}/git/${record.ref}`,
    object: { sha: record.sha, type: record.type, url: objectUrl(urls, record.type, record.sha) }
  }
}

/** One entry of a tree body; submodules (commits) have no API URL, as on GitHub. */
export function renderTreeEntry(urls: UrlContext, entry: TreeEntry): unknown {
  return {
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.sha,
    ...(entry.size === undefined ? {} : { size: entry.size }),
    ...(entry.type === 'commit' ? {} : { url: objectUrl(urls, entry.type, entry.sha) })
  }
}

/** `GET /git/trees/{sha}` body. */
export function renderTree(urls: UrlContext, sha: string, entries: readonly TreeEntry[], truncated = false): unknown {
  return {
    sha,
    url: objectUrl(urls, 'tree', sha),
    tree: entries.map((entry) => renderTreeEntry(urls, entry)),
    truncated
  }
}

/** `GET /git/commits/{sha}` body. The fake never signs, so verification says `unsigned`. */
export function renderCommit(urls: UrlContext, commit: CommitObject): unknown {
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: objectUrl(urls, 'commit', commit.sha),
    html_url: `${urls.repoHtmlUrl}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree, url: objectUrl(urls, 'tree', commit.tree) },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: objectUrl(urls, 'commit', sha),
      html_url: `${urls.repoHtmlUrl}/commit/${sha}`
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  }
}

/** Base64 the way GitHub returns blob and file content: a newline after every 60 characters. */
export function wrappedBase64(bytes: Uint8Array): string {
  const encoded = Buffer.from(bytes).toString('base64')
  return encoded.replace(/.{1,60}/g, '$&\n')
}
