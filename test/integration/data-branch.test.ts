import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BranchFiles, FileContent } from '../../src/branch/branch-files.js'
import { commitFiles, gitBlobSha } from '../../src/commit/commit-files.js'
import { createGitHubClient } from '../../src/github/client.js'
import { createGitDatabase, type GitDatabase } from '../../src/github/git-database.js'
import { REF_UPDATE, secondaryRateLimit } from '../fake-github/faults.js'
import type { FakeGitHub, FakeGitHubOptions } from '../fake-github/index.js'
import { useFakeGitHub } from '../fake-github/test-client.js'

const startFake = useFakeGitHub()

async function setUp(
  options: FakeGitHubOptions = {},
  clientToken?: string
): Promise<{ fake: FakeGitHub; git: GitDatabase }> {
  const fake = await startFake(options)
  const octokit = createGitHubClient({ token: clientToken ?? fake.token, baseUrl: fake.url, pacingMs: 0 })
  return { fake, git: createGitDatabase(octokit, { owner: fake.owner, repo: fake.repo }) }
}

const files = (entries: Record<string, string>) => async () => ({
  files: new Map(Object.entries(entries)),
  message: 'test commit\n'
})

describe('commitFiles through the Git Data API (real git behind the fake)', () => {
  it('creates a missing branch as an orphan holding exactly the files', async () => {
    const { fake, git } = await setUp()
    const result = await commitFiles({
      git,
      branch: 'audit-data',
      build: files({ 'audit/a.csv': 'x\r\n', 'state/ledger.json': '{}\n' })
    })
    expect(result).toMatchObject({ status: 'committed', createdBranch: true, attempts: 1 })
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(result.status === 'committed' ? result.commitSha : '')
    expect(await fake.git(['rev-list', '--count', 'audit-data'])).toBe('1')
    expect((await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n')).toEqual([
      'audit/a.csv',
      'state/ledger.json'
    ])
    expect(await fake.git(['show', 'audit-data:audit/a.csv'])).toBe('x\r')
    expect(await fake.git(['log', '-1', '--format=%s', 'audit-data'])).toBe('test commit')
    expect(await fake.git(['merge-base', '--is-ancestor', 'main', 'audit-data']).catch(() => 'not an ancestor')).toBe(
      'not an ancestor'
    )
    await fake.git(['fsck', '--strict'])
  })

  it('builds on the tip, sends only changed files, and makes no commit when nothing changed', async () => {
    const { fake, git } = await setUp()
    await commitFiles({ git, branch: 'audit-data', build: files({ 'a.csv': '1\n', 'b.csv': '2\n' }) })
    const second = await commitFiles({
      git,
      branch: 'audit-data',
      build: files({ 'a.csv': '1\n', 'b.csv': '22\n', 'c.csv': '3\n' })
    })
    expect(second).toMatchObject({ status: 'committed', changedPaths: ['b.csv', 'c.csv'], createdBranch: false })
    const lastTree = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees')).at(-1)
    expect((lastTree?.body as { tree: { path: string }[] }).tree.map((entry) => entry.path)).toEqual(['b.csv', 'c.csv'])
    expect(await fake.git(['rev-list', '--count', 'audit-data'])).toBe('2')
    expect(await fake.git(['show', 'audit-data:b.csv'])).toBe('22')

    const head = await fake.git(['rev-parse', 'audit-data'])
    expect(await commitFiles({ git, branch: 'audit-data', build: files({ 'a.csv': '1\n' }) })).toEqual({
      status: 'unchanged',
      attempts: 1
    })
    expect(await commitFiles({ git, branch: 'audit-data', build: async () => undefined })).toEqual({
      status: 'unchanged',
      attempts: 1
    })
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(head)
  })

  it('makes no commit for files that only ride along, and takes them with a change that does', async () => {
    const { fake, git } = await setUp()
    const alongside = new Set(['README.md'])
    const build = (entries: Record<string, string>) => async () => ({
      files: new Map(Object.entries(entries)),
      message: 'test commit\n',
      alongside
    })
    await commitFiles({ git, branch: 'audit-data', build: build({ 'a.csv': '1\n', 'README.md': 'as of day 1\n' }) })
    const head = await fake.git(['rev-parse', 'audit-data'])
    expect(
      await commitFiles({ git, branch: 'audit-data', build: build({ 'a.csv': '1\n', 'README.md': 'as of day 2\n' }) })
    ).toEqual({ status: 'unchanged', attempts: 1 })
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(head)
    const changed = await commitFiles({
      git,
      branch: 'audit-data',
      build: build({ 'a.csv': '11\n', 'README.md': 'as of day 2\n' })
    })
    expect(changed).toMatchObject({ status: 'committed', changedPaths: ['README.md', 'a.csv'] })
    expect(await fake.git(['show', 'audit-data:README.md'])).toBe('as of day 2')
  })

  it('rebuilds on the new tip when another writer moves the branch, losing nobody', async () => {
    const { fake, git } = await setUp()
    await commitFiles({ git, branch: 'audit-data', build: files({ 'shared.csv': 'base\n' }) })
    const foreign = fake.raceNextRefUpdates(2, 'audit-data')
    const seen: string[] = []
    const build = async (tip: BranchFiles) => {
      const shared = (await tip.read('shared.csv'))?.toString('utf8') ?? ''
      seen.push(shared)
      return { files: new Map([['shared.csv', `${shared}mine\n`]]), message: 'mine\n' }
    }
    const result = await commitFiles({ git, branch: 'audit-data', build })
    expect(result).toMatchObject({ status: 'committed', attempts: 3 })
    expect(foreign).toHaveLength(2)
    for (const sha of foreign) await fake.git(['merge-base', '--is-ancestor', sha, 'audit-data'])
    expect(seen).toHaveLength(3)
    expect(await fake.git(['show', 'audit-data:shared.csv'])).toBe('base\nmine')
    expect(await fake.git(['rev-list', '--count', 'audit-data'])).toBe('4')
  })

  it('never brings erased commits back: an erasure between read and update makes the run rebuild on the rewound tip', async () => {
    const { fake, git } = await setUp()
    await commitFiles({ git, branch: 'audit-data', build: files({ 'kept.csv': 'kept\n' }) })
    const erased = (await commitFiles({ git, branch: 'audit-data', build: files({ 'erased.csv': 'personal data\n' }) }))
      .status
    expect(erased).toBe('committed')
    const erasedSha = await fake.git(['rev-parse', 'audit-data'])
    const rewoundTo = fake.rewindNextRefUpdate('audit-data')
    const seen: string[][] = []
    const result = await commitFiles({
      git,
      branch: 'audit-data',
      build: async (tip) => {
        seen.push([...tip.paths()].sort())
        return { files: new Map([['mine.csv', 'mine\n']]), message: 'mine\n' }
      }
    })
    // The first attempt's commit had the erased tip as parent: still a fast forward of the
    // rewound branch, which only a compare-and-swap refuses.
    expect(rewoundTo).toHaveLength(1)
    expect(result).toMatchObject({ status: 'committed', attempts: 2 })
    expect(seen).toEqual([['erased.csv', 'kept.csv'], ['kept.csv']])
    expect((await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n')).toEqual([
      'kept.csv',
      'mine.csv'
    ])
    const ancestor = await fake.git(['merge-base', '--is-ancestor', erasedSha, 'audit-data']).then(
      () => true,
      () => false
    )
    expect(ancestor).toBe(false)
    expect(await fake.git(['rev-list', '--count', 'audit-data'])).toBe('2')
  })

  it('says what to grant when the token may not move the branch, rather than retrying as if it had moved', async () => {
    const { fake, git } = await setUp({ permissions: { contents: 'read' } })
    const first = await fake.commitFiles('audit-data', { 'a.csv': 'a\n' })
    const second = await fake.commitFiles('audit-data', { 'b.csv': 'b\n' })
    await fake.git(['update-ref', 'refs/heads/audit-data', first])
    const error = await git.updateRef('audit-data', second, first).catch((failure: unknown) => failure as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/refused to update branch 'audit-data'.*403.*contents: write/)
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(first)
  })

  it('fails a call GitHub never answers within the deadline, naming the host, after retrying it', async () => {
    const fake = await startFake()
    const octokit = createGitHubClient({ token: fake.token, baseUrl: fake.url, pacingMs: 0, answerTimeoutMs: 200 })
    const git = createGitDatabase(octokit, { owner: fake.owner, repo: fake.repo })
    const stalled = fake.faults.add({ method: 'GET', path: /\/git\/ref\//, status: 200, stall: true, times: Infinity })
    const started = performance.now()
    const error = await git.getHead('audit-data').catch((failure: unknown) => failure as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Could not read branch 'audit-data' in contoso/audit: 500 GitHub at ${new URL(fake.url).host} did not answer GET /repos/contoso/audit/git/ref/heads/audit-data within 200 ms$`
      )
    )
    // Tried again as a 5xx is, then given up: the job is not held until its timeout.
    expect(stalled.fired).toBeGreaterThan(1)
    expect(performance.now() - started).toBeLessThan(30_000)
    stalled.remove()
    expect(await git.getHead('main')).toMatchObject({ commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) })
  })

  it('lists a branch GitHub cuts short in one listing folder by folder, every file once', async () => {
    const { fake, git } = await setUp({ treeEntryLimit: 5 })
    const written: Record<string, string> = { 'README.md': 'top\n' }
    for (const type of ['Audit.General', 'Audit.Exchange'])
      for (const day of ['2026-11-01', '2026-11-02', '2026-12-01'])
        written[`audit/${type}/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.csv`] = `${type} ${day}\n`
    await fake.commitFiles('audit-data', written)
    const head = await git.getHead('audit-data')
    const listed = await git.listFiles(head!.treeSha)
    expect([...listed.keys()].sort()).toEqual(Object.keys(written).sort())
    for (const [path, content] of Object.entries(written)) expect(listed.get(path)?.size, path).toBe(content.length)
    const truncatedListings = fake.requests.filter(
      (request) => request.path.includes('/git/trees/') && request.query.includes('recursive')
    )
    expect(truncatedListings.length).toBeGreaterThan(1)
  })

  it('takes a ref update GitHub answers without a result as not made, judged by where the branch points', async () => {
    const { fake, git } = await setUp()
    const first = await fake.commitFiles('audit-data', { 'a.csv': 'a\n' })
    const second = await fake.commitFiles('audit-data', { 'b.csv': 'b\n' })
    await fake.git(['update-ref', 'refs/heads/audit-data', first])
    // A body cut short reaches Octokit's graphql as no data.
    fake.faults.add({ ...REF_UPDATE, status: 200, body: { data: null } })
    const error = await git.updateRef('audit-data', second, first).catch((failure: unknown) => failure as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/update branch 'audit-data'.*without saying it was made/)
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(first)
    // Answered properly, it is made.
    expect(await git.updateRef('audit-data', second, first)).toBe('updated')
    expect(await fake.git(['rev-parse', 'audit-data'])).toBe(second)
  })

  it('joins a branch another writer created first', async () => {
    const { fake, git } = await setUp()
    const racingGit: GitDatabase = {
      ...git,
      async createRef(branch, sha) {
        await fake.commitFiles(branch, { 'theirs.csv': 'theirs\n' })
        return git.createRef(branch, sha)
      }
    }
    let builds = 0
    const result = await commitFiles({
      git: racingGit,
      branch: 'audit-data',
      build: async () => ({ files: new Map([['mine.csv', `mine ${++builds}\n`]]), message: 'mine\n' })
    })
    expect(result).toMatchObject({ status: 'committed', attempts: 2, createdBranch: false })
    expect((await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n')).toEqual([
      'mine.csv',
      'theirs.csv'
    ])
  })

  it('removes files the build sets to null, and ignores a removal of a file that is not there', async () => {
    const { fake, git } = await setUp()
    await commitFiles({ git, branch: 'audit-data', build: files({ 'day.csv': 'whole\n', 'other.csv': 'o\n' }) })
    const split = await commitFiles({
      git,
      branch: 'audit-data',
      build: async (tip) => ({
        files: new Map<string, string | null>([
          ...[...tip.paths()].filter((path) => path === 'day.csv').map((path): [string, null] => [path, null]),
          ['day.1.csv', 'part 1\n'],
          ['day.2.csv', 'part 2\n'],
          ['never-there.csv', null]
        ]),
        message: 'split\n'
      })
    })
    expect(split).toMatchObject({ status: 'committed', changedPaths: ['day.1.csv', 'day.2.csv', 'day.csv'] })
    expect((await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n')).toEqual([
      'day.1.csv',
      'day.2.csv',
      'other.csv'
    ])
    expect(await fake.git(['diff', '--name-status', 'audit-data~1', 'audit-data'])).toBe(
      'A\tday.1.csv\nA\tday.2.csv\nD\tday.csv'
    )
    await fake.git(['fsck', '--strict'])
    expect(await commitFiles({ git, branch: 'audit-data', build: files({}) }).then((r) => r.status)).toBe('unchanged')
  })

  it('writes more files than one tree call takes', async () => {
    const { fake, git } = await setUp()
    const many = Object.fromEntries(
      Array.from({ length: 230 }, (_, i) => [`audit/d/${String(i).padStart(3, '0')}.csv`, `${i}\n`])
    )
    const result = await commitFiles({ git, branch: 'audit-data', build: files(many) })
    expect(result.status).toBe('committed')
    expect((await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).split('\n')).toHaveLength(230)
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees'))).toHaveLength(3)
  })

  it('carries bytes exactly: binary files as base64 blobs, small text inline, files from disk', async () => {
    const { fake, git } = await setUp()
    const dir = await mkdtemp(join(tmpdir(), 'm365-commit-test-'))
    try {
      const binary = Buffer.from([0x50, 0x41, 0x52, 0x31, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80, 0x00])
      const text = Buffer.from('Id,Note\r\n1,"Ñandú, ""Pérez""\nline 2 李小龙"\r\n', 'utf8')
      await writeFile(join(dir, 'part'), text)
      const first = await commitFiles({
        git,
        branch: 'audit-data',
        build: async () => ({
          files: new Map<string, FileContent>([
            ['day.parquet', binary],
            ['day.csv', { file: join(dir, 'part'), size: text.byteLength }]
          ]),
          message: 'bytes\n'
        })
      })
      expect(first.status).toBe('committed')
      expect((await fake.readFile('audit-data', 'day.parquet'))?.equals(binary)).toBe(true)
      expect((await fake.readFile('audit-data', 'day.csv'))?.equals(text)).toBe(true)
      // Files go up as base64 blobs (binary-safe and cheap to encode); small state files go inline.
      expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/blobs'))).toHaveLength(2)

      await fake.git(['fsck', '--strict'])

      // Reads stream the raw bytes, no base64, and stop with an error when a download is cut short.
      const chunks: Buffer[] = []
      for await (const chunk of git.streamBlob(gitBlobSha(binary))) chunks.push(chunk)
      expect(Buffer.concat(chunks).equals(binary)).toBe(true)
      expect(await git.readBlob(gitBlobSha(text))).toEqual(text)
      await commitFiles({
        git,
        branch: 'audit-data',
        build: async (tip) => {
          expect(tip.size('day.csv')).toBe(text.byteLength)
          const streamed: Buffer[] = []
          for await (const chunk of tip.stream('day.csv')) streamed.push(chunk)
          expect(Buffer.concat(streamed).equals(text)).toBe(true)
          return undefined
        }
      })
      // A staged file is compared once uploaded: the same bytes again make no commit.
      const commits = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/commits')).length
      const again = await commitFiles({
        git,
        branch: 'audit-data',
        build: async () => ({
          files: new Map<string, FileContent>([['day.csv', { file: join(dir, 'part'), size: text.byteLength }]]),
          message: 'same\n'
        })
      })
      expect(again.status).toBe('unchanged')
      expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/commits'))).toHaveLength(commits)
      const cut: GitDatabase = {
        ...git,
        async *streamBlob(sha) {
          yield (await git.readBlob(sha)).subarray(0, 5)
        }
      }
      await expect(
        commitFiles({
          git: cut,
          branch: 'audit-data',
          build: async (tip) => {
            for await (const chunk of tip.stream('day.csv')) expect(chunk.byteLength).toBe(5)
            return undefined
          }
        })
      ).rejects.toThrow(`Downloading day.csv from the data branch stopped after 5 of ${text.byteLength} bytes`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('sends a file again, whole, when its upload is answered with a 5xx or a secondary rate limit', async () => {
    const { fake, git } = await setUp()
    const dir = await mkdtemp(join(tmpdir(), 'm365-commit-test-'))
    try {
      const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i},"ünï ""q"""\r\n`).join(''), 'utf8')
      await writeFile(join(dir, 'part'), text)
      fake.faults.add({ method: 'POST', path: /\/git\/blobs$/, status: 502, body: 'Bad Gateway', times: 1 })
      fake.faults.add(secondaryRateLimit(0, { method: 'POST', path: /\/git\/blobs$/, times: 1 }))
      const result = await commitFiles({
        git,
        branch: 'audit-data',
        build: async () => ({
          files: new Map<string, FileContent>([['big.csv', { file: join(dir, 'part'), size: text.byteLength }]]),
          message: 'big\n'
        })
      })
      expect(result.status).toBe('committed')
      expect(
        fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/blobs')).map((r) => r.status)
      ).toEqual([502, 403, 201])
      expect((await fake.readFile('audit-data', 'big.csv'))?.equals(text)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('explains an empty repository and a bad token', async () => {
    const empty = await setUp({ empty: true })
    await expect(
      commitFiles({ git: empty.git, branch: 'audit-data', build: files({ 'a.csv': '1\n' }) })
    ).rejects.toThrow(/contoso\/audit has no commits yet.*create an initial commit/)

    const bad = await setUp({}, 'ghs_not-the-right-token')
    await expect(commitFiles({ git: bad.git, branch: 'audit-data', build: files({ 'a.csv': '1\n' }) })).rejects.toThrow(
      /rejected the token.*401.*'github-token'/
    )
  })
})
