import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { GitCli } from './git-cli.js'
import { Mutex } from './mutex.js'
import { toIsoSeconds } from './time.js'

/** The SHA git uses for "no object": as the old value of `update-ref`, it means "must not exist". */
export const ZERO_SHA = '0000000000000000000000000000000000000000'

/** Modes the Git Data API accepts for tree entries, with the object type each implies. */
export const TREE_MODES = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit'
} as const satisfies Record<string, ObjectType>

/** A mode accepted in `POST /git/trees`. */
export type TreeMode = keyof typeof TREE_MODES

/** The four git object types. */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag'

/** Type and size of a stored object. */
export interface ObjectInfo {
  type: ObjectType
  size: number
}

/** One entry of a tree listing (`git ls-tree -l`). */
export interface TreeEntry {
  path: string
  mode: string
  type: ObjectType
  sha: string
  /** Blob size in bytes; absent for trees and submodules. */
  size?: number
}

/** One change to apply on top of a base tree: set `path` to an object, or delete it (`sha: null`). */
export interface TreeChange {
  path: string
  mode: TreeMode
  sha: string | null
}

/** Name, email and time of an author or committer. */
export interface Signature {
  name: string
  email: string
  /** ISO 8601 in UTC, e.g. `2026-11-20T06:00:00Z`. */
  date: string
}

/** A parsed commit object. */
export interface CommitObject {
  sha: string
  tree: string
  parents: string[]
  author: Signature
  committer: Signature
  message: string
}

/** A reference and the object it points at. */
export interface RefRecord {
  /** Full name, `refs/heads/main`. */
  ref: string
  sha: string
  type: ObjectType
}

/** Outcome of a guarded ref update. */
export type RefUpdateResult = 'updated' | 'missing' | 'not-fast-forward'

/** File contents to commit, by path; `null` deletes the path. */
export type FileChanges = Record<string, string | Uint8Array | null>

/** An author or committer as clients send it: the date is optional. */
export type Author = Partial<Signature> & Pick<Signature, 'name' | 'email'>

/** Options of {@link GitStore.commitFiles}. */
export interface CommitFilesOptions {
  message: string
  author?: Omit<Signature, 'date'>
  /** Called under the ref lock with the branch head (`null` when missing); throw to abort. */
  precondition?: (head: string | null) => Promise<void>
}

/** A pending simulated concurrent writer, see {@link GitStore.raceNextRefUpdates}. */
interface PendingRace {
  ref: string
  remaining: number
  /** 'commit' lands a foreign commit; 'rewind' resets the branch to its tip's first parent (an erasure). */
  kind: 'commit' | 'rewind'
  files: FileChanges
  commits: string[]
}

/** One update of a guarded ref transaction, as GraphQL's `RefUpdate` names it. */
export interface GuardedRefUpdate {
  ref: string
  /** The value the ref must have before the update (ZERO_SHA: it must not exist). */
  beforeOid: string
  afterOid: string
  force: boolean
}

/** Author and committer of commits the fake writes on its own (seed, races, contents API). */
export const FAKE_BOT: Omit<Signature, 'date'> = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
}

const CONCURRENT_WRITER: Omit<Signature, 'date'> = { name: 'Concurrent Writer', email: 'concurrent-writer@example.com' }

const SHA_PATTERN = /^[0-9a-f]{40}$/

/** True for a full lowercase hex object id; anything else could be read by git as a revision expression. */
export function isSha(value: unknown): value is string {
  return typeof value === 'string' && SHA_PATTERN.test(value)
}

/**
 * A bare git repository and every git operation the fake GitHub needs.
 *
 * Objects are written with the git CLI, so what the API returns is exactly what `git` sees.
 * Writes to objects need no locking (git writes them atomically by content address); ref
 * changes go through one mutex plus git's compare-and-swap.
 */
export class GitStore {
  private readonly mutex = new Mutex()
  private readonly races: PendingRace[] = []
  private scratchCounter = 0

  private constructor(
    readonly git: GitCli,
    readonly repoPath: string,
    private readonly scratchDir: string,
    private readonly clock: () => Date
  ) {}

  /**
   * Creates a bare repository under `rootDir`. Unless `empty`, it starts with one commit on
   * `defaultBranch` holding a README.md, as a repository created with "Add a README" does.
   */
  static async create(options: {
    rootDir: string
    repo: string
    defaultBranch: string
    empty: boolean
    clock: () => Date
  }): Promise<GitStore> {
    const repoPath = join(options.rootDir, `${options.repo}.git`)
    const scratchDir = join(options.rootDir, 'scratch')
    await mkdir(repoPath, { recursive: true })
    await mkdir(scratchDir, { recursive: true })
    const git = new GitCli(repoPath, options.rootDir, FAKE_BOT)
    await git.run(['init', '--quiet', '--bare', `--initial-branch=${options.defaultBranch}`])
    // A background auto-gc could repack while a test inspects the repository.
    await git.run(['config', 'gc.auto', '0'])
    const store = new GitStore(git, repoPath, scratchDir, options.clock)
    if (!options.empty) {
      await store.commitFiles(
        options.defaultBranch,
        { 'README.md': `# ${options.repo}\n` },
        { message: 'Initial commit' }
      )
    }
    return store
  }

  /** A repository without any ref is what GitHub calls empty (409 on the Git Data API). */
  async isEmpty(): Promise<boolean> {
    return (await this.listRefs()).length === 0
  }

  /** Type and size of each id; `null` for ids that are malformed or not in the repository. */
  async describeObjects(ids: readonly string[]): Promise<Map<string, ObjectInfo | null>> {
    const result = new Map<string, ObjectInfo | null>()
    const wellFormed = [...new Set(ids.filter(isSha))]
    for (const id of ids) result.set(id, null)
    if (wellFormed.length === 0) return result
    const out = await this.git.text(['cat-file', '--batch-check'], { input: wellFormed.join('\n') + '\n' })
    for (const line of out.split('\n')) {
      const [sha, type, size] = line.split(' ')
      if (sha !== undefined && type !== 'missing' && size !== undefined) {
        result.set(sha, { type: type as ObjectType, size: Number(size) })
      }
    }
    return result
  }

  /** Type and size of one object, or `null` when it does not exist. */
  async describeObject(id: string): Promise<ObjectInfo | null> {
    return (await this.describeObjects([id])).get(id) ?? null
  }

  /** Stores bytes as a blob exactly as given (no filters, no newline conversion). */
  async writeBlob(content: Uint8Array | string): Promise<string> {
    return this.git.text(['hash-object', '-w', '--no-filters', '--stdin'], { input: Buffer.from(content) })
  }

  /** The bytes of a blob, or `null` when `sha` is not a blob. */
  async readBlob(sha: string): Promise<Buffer | null> {
    if ((await this.describeObject(sha))?.type !== 'blob') return null
    return (await this.git.run(['cat-file', 'blob', sha])).stdout
  }

  /** Blobs by id, read with one git process however many (ids that are not blobs are left out). */
  async readBlobs(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>()
    const wellFormed = [...new Set(ids.filter(isSha))]
    if (wellFormed.length === 0) return blobs
    const { stdout } = await this.git.run(['cat-file', '--batch'], {
      input: wellFormed.map((id) => `${id}\n`).join('')
    })
    let offset = 0
    while (offset < stdout.length) {
      const headerEnd = stdout.indexOf(0x0a, offset)
      const [id = '', type, size] = stdout.subarray(offset, headerEnd).toString('latin1').split(' ')
      if (type === 'missing' || size === undefined) {
        offset = headerEnd + 1
        continue
      }
      if (type === 'blob') blobs.set(id, Buffer.from(stdout.subarray(headerEnd + 1, headerEnd + 1 + Number(size))))
      offset = headerEnd + 1 + Number(size) + 1
    }
    return blobs
  }

  /**
   * Every file of a commit's tree, path → bytes, read with two git processes (ls-tree and one
   * `cat-file --batch`) however many files there are: tests read whole branches back often.
   */
  async readAllFiles(rev: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>()
    const commit = await this.resolveCommit(rev)
    if (commit === null) return files
    const blobs = (await this.readTree(commit, true)).filter((entry) => entry.type === 'blob')
    if (blobs.length === 0) return files
    const { stdout } = await this.git.run(['cat-file', '--batch'], {
      input: blobs.map((entry) => `${entry.sha}\n`).join('')
    })
    let offset = 0
    for (const entry of blobs) {
      const headerEnd = stdout.indexOf(0x0a, offset)
      const size = Number(stdout.subarray(offset, headerEnd).toString('latin1').split(' ')[2])
      files.set(entry.path, Buffer.from(stdout.subarray(headerEnd + 1, headerEnd + 1 + size)))
      offset = headerEnd + 1 + size + 1
    }
    return files
  }

  /** The entries of a tree; with `recursive`, every subtree and blob below it (paths in full). */
  async readTree(sha: string, recursive = false): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), sha]
    const out = (await this.git.run(args)).stdout.toString('utf8')
    return out
      .split('\0')
      .filter((record) => record !== '')
      .map(parseTreeRecord)
  }

  /**
   * Writes the tree that results from applying `changes`, in order, on top of `baseTree`
   * (or on nothing), and returns its id. Callers validate ids and modes first.
   *
   * The tree is assembled as a flat path → entry map and written through a throwaway index
   * (`update-index --index-info`, then `write-tree`), so intermediate directories appear and
   * disappear exactly as git decides, in two git calls whatever the depth.
   */
  async buildTree(baseTree: string | null, changes: readonly TreeChange[]): Promise<string> {
    const files = new Map<string, { mode: string; sha: string }>()
    if (baseTree !== null) {
      for (const entry of await this.readTree(baseTree, true)) {
        if (entry.type !== 'tree') files.set(entry.path, { mode: entry.mode, sha: entry.sha })
      }
    }
    for (const change of changes) {
      removePath(files, change.path)
      if (change.sha === null) continue
      // A file where a directory is about to go is replaced, as `git add` would.
      for (const ancestor of ancestorsOf(change.path)) files.delete(ancestor)
      if (TREE_MODES[change.mode] === 'tree') {
        for (const entry of await this.readTree(change.sha, true)) {
          if (entry.type !== 'tree') files.set(`${change.path}/${entry.path}`, { mode: entry.mode, sha: entry.sha })
        }
      } else {
        files.set(change.path, { mode: change.mode, sha: change.sha })
      }
    }
    const indexFile = join(this.scratchDir, `index-${++this.scratchCounter}-${randomUUID()}`)
    try {
      const env = { GIT_INDEX_FILE: indexFile }
      const records = [...files].map(([path, { mode, sha }]) => `${mode} ${sha}\t${path}\0`).join('')
      await this.git.run(['update-index', '-z', '--index-info'], { input: records, env })
      return await this.git.text(['write-tree'], { env })
    } finally {
      await rm(indexFile, { force: true })
    }
  }

  /** Writes a commit object (`git commit-tree`); missing signatures default to the bot at the store's clock. */
  async writeCommit(options: {
    tree: string
    parents: readonly string[]
    message: string
    author?: Author
    committer?: Author
  }): Promise<string> {
    const now = this.clock()
    const author: Author = options.author ?? FAKE_BOT
    // GitHub: "If the committer is omitted, the author will be used."
    const committer = options.committer ?? author
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: toGitDate(author.date === undefined ? now : new Date(author.date)),
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: toGitDate(committer.date === undefined ? now : new Date(committer.date))
    }
    const args = ['commit-tree', options.tree, ...options.parents.flatMap((parent) => ['-p', parent])]
    // The message goes through stdin so it is stored byte for byte (commit-tree -m would add a newline).
    return this.git.text(args, { input: options.message, env })
  }

  /** A parsed commit, or `null` when `sha` is not a commit. */
  async readCommit(sha: string): Promise<CommitObject | null> {
    if ((await this.describeObject(sha))?.type !== 'commit') return null
    const raw = (await this.git.run(['cat-file', 'commit', sha])).stdout.toString('utf8')
    return parseCommit(sha, raw)
  }

  /** Resolves a branch, tag or commit id to a commit id, or `null`. */
  async resolveCommit(rev: string): Promise<string | null> {
    if (rev.startsWith('-')) return null
    const candidates = isSha(rev) ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`]
    for (const candidate of candidates) {
      const { code, stdout } = await this.git.run(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], {
        allowFailure: true
      })
      if (code === 0) return stdout.toString('utf8').trim()
    }
    return null
  }

  /** The object at `path` in a commit's tree, or `null`. */
  async objectAtPath(commit: string, path: string): Promise<{ sha: string; info: ObjectInfo } | null> {
    const { code, stdout } = await this.git.run(['rev-parse', '--verify', '--quiet', `${commit}:${path}`], {
      allowFailure: true
    })
    if (code !== 0) return null
    const sha = stdout.toString('utf8').trim()
    const info = await this.describeObject(sha)
    return info === null ? null : { sha, info }
  }

  /** Every ref in the repository, sorted by name. */
  async listRefs(): Promise<RefRecord[]> {
    const out = await this.git.text(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)'])
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [sha = '', type = '', ...name] = line.split(' ')
        return { sha, type: type as ObjectType, ref: name.join(' ') }
      })
  }

  /** One ref by its full name, or `null`. */
  async getRef(ref: string): Promise<RefRecord | null> {
    return (await this.listRefs()).find((record) => record.ref === ref) ?? null
  }

  /** Whether git accepts `ref` as a reference name. */
  async isValidRefName(ref: string): Promise<boolean> {
    return !ref.startsWith('-') && (await this.git.succeeds(['check-ref-format', ref]))
  }

  /** Creates `ref` at `sha`; `false` when it already exists (checked by git itself, atomically). */
  async createRef(ref: string, sha: string): Promise<boolean> {
    return this.mutex.run(() => this.git.succeeds(['update-ref', ref, sha, ZERO_SHA]))
  }

  /**
   * Moves `ref` to `sha`. Without `force`, only a fast forward (the current target is an
   * ancestor of `sha`) is allowed. Check and write happen under the mutex, and the write is
   * a compare-and-swap against the value that was checked.
   */
  async updateRef(ref: string, sha: string, force: boolean): Promise<RefUpdateResult> {
    return this.mutex.run(async () => {
      await this.runPendingRace(ref)
      const current = await this.getRef(ref)
      if (current === null) return 'missing'
      if (!force && !(await this.git.succeeds(['merge-base', '--is-ancestor', current.sha, sha]))) {
        return 'not-fast-forward'
      }
      // Only someone bypassing the API (a test running git directly) can make this CAS fail.
      const swapped = await this.git.succeeds(['update-ref', ref, sha, current.sha])
      return swapped ? 'updated' : 'not-fast-forward'
    })
  }

  /** Deletes `ref`; `false` when it does not exist. */
  async deleteRef(ref: string): Promise<boolean> {
    return this.mutex.run(async () => {
      const current = await this.getRef(ref)
      if (current === null) return false
      return this.git.succeeds(['update-ref', '-d', ref, current.sha])
    })
  }

  /**
   * Commits `files` on top of `branch` (creating it as an orphan if missing) and moves the
   * branch, as a `git push` from elsewhere would. Returns the new commit id.
   */
  async commitFiles(branch: string, files: FileChanges, options: CommitFilesOptions): Promise<string> {
    return this.mutex.run(() => this.commitFilesLocked(`refs/heads/${branch}`, files, options))
  }

  /**
   * Arms a simulated concurrent writer: before each of the next `count` guarded updates of
   * `refs/heads/<branch>`, a foreign commit (adding `files`, or changing nothing) lands on the
   * branch first, so the caller's commit is no longer a fast forward. Returns the live list of
   * foreign commit ids.
   */
  raceNextRefUpdates(count: number, branch: string, files: FileChanges = {}): readonly string[] {
    const race: PendingRace = { ref: `refs/heads/${branch}`, remaining: count, kind: 'commit', files, commits: [] }
    this.races.push(race)
    return race.commits
  }

  /**
   * Arms an erasure: just before the next guarded update of `refs/heads/<branch>`, the branch
   * is reset to its tip's first parent, as `git reset --hard HEAD~1 && git push --force` from
   * elsewhere would. A writer that read the old tip now holds a commit that is still a fast
   * forward of the rewound branch. Returns the live list of commits the branch was reset to.
   */
  rewindNextRefUpdate(branch: string): readonly string[] {
    const race: PendingRace = { ref: `refs/heads/${branch}`, remaining: 1, kind: 'rewind', files: {}, commits: [] }
    this.races.push(race)
    return race.commits
  }

  /**
   * Applies `updates` all or none, as GraphQL's `updateRefs` does: each ref must point at its
   * `beforeOid`, and without `force` its new value must be a fast forward. Returns the first
   * update that was refused, with why, or undefined when all were applied.
   */
  async updateRefsGuarded(updates: readonly GuardedRefUpdate[]): Promise<{ ref: string; reason: string } | undefined> {
    return this.mutex.run(async () => {
      for (const update of updates) await this.runPendingRace(update.ref)
      for (const update of updates) {
        const current = (await this.getRef(update.ref))?.sha ?? ZERO_SHA
        if (current !== update.beforeOid)
          return { ref: update.ref, reason: `expected ${update.beforeOid}, found ${current}` }
        if (update.afterOid === ZERO_SHA || current === ZERO_SHA || update.force) continue
        if (!(await this.git.succeeds(['merge-base', '--is-ancestor', current, update.afterOid])))
          return { ref: update.ref, reason: 'not a fast forward' }
      }
      for (const update of updates) {
        const swapped =
          update.afterOid === ZERO_SHA
            ? await this.git.succeeds(['update-ref', '-d', update.ref, update.beforeOid])
            : await this.git.succeeds(['update-ref', update.ref, update.afterOid, update.beforeOid])
        if (!swapped) throw new Error(`${update.ref} moved outside the fake's lock during a guarded update`)
      }
      return undefined
    })
  }

  private async runPendingRace(ref: string): Promise<void> {
    const race = this.races.find((candidate) => candidate.ref === ref && candidate.remaining > 0)
    if (race === undefined || (await this.getRef(ref)) === null) return
    race.remaining -= 1
    if (race.kind === 'rewind') {
      const head = (await this.getRef(ref))!.sha
      const parent = (await this.readCommit(head))?.parents[0]
      if (parent === undefined) throw new Error(`${ref} has no parent to rewind to`)
      await this.git.run(['update-ref', ref, parent, head])
      race.commits.push(parent)
      return
    }
    const message = `Concurrent update ${race.commits.length + 1}`
    race.commits.push(await this.commitFilesLocked(ref, race.files, { message, author: CONCURRENT_WRITER }))
  }

  private async commitFilesLocked(ref: string, files: FileChanges, options: CommitFilesOptions): Promise<string> {
    const head = await this.getRef(ref)
    await options.precondition?.(head?.sha ?? null)
    const baseTree = head === null ? null : ((await this.readCommit(head.sha))?.tree ?? null)
    const changes: TreeChange[] = []
    for (const [path, content] of Object.entries(files)) {
      changes.push({ path, mode: '100644', sha: content === null ? null : await this.writeBlob(content) })
    }
    const tree = await this.buildTree(baseTree, changes)
    const commit = await this.writeCommit({
      tree,
      parents: head === null ? [] : [head.sha],
      message: options.message,
      ...(options.author ? { author: options.author } : {})
    })
    await this.git.run(['update-ref', ref, commit, head?.sha ?? ZERO_SHA])
    return commit
  }
}

function parseTreeRecord(record: string): TreeEntry {
  const match = /^(\d+) (\w+) ([0-9a-f]+) +(\S+)\t(.*)$/s.exec(record)
  if (match === null) throw new Error(`Unexpected ls-tree output: ${JSON.stringify(record)}`)
  const [, mode = '', type = '', sha = '', size = '-', path = ''] = match
  return { path, mode, type: type as ObjectType, sha, ...(size === '-' ? {} : { size: Number(size) }) }
}

function parseCommit(sha: string, raw: string): CommitObject {
  const split = raw.indexOf('\n\n')
  const header = split === -1 ? raw : raw.slice(0, split)
  const message = split === -1 ? '' : raw.slice(split + 2)
  const parents: string[] = []
  let tree = ''
  let author: Signature | undefined
  let committer: Signature | undefined
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ')
    const key = line.slice(0, space)
    const value = line.slice(space + 1)
    if (key === 'tree') tree = value
    else if (key === 'parent') parents.push(value)
    else if (key === 'author') author = parseIdent(value)
    else if (key === 'committer') committer = parseIdent(value)
  }
  if (author === undefined || committer === undefined) throw new Error(`Commit ${sha} has no author or committer`)
  return { sha, tree, parents, author, committer, message }
}

function parseIdent(value: string): Signature {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(value)
  if (match === null) throw new Error(`Unexpected ident line: ${value}`)
  const [, name = '', email = '', seconds = '0'] = match
  return { name, email, date: toIsoSeconds(new Date(Number(seconds) * 1000)) }
}

/** Git's internal date format; the `@` keeps git from guessing what the number means. */
function toGitDate(date: Date): string {
  return `@${Math.floor(date.getTime() / 1000)} +0000`
}

function removePath(files: Map<string, unknown>, path: string): void {
  files.delete(path)
  const prefix = `${path}/`
  for (const key of files.keys()) if (key.startsWith(prefix)) files.delete(key)
}

function ancestorsOf(path: string): string[] {
  const parts = path.split('/')
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'))
}
