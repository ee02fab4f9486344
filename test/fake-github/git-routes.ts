import { ApiError, invalidRequest, Messages, notFound, unprocessable } from './errors.js'
import { isSha, TREE_MODES, type Author, type GitStore, type TreeChange, type TreeMode } from './git-store.js'
import { nodeId, objectUrl, renderCommit, renderRef, renderTree, wrappedBase64 } from './render.js'
import type { Route, RouteContext } from './router.js'
import { optionalBoolean, optionalString, optionalStringArray, requireObject, requireString } from './validate.js'

const DOCS = {
  getRef: 'https://docs.github.com/rest/git/refs#get-a-reference',
  matchingRefs: 'https://docs.github.com/rest/git/refs#list-matching-references',
  createRef: 'https://docs.github.com/rest/git/refs#create-a-reference',
  updateRef: 'https://docs.github.com/rest/git/refs#update-a-reference',
  deleteRef: 'https://docs.github.com/rest/git/refs#delete-a-reference',
  createBlob: 'https://docs.github.com/rest/git/blobs#create-a-blob',
  getBlob: 'https://docs.github.com/rest/git/blobs#get-a-blob',
  createTree: 'https://docs.github.com/rest/git/trees#create-a-tree',
  getTree: 'https://docs.github.com/rest/git/trees#get-a-tree',
  createCommit: 'https://docs.github.com/rest/git/commits#create-a-commit',
  getCommit: 'https://docs.github.com/rest/git/commits#get-a-commit-object'
} as const

/** The Git Database API (refs, blobs, trees, commits) on top of a {@link GitStore}. */
export function gitRoutes(store: GitStore, limits: { treeEntryLimit: number }): Route[] {
  const route = (method: Route['method'], pattern: string, docs: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    docs,
    scope: 'contents',
    gitDatabase: true,
    handler
  })

  return [
    route('GET', '/git/ref/*ref', DOCS.getRef, async (context) => {
      const record = await store.getRef(`refs/${context.params.ref}`)
      if (record === null) throw notFound()
      return { status: 200, body: renderRef(context, record) }
    }),

    route('GET', '/git/matching-refs/*ref', DOCS.matchingRefs, async (context) => {
      // GitHub matches by string prefix: `heads/feat` also returns `heads/feature`.
      const prefix = `refs/${context.params.ref}`
      const records = (await store.listRefs()).filter((record) => record.ref.startsWith(prefix))
      return { status: 200, body: records.map((record) => renderRef(context, record)) }
    }),

    route('POST', '/git/refs', DOCS.createRef, async (context) => {
      const body = requireObject(context.body)
      const ref = requireString(body, 'ref')
      const sha = requireString(body, 'sha')
      if (!ref.startsWith('refs/') || ref.split('/').length < 3) throw unprocessable(Messages.referenceNameInvalid)
      if (!(await store.isValidRefName(ref))) throw unprocessable(`${ref} is not a valid ref name.`)
      if ((await store.describeObject(sha.toLowerCase())) === null) throw unprocessable(Messages.objectMissing)
      if (!(await store.createRef(ref, sha.toLowerCase()))) throw unprocessable(Messages.referenceExists)
      const record = await store.getRef(ref)
      if (record === null) throw new Error(`${ref} vanished right after it was created`)
      return {
        status: 201,
        body: renderRef(context, record),
        headers: { location: `${context.repoApiUrl}/git/${ref}` }
      }
    }),

    route('PATCH', '/git/refs/*ref', DOCS.updateRef, async (context) => {
      const body = requireObject(context.body)
      const sha = requireString(body, 'sha').toLowerCase()
      const force = optionalBoolean(body, 'force') ?? false
      const ref = `refs/${context.params.ref}`
      if ((await store.describeObject(sha)) === null) throw unprocessable(Messages.objectMissing)
      const result = await store.updateRef(ref, sha, force)
      if (result === 'missing') throw unprocessable(Messages.referenceMissing)
      if (result === 'not-fast-forward') throw unprocessable(Messages.notFastForward)
      const record = await store.getRef(ref)
      if (record === null) throw new Error(`${ref} vanished right after it was updated`)
      return { status: 200, body: renderRef(context, record) }
    }),

    route('DELETE', '/git/refs/*ref', DOCS.deleteRef, async (context) => {
      if (!(await store.deleteRef(`refs/${context.params.ref}`))) throw unprocessable(Messages.referenceMissing)
      return { status: 204 }
    }),

    route('POST', '/git/blobs', DOCS.createBlob, async (context) => {
      const body = requireObject(context.body)
      const content = requireString(body, 'content')
      const encoding = optionalString(body, 'encoding') ?? 'utf-8'
      if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64') {
        throw unprocessable(`encoding must be either 'utf-8' or 'base64'; got '${encoding}'`)
      }
      const bytes = encoding === 'base64' ? decodeBase64(content) : Buffer.from(content, 'utf8')
      const sha = await store.writeBlob(bytes)
      return { status: 201, body: { sha, url: objectUrl(context, 'blob', sha) } }
    }),

    route('GET', '/git/blobs/:sha', DOCS.getBlob, async (context) => {
      const sha = context.params.sha?.toLowerCase() ?? ''
      const bytes = await store.readBlob(sha)
      if (bytes === null) throw notFound()
      // The raw media type answers with the blob's bytes, as GitHub does (any of its spellings).
      if (/application\/vnd\.github(?:\.v3)?\.raw/i.test(context.accept)) {
        return {
          status: 200,
          raw: bytes,
          headers: {
            'content-type': 'application/vnd.github.raw',
            'content-length': String(bytes.length),
            'x-github-media-type': 'github.v3; param=raw'
          }
        }
      }
      return {
        status: 200,
        body: {
          sha,
          node_id: nodeId('Blob', sha),
          size: bytes.length,
          url: objectUrl(context, 'blob', sha),
          content: wrappedBase64(bytes),
          encoding: 'base64'
        }
      }
    }),

    route('POST', '/git/trees', DOCS.createTree, async (context) => {
      const body = requireObject(context.body)
      const baseTree = optionalString(body, 'base_tree')?.toLowerCase()
      if (baseTree !== undefined && (await store.describeObject(baseTree))?.type !== 'tree') {
        throw unprocessable(Messages.invalidBaseTree)
      }
      const changes = await parseTreeEntries(store, body.tree)
      const sha = await store.buildTree(baseTree ?? null, changes)
      return { status: 201, body: renderTree(context, sha, await store.readTree(sha)) }
    }),

    route('GET', '/git/trees/:sha', DOCS.getTree, async (context) => {
      const sha = await resolveTree(store, context.params.sha ?? '')
      if (sha === null) throw notFound()
      // GitHub: "Setting this parameter to any value returns the objects or subtrees".
      const recursive = context.query.has('recursive')
      const entries = await store.readTree(sha, recursive)
      // https://docs.github.com/rest/git/trees#get-a-tree: past the limit a recursive listing is cut short.
      const truncated = recursive && entries.length > limits.treeEntryLimit
      return {
        status: 200,
        body: renderTree(context, sha, truncated ? entries.slice(0, limits.treeEntryLimit) : entries, truncated)
      }
    }),

    route('POST', '/git/commits', DOCS.createCommit, async (context) => {
      const body = requireObject(context.body)
      const message = requireString(body, 'message')
      const tree = requireString(body, 'tree').toLowerCase()
      const parents = (optionalStringArray(body, 'parents') ?? []).map((parent) => parent.toLowerCase())
      const treeInfo = await store.describeObject(tree)
      if (treeInfo === null) throw unprocessable(Messages.treeMissing)
      if (treeInfo.type !== 'tree') throw unprocessable(Messages.treeNotATree)
      const parentInfo = await store.describeObjects(parents)
      if (parents.some((parent) => parentInfo.get(parent)?.type !== 'commit'))
        throw unprocessable(Messages.parentMissing)
      const author = parseSignature(body.author, 'author')
      const committer = parseSignature(body.committer, 'committer')
      const sha = await store.writeCommit({
        tree,
        parents,
        message,
        ...(author ? { author } : {}),
        ...(committer ? { committer } : {})
      })
      return {
        status: 201,
        body: await commitBody(store, context, sha),
        headers: { location: objectUrl(context, 'commit', sha) }
      }
    }),

    route('GET', '/git/commits/:sha', DOCS.getCommit, async (context) => {
      const commit = await store.readCommit(context.params.sha?.toLowerCase() ?? '')
      if (commit === null) throw notFound()
      return { status: 200, body: renderCommit(context, commit) }
    })
  ]
}

/** Renders a commit that is known to exist. */
export async function commitBody(store: GitStore, context: RouteContext, sha: string): Promise<unknown> {
  const commit = await store.readCommit(sha)
  if (commit === null) throw new Error(`Commit ${sha} vanished right after it was written`)
  return renderCommit(context, commit)
}

/**
 * Validates `tree[]` of `POST /git/trees` and turns it into store changes, writing blobs
 * for entries given by `content`. Every referenced object is checked in one git call.
 */
async function parseTreeEntries(store: GitStore, value: unknown): Promise<TreeChange[]> {
  if (!Array.isArray(value)) throw invalidRequest('"tree" wasn\'t supplied or is not an array.')
  const parsed = value.map((item, index) => {
    const entry = requireObject(item, `tree[${index}]`)
    const path = requireString(entry, 'path')
    const mode = requireString(entry, 'mode')
    const type = optionalString(entry, 'type')
    const content = optionalString(entry, 'content')
    const sha = entry.sha === null ? null : optionalString(entry, 'sha')?.toLowerCase()
    if (!isTreeMode(mode))
      throw invalidRequest(`tree[${index}].mode is "${mode}", not one of ${Object.keys(TREE_MODES).join(', ')}.`)
    if (type !== undefined && type !== TREE_MODES[mode]) throw unprocessable(Messages.invalidTreeInfo)
    if (!isWellFormedPath(path)) throw unprocessable(Messages.malformedPath)
    // GitHub: "Use either tree.sha or content to specify the contents of the entry."
    if ((sha !== undefined) === (content !== undefined)) throw unprocessable(Messages.invalidTreeInfo)
    if (content !== undefined && TREE_MODES[mode] !== 'blob') throw unprocessable(Messages.invalidTreeInfo)
    return { path, mode, sha, content }
  })

  const referenced = parsed.flatMap((entry) => (typeof entry.sha === 'string' ? [entry.sha] : []))
  const found = await store.describeObjects(referenced)
  const changes: TreeChange[] = []
  for (const entry of parsed) {
    const expected = TREE_MODES[entry.mode]
    if (typeof entry.sha === 'string' && expected !== 'commit' && found.get(entry.sha)?.type !== expected) {
      // Submodule entries point into other repositories, so only blobs and trees are checked.
      throw unprocessable(`tree.sha ${entry.sha} is not a valid ${expected}`)
    }
    const sha = entry.content !== undefined ? await store.writeBlob(entry.content) : (entry.sha ?? null)
    changes.push({ path: entry.path, mode: entry.mode, sha })
  }
  return changes
}

function isTreeMode(mode: string): mode is TreeMode {
  return Object.hasOwn(TREE_MODES, mode)
}

/** Git refuses empty, `.`, `..` and `.git` components; GitHub refuses them before git does. */
function isWellFormedPath(path: string): boolean {
  return path
    .split('/')
    .every(
      (part) => part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git' && !part.includes('\0')
    )
}

/** `GET /git/trees/{tree_sha}` accepts any tree-ish: a tree, a commit, or a branch or tag name. */
async function resolveTree(store: GitStore, treeish: string): Promise<string | null> {
  const id = treeish.toLowerCase()
  if (isSha(id)) {
    const info = await store.describeObject(id)
    if (info?.type === 'tree') return id
    if (info?.type === 'commit') return (await store.readCommit(id))?.tree ?? null
  }
  const commit = await store.resolveCommit(treeish)
  return commit === null ? null : ((await store.readCommit(commit))?.tree ?? null)
}

function parseSignature(value: unknown, key: string): Author | undefined {
  if (value === undefined || value === null) return undefined
  const signature = requireObject(value, `"${key}"`)
  const name = requireString(signature, 'name')
  const email = requireString(signature, 'email')
  const date = optionalString(signature, 'date')
  if (date !== undefined && Number.isNaN(Date.parse(date))) {
    throw invalidRequest(`For '${key}/date', "${date}" is not a valid date-time.`)
  }
  if (name.trim() === '' || email.trim() === '')
    throw new ApiError(422, `${key}.name and ${key}.email must not be empty`)
  return { name, email, ...(date === undefined ? {} : { date }) }
}

/** Node's base64 decoder skips garbage silently; GitHub refuses it, and so does the fake. */
function decodeBase64(content: string): Buffer {
  const compact = content.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw unprocessable('content is not valid Base64')
  }
  return Buffer.from(compact, 'base64')
}
