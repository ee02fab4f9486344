import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from './index.js'
import { clientFor, failure } from './test-client.js'

describe('an empty repository', () => {
  let fake: FakeGitHub
  const owner = 'contoso'
  const repo = 'audit'

  beforeEach(async () => {
    fake = await startFakeGitHub({ empty: true, defaultBranch: 'trunk' })
  })
  afterEach(async () => {
    expect(fake.internalErrors).toEqual([])
    await fake.close()
  })

  it('has no commits and no refs in git', async () => {
    expect(await fake.git(['for-each-ref'])).toBe('')
    expect(await fake.git(['count-objects'])).toBe('0 objects, 0 kilobytes')
  })

  it('answers 409 "Git Repository is empty." on every Git Database route', async () => {
    const octokit = clientFor(fake)
    const emptyTree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
    const requests: Array<() => Promise<unknown>> = [
      () => octokit.git.getRef({ owner, repo, ref: 'heads/trunk' }),
      () => octokit.git.listMatchingRefs({ owner, repo, ref: 'heads/' }),
      () => octokit.git.createBlob({ owner, repo, content: 'x' }),
      () => octokit.git.getBlob({ owner, repo, file_sha: emptyTree }),
      () => octokit.git.createTree({ owner, repo, tree: [{ path: 'a', mode: '100644', type: 'blob', content: 'a' }] }),
      () => octokit.git.getTree({ owner, repo, tree_sha: emptyTree }),
      () => octokit.git.createCommit({ owner, repo, message: 'm', tree: emptyTree, parents: [] }),
      () => octokit.git.createRef({ owner, repo, ref: 'refs/heads/audit-data', sha: emptyTree }),
      () => octokit.git.updateRef({ owner, repo, ref: 'heads/trunk', sha: emptyTree })
    ]
    for (const request of requests) {
      const { status, data } = await failure(request())
      expect(status).toBe(409)
      expect(data.message).toBe('Git Repository is empty.')
      expect(data.status).toBe('409')
    }
    // Nothing was written behind the 409s.
    expect(await fake.git(['count-objects'])).toBe('0 objects, 0 kilobytes')
  })

  it('still describes the repository, with size 0', async () => {
    const { data } = await clientFor(fake).repos.get({ owner, repo })
    expect(data).toMatchObject({ full_name: 'contoso/audit', default_branch: 'trunk', size: 0 })
  })

  it('leaves the empty state once the Contents API creates a first commit', async () => {
    const octokit = clientFor(fake)
    const missing = await failure(octokit.repos.getContent({ owner, repo, path: 'README.md' }))
    expect([missing.status, missing.data.message]).toEqual([404, 'This repository is empty.'])

    const created = await octokit.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'README.md',
      message: 'Initialize repository',
      content: Buffer.from('# audit\n').toString('base64')
    })
    expect(created.status).toBe(201)
    expect(await fake.git(['log', '--format=%s', 'trunk'])).toBe('Initialize repository')

    const ref = await octokit.git.getRef({ owner, repo, ref: 'heads/trunk' })
    expect(ref.data.object.sha).toBe(created.data.commit.sha)
    const blob = await octokit.git.createBlob({ owner, repo, content: 'now it works' })
    expect(blob.status).toBe(201)
  })
})

describe('Contents API updates', () => {
  it('needs the current blob sha to overwrite a file, as GitHub does', async () => {
    const fake = await startFakeGitHub()
    try {
      const octokit = clientFor(fake)
      const { owner, repo } = fake
      const put = (sha?: string) =>
        octokit.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: 'README.md',
          message: 'Update README',
          content: Buffer.from('# updated\n').toString('base64'),
          ...(sha === undefined ? {} : { sha })
        })
      const noSha = await failure(put())
      expect(noSha.status).toBe(422)
      const stale = await failure(put('0'.repeat(40)))
      expect(stale.status).toBe(409)
      expect(await fake.git(['rev-list', '--count', 'main'])).toBe('1')

      const current = await fake.git(['rev-parse', 'main:README.md'])
      const updated = await put(current)
      expect(updated.status).toBe(200)
      expect(await fake.git(['show', 'main:README.md'])).toBe('# updated')
      expect(await fake.git(['rev-list', '--count', 'main'])).toBe('2')
      expect(fake.internalErrors).toEqual([])
    } finally {
      await fake.close()
    }
  })
})
