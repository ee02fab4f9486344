import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FaultInjector } from './faults.js'
import { gitRoutes } from './git-routes.js'
import { answerGraphql } from './graphql.js'
import { GitStore, type FileChanges } from './git-store.js'
import { issueRoutes } from './issue-routes.js'
import { IssueStore, type FakeIssue, type FakeLabel } from './issue-store.js'
import { repoRoutes } from './repo-routes.js'
import { startServer, stopServer, type Permissions, type RequestLogEntry } from './server.js'

export { Messages } from './errors.js'
export { secondaryRateLimit, SECONDARY_RATE_LIMIT_MESSAGE, type Fault, type FaultSpec } from './faults.js'
export type { FileChanges } from './git-store.js'
export type { FakeComment, FakeIssue, FakeLabel } from './issue-store.js'
export { MAX_BODY_LENGTH } from './issue-routes.js'
export {
  GITHUB_OIDC_ISSUER,
  startFakeOidcIssuer,
  type FakeOidcIssuer,
  type FakeOidcIssuerOptions,
  type OidcTokenRequest
} from './oidc-issuer.js'
export type { Permissions, RequestLogEntry } from './server.js'

/** How to set up the fake. Every field is optional. */
export interface FakeGitHubOptions {
  /** Default `contoso`. Matched case-insensitively, as on GitHub. */
  owner?: string
  /** Default `audit`. */
  repo?: string
  /** The only token the fake accepts (`token X` or `Bearer X`). Default `ghs_fake-github-token`. */
  token?: string
  /** A repository without commits: the Git Data API answers 409 until a ref exists. */
  empty?: boolean
  /** Default `main`. Unless `empty`, it starts with one commit holding README.md. */
  defaultBranch?: string
  /** Token permissions; default `contents: write`, `issues: write`. */
  permissions?: Partial<Permissions>
  /** Serve under a prefix, e.g. `/api/v3` as GitHub Enterprise Server does. Default none. */
  pathPrefix?: string
  /** Port on 127.0.0.1; default 0, one the OS assigns (tests run side by side). */
  port?: number
  /** Clock for commit dates and issue timestamps. Default the real clock. */
  now?: () => Date
  /** GraphQL: bytes of a blob's `text` before it is cut short (`isTruncated`). Default 512 KiB. */
  blobTextLimit?: number
  /**
   * Entries a recursive tree listing returns before it is cut short (`truncated: true`).
   * GitHub documents 100,000 entries (or 7 MB), the default.
   */
  treeEntryLimit?: number
}

/** A running fake GitHub REST API for one repository, backed by a real bare git repository. */
export interface FakeGitHub {
  /** API base URL to hand to Octokit (`baseUrl`) or to the action (`GITHUB_API_URL`). */
  readonly url: string
  /** Web base URL, the prefix of every `html_url`. */
  readonly htmlUrl: string
  readonly owner: string
  readonly repo: string
  readonly token: string
  readonly defaultBranch: string
  /** Path of the bare repository. */
  readonly repoPath: string
  /** Every request received, in arrival order. */
  readonly requests: RequestLogEntry[]
  /** Issues with their comments, in creation order. */
  readonly issues: readonly FakeIssue[]
  readonly labels: readonly FakeLabel[]
  /** Inject failures (502, secondary rate limits...) ahead of the API. */
  readonly faults: FaultInjector
  /** Exceptions handlers did not expect (answered with 500). A healthy test leaves this empty. */
  readonly internalErrors: unknown[]
  /** Runs git in the bare repository; returns stdout without its final newline. */
  git(args: readonly string[]): Promise<string>
  /** The bytes of `path` at a branch, tag or commit, or `undefined` when absent. */
  readFile(rev: string, path: string): Promise<Buffer | undefined>
  /** Every file at a branch, tag or commit, path → bytes (empty when the revision does not exist). */
  readAllFiles(rev: string): Promise<Map<string, Buffer>>
  /**
   * Commits `files` (`null` deletes) on top of `branch`, creating it as an orphan when missing,
   * as a push from another clone would. Returns the commit id.
   */
  commitFiles(branch: string, files: FileChanges, message?: string): Promise<string>
  /**
   * Makes the next `count` updates of `refs/heads/<branch>` (REST `PATCH /git/refs` or GraphQL `updateRefs`) collide: just before each one, a
   * foreign commit (adding `files`, or with an unchanged tree) lands on the branch, so a
   * non-forced update is no longer a fast forward. Returns the live list of foreign commit ids.
   */
  raceNextRefUpdates(count: number, branch: string, files?: FileChanges): readonly string[]
  /**
   * Just before the next guarded update of `branch`, resets it to its tip's first parent (an
   * erasure pushed from elsewhere). Returns the live list of commits it was reset to.
   */
  rewindNextRefUpdate(branch: string): readonly string[]
  /** Stops the server and deletes the repository. Safe to call twice. */
  close(): Promise<void>
}

/** Starts a fake GitHub on 127.0.0.1, on an OS-assigned port unless `port` is given. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const owner = options.owner ?? 'contoso'
  const repo = options.repo ?? 'audit'
  const token = options.token ?? 'ghs_fake-github-token'
  const defaultBranch = options.defaultBranch ?? 'main'
  const permissions: Permissions = { contents: 'write', issues: 'write', ...options.permissions }
  const pathPrefix = (options.pathPrefix ?? '').replace(/\/+$/, '')
  const clock = options.now ?? (() => new Date())

  // realpath: on macOS the temp dir is a symlink, and git reports resolved paths.
  const rootDir = await realpath(await mkdtemp(join(tmpdir(), 'fake-github-')))
  try {
    const store = await GitStore.create({ rootDir, repo, defaultBranch, empty: options.empty ?? false, clock })
    const issueStore = new IssueStore(clock)
    const faults = new FaultInjector()
    const requests: RequestLogEntry[] = []
    const internalErrors: unknown[] = []
    const { server, origin } = await startServer({
      owner,
      repo,
      token,
      permissions,
      pathPrefix,
      faults,
      requests,
      internalErrors,
      isEmpty: () => store.isEmpty(),
      graphql: (body) =>
        answerGraphql(body, {
          owner,
          repo,
          store,
          blobTextLimit: options.blobTextLimit ?? 512 * 1024,
          canWrite: permissions.contents === 'write'
        }),
      port: options.port ?? 0,
      routes: [
        ...repoRoutes(store, { owner, repo, defaultBranch, permissions }),
        ...gitRoutes(store, { treeEntryLimit: options.treeEntryLimit ?? 100_000 }),
        ...issueRoutes(issueStore)
      ]
    })

    let closed: Promise<void> | undefined
    return {
      url: `${origin}${pathPrefix}`,
      htmlUrl: origin,
      owner,
      repo,
      token,
      defaultBranch,
      repoPath: store.repoPath,
      requests,
      issues: issueStore.issues,
      labels: issueStore.labels,
      faults,
      internalErrors,
      git: (args) => store.git.text(args),
      readFile: async (rev, path) => {
        const commit = await store.resolveCommit(rev)
        const found = commit === null ? null : await store.objectAtPath(commit, path)
        return found === null ? undefined : ((await store.readBlob(found.sha)) ?? undefined)
      },
      readAllFiles: (rev) => store.readAllFiles(rev),
      commitFiles: (branch, files, message = 'Update from another clone') =>
        store.commitFiles(branch, files, {
          message,
          author: { name: 'Another Clone', email: 'another-clone@example.com' }
        }),
      raceNextRefUpdates: (count, branch, files) => store.raceNextRefUpdates(count, branch, files),
      rewindNextRefUpdate: (branch) => store.rewindNextRefUpdate(branch),
      close: () => {
        closed ??= stopServer(server).finally(() => rm(rootDir, { recursive: true, force: true }))
        return closed
      }
    }
  } catch (error) {
    await rm(rootDir, { recursive: true, force: true })
    throw error
  }
}
