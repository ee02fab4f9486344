import { describe, expect, it } from 'vitest'
import { clientFor, failure, gitBlobSha, useFakeGitHub, useSharedFakeGitHub } from './test-client.js'

describe('Git Data API recipe, checked with git itself', () => {
  const owner = 'contoso'
  const repo = 'audit'
  const fake = useSharedFakeGitHub({ owner, repo })
  const csvDay1 = 'Id,CreationTime,UserId\r\n1,2026-11-20T06:00:00Z,zoë@contoso.com 😀\r\n'
  const csvDay2 = 'Id,CreationTime,UserId\r\n2,2026-11-21T00:00:00Z,åsa@contoso.com\r\n'
  const binary = Buffer.from(Array.from({ length: 300 }, (_, index) => (index * 7) % 256))
  let firstCommit: string
  let secondCommit: string

  it('stores a UTF-8 blob byte for byte', async () => {
    const octokit = clientFor(fake())
    const { status, data } = await octokit.git.createBlob({ owner, repo, content: csvDay1, encoding: 'utf-8' })
    expect(status).toBe(201)
    expect(data.sha).toBe(gitBlobSha(csvDay1))
    expect(data.url).toBe(`${fake().url}/repos/${owner}/${repo}/git/blobs/${data.sha}`)
    expect(await fake().git(['cat-file', '-t', data.sha])).toBe('blob')
    expect(await fake().git(['cat-file', '-p', data.sha])).toBe(csvDay1.replace(/\n$/, ''))
  })

  it('stores a binary blob sent as base64 and returns it wrapped like GitHub', async () => {
    const octokit = clientFor(fake())
    const created = await octokit.git.createBlob({
      owner,
      repo,
      content: binary.toString('base64'),
      encoding: 'base64'
    })
    expect(created.data.sha).toBe(gitBlobSha(binary))
    expect(await fake().git(['cat-file', '-s', created.data.sha])).toBe('300')

    const { data } = await octokit.git.getBlob({ owner, repo, file_sha: created.data.sha })
    expect(data).toMatchObject({ sha: created.data.sha, size: 300, encoding: 'base64' })
    const lines = data.content.split('\n')
    expect(lines.at(-1)).toBe('')
    expect(lines.slice(0, -2).every((line) => line.length === 60)).toBe(true)
    expect(Buffer.from(data.content, 'base64').equals(binary)).toBe(true)
  })

  it('builds an orphan commit on a new branch', async () => {
    const octokit = clientFor(fake())
    const csv = await octokit.git.createBlob({ owner, repo, content: csvDay1, encoding: 'utf-8' })
    const bin = await octokit.git.createBlob({ owner, repo, content: binary.toString('base64'), encoding: 'base64' })
    const tree = await octokit.git.createTree({
      owner,
      repo,
      tree: [
        { path: 'audit/Audit.General/2026/11/2026-11-20.csv', mode: '100644', type: 'blob', sha: csv.data.sha },
        { path: 'blobs/sample.bin', mode: '100644', type: 'blob', sha: bin.data.sha },
        { path: 'state/ledger.json', mode: '100644', type: 'blob', content: '{"covered":[]}\n' }
      ]
    })
    expect(tree.status).toBe(201)
    expect(tree.data.truncated).toBe(false)
    expect(tree.data.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['audit', 'tree'],
      ['blobs', 'tree'],
      ['state', 'tree']
    ])

    const commit = await octokit.git.createCommit({
      owner,
      repo,
      message: 'Audit snapshot 2026-11-20',
      tree: tree.data.sha,
      parents: []
    })
    expect(commit.status).toBe(201)
    expect(commit.data).toMatchObject({
      tree: { sha: tree.data.sha },
      parents: [],
      message: 'Audit snapshot 2026-11-20',
      author: { name: 'github-actions[bot]' },
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null }
    })
    firstCommit = commit.data.sha

    const ref = await octokit.git.createRef({ owner, repo, ref: 'refs/heads/audit-data', sha: firstCommit })
    expect(ref.status).toBe(201)
    expect(ref.data).toMatchObject({ ref: 'refs/heads/audit-data', object: { sha: firstCommit, type: 'commit' } })

    const raw = await fake().git(['cat-file', '-p', firstCommit])
    expect(raw).toMatch(new RegExp(`^tree ${tree.data.sha}\nauthor github-actions\\[bot\\] <`))
    expect(raw).not.toContain('\nparent ')
    expect(await fake().git(['ls-tree', '-r', 'audit-data'])).toBe(
      [
        `100644 blob ${csv.data.sha}\taudit/Audit.General/2026/11/2026-11-20.csv`,
        `100644 blob ${bin.data.sha}\tblobs/sample.bin`,
        `100644 blob ${gitBlobSha('{"covered":[]}\n')}\tstate/ledger.json`
      ].join('\n')
    )
    expect(await fake().git(['show', 'audit-data:state/ledger.json'])).toBe('{"covered":[]}')
    // The default branch is untouched: the data branch shares no history with it.
    expect(await fake().git(['ls-tree', '--name-only', 'main'])).toBe('README.md')
    expect(
      await fake()
        .git(['merge-base', '--all', 'main', 'audit-data'])
        .catch(() => 'none')
    ).toBe('none')
  })

  it('commits on top of base_tree with additions, a replacement and a deletion', async () => {
    const octokit = clientFor(fake())
    const head = await octokit.git.getRef({ owner, repo, ref: 'heads/audit-data' })
    expect(head.data.object.sha).toBe(firstCommit)
    const base = await octokit.git.getCommit({ owner, repo, commit_sha: head.data.object.sha })

    const day2 = await octokit.git.createBlob({ owner, repo, content: csvDay2, encoding: 'utf-8' })
    const tree = await octokit.git.createTree({
      owner,
      repo,
      base_tree: base.data.tree.sha,
      tree: [
        { path: 'audit/Audit.General/2026/11/2026-11-21.csv', mode: '100644', type: 'blob', sha: day2.data.sha },
        { path: 'state/ledger.json', mode: '100644', type: 'blob', content: '{"covered":["2026-11-21"]}\n' },
        { path: 'blobs/sample.bin', mode: '100644', type: 'blob', sha: null }
      ]
    })
    const commit = await octokit.git.createCommit({
      owner,
      repo,
      message: 'Audit snapshot 2026-11-21\n\nRecords: 1\n',
      tree: tree.data.sha,
      parents: [head.data.object.sha],
      author: { name: 'Audit Sync', email: 'audit-sync@contoso.com', date: '2026-11-21T06:00:00Z' }
    })
    secondCommit = commit.data.sha
    const updated = await octokit.git.updateRef({
      owner,
      repo,
      ref: 'heads/audit-data',
      sha: secondCommit,
      force: false
    })
    expect(updated.status).toBe(200)
    expect(updated.data.object.sha).toBe(secondCommit)

    expect(await fake().git(['log', '--format=%H %P|%s', 'audit-data'])).toBe(
      `${secondCommit} ${firstCommit}|Audit snapshot 2026-11-21\n${firstCommit} |Audit snapshot 2026-11-20`
    )
    expect(await fake().git(['ls-tree', '-r', '--name-only', 'audit-data'])).toBe(
      [
        'audit/Audit.General/2026/11/2026-11-20.csv',
        'audit/Audit.General/2026/11/2026-11-21.csv',
        'state/ledger.json'
      ].join('\n')
    )
    // Deleting the only file of `blobs/` removes the directory itself.
    expect(await fake().git(['ls-tree', '--name-only', 'audit-data'])).toBe('audit\nstate')
    expect((await fake().readFile('audit-data', 'audit/Audit.General/2026/11/2026-11-21.csv'))?.toString('utf8')).toBe(
      csvDay2
    )
    const raw = await fake().git(['cat-file', '-p', secondCommit])
    // The author is who the client said; the committer defaults to the author, as on GitHub.
    expect(raw).toContain('\nauthor Audit Sync <audit-sync@contoso.com> 1795240800 +0000\n')
    expect(raw).toContain('\ncommitter Audit Sync <audit-sync@contoso.com> 1795240800 +0000\n')
    expect(raw.endsWith('\n\nAudit snapshot 2026-11-21\n\nRecords: 1')).toBe(true)
    await fake().git(['fsck', '--full', '--strict', '--no-dangling'])
  })

  it('reads commits and trees back in GitHub shapes', async () => {
    const octokit = clientFor(fake())
    const { data: commit } = await octokit.git.getCommit({ owner, repo, commit_sha: secondCommit })
    expect(commit).toMatchObject({
      sha: secondCommit,
      url: `${fake().url}/repos/${owner}/${repo}/git/commits/${secondCommit}`,
      html_url: `${fake().htmlUrl}/${owner}/${repo}/commit/${secondCommit}`,
      message: 'Audit snapshot 2026-11-21\n\nRecords: 1\n',
      author: { name: 'Audit Sync', email: 'audit-sync@contoso.com', date: '2026-11-21T06:00:00Z' },
      parents: [{ sha: firstCommit }]
    })

    const flat = await octokit.git.getTree({ owner, repo, tree_sha: commit.tree.sha })
    expect(flat.data.tree.map((entry) => entry.path)).toEqual(['audit', 'state'])
    const deep = await octokit.git.getTree({ owner, repo, tree_sha: commit.tree.sha, recursive: '1' })
    expect(deep.data.tree.map((entry) => `${entry.type} ${entry.path}`)).toEqual([
      'tree audit',
      'tree audit/Audit.General',
      'tree audit/Audit.General/2026',
      'tree audit/Audit.General/2026/11',
      'blob audit/Audit.General/2026/11/2026-11-20.csv',
      'blob audit/Audit.General/2026/11/2026-11-21.csv',
      'tree state',
      'blob state/ledger.json'
    ])
    const ledger = deep.data.tree.find((entry) => entry.path === 'state/ledger.json')
    expect(ledger?.size).toBe(Buffer.byteLength('{"covered":["2026-11-21"]}\n'))
  })

  it('serves file contents for a branch', async () => {
    const octokit = clientFor(fake())
    const { data } = await octokit.repos.getContent({
      owner,
      repo,
      path: 'audit/Audit.General/2026/11/2026-11-20.csv',
      ref: 'audit-data'
    })
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file')
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe(csvDay1)
    expect(data.sha).toBe(gitBlobSha(csvDay1))
    expect((await failure(octokit.repos.getContent({ owner, repo, path: 'nope.csv', ref: 'audit-data' }))).status).toBe(
      404
    )
  })

  it('refuses trees and commits that point at missing or wrong objects', async () => {
    const octokit = clientFor(fake())
    const missing = 'f'.repeat(40)
    const blob = gitBlobSha(csvDay1)
    // Thunks, so each request starts only when awaited and no rejection goes unhandled.
    const cases: Array<[() => Promise<unknown>, string]> = [
      [
        () => octokit.git.createTree({ owner, repo, base_tree: missing, tree: [] }),
        'base_tree is not a valid tree oid'
      ],
      [
        () =>
          octokit.git.createTree({
            owner,
            repo,
            tree: [{ path: 'a.csv', mode: '100644', type: 'blob', sha: missing }]
          }),
        `tree.sha ${missing} is not a valid blob`
      ],
      [
        () => octokit.git.createTree({ owner, repo, tree: [{ path: 'a', mode: '040000', type: 'tree', sha: blob }] }),
        `tree.sha ${blob} is not a valid tree`
      ],
      [
        () =>
          octokit.git.createTree({
            owner,
            repo,
            tree: [{ path: 'a//b.csv', mode: '100644', type: 'blob', content: 'x' }]
          }),
        'tree.path contains a malformed path component'
      ],
      [
        () => octokit.git.createCommit({ owner, repo, message: 'm', tree: missing, parents: [] }),
        'Tree SHA does not exist'
      ],
      [
        () => octokit.git.createCommit({ owner, repo, message: 'm', tree: blob, parents: [] }),
        'Tree SHA is not a tree object'
      ],
      [
        () =>
          octokit.git.createCommit({
            owner,
            repo,
            message: 'm',
            tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
            parents: [missing]
          }),
        'Parent SHA does not exist or is not a commit object'
      ]
    ]
    for (const [request, message] of cases) {
      const { status, data } = await failure(request())
      expect([status, data.message]).toEqual([422, message])
    }
  })
})

describe('tree edits on top of base_tree', () => {
  const start = useFakeGitHub()

  it('deletes directories, replaces a file by a directory, grafts subtrees and keeps modes', async () => {
    const fake = await start()
    const octokit = clientFor(fake)
    const { owner, repo } = fake
    const base = await octokit.git.createTree({
      owner,
      repo,
      tree: [
        { path: 'a/b.txt', mode: '100644', type: 'blob', content: 'b' },
        { path: 'a/deep/c.txt', mode: '100644', type: 'blob', content: 'c' },
        { path: 'd.txt', mode: '100644', type: 'blob', content: 'd' }
      ]
    })
    const subtree = base.data.tree.find((entry) => entry.path === 'a')?.sha
    if (subtree === undefined) throw new Error('no subtree a/')

    const edited = await octokit.git.createTree({
      owner,
      repo,
      base_tree: base.data.sha,
      tree: [
        { path: 'copy', mode: '040000', type: 'tree', sha: subtree },
        { path: 'a', mode: '040000', type: 'tree', sha: null },
        { path: 'd.txt/e.txt', mode: '100644', type: 'blob', content: 'e' },
        { path: 'bin/run.sh', mode: '100755', type: 'blob', content: '#!/bin/sh\n' }
      ]
    })
    expect(await fake.git(['ls-tree', '-r', '--format=%(objectmode) %(path)', edited.data.sha])).toBe(
      ['100755 bin/run.sh', '100644 copy/b.txt', '100644 copy/deep/c.txt', '100644 d.txt/e.txt'].join('\n')
    )
    // The grafted subtree is the very same object, not a copy with new ids.
    expect(await fake.git(['rev-parse', `${edited.data.sha}:copy`])).toBe(subtree)

    // An empty change list on a base tree gives the base tree back: "nothing to commit".
    const same = await octokit.git.createTree({ owner, repo, base_tree: edited.data.sha, tree: [] })
    expect(same.data.sha).toBe(edited.data.sha)
    expect(fake.internalErrors).toEqual([])
  })
})
