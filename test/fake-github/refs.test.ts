import type { Octokit } from '@octokit/rest'
import { beforeEach, describe, expect, it } from 'vitest'
import { Messages, type FakeGitHub } from './index.js'
import { clientFor, failure, useFakeGitHub } from './test-client.js'

describe('refs', () => {
  let fake: FakeGitHub
  let octokit: Octokit
  const owner = 'contoso'
  const repo = 'audit'

  const start = useFakeGitHub()

  beforeEach(async () => {
    fake = await start()
    octokit = clientFor(fake)
  })

  /** A commit on top of `parent` adding one file, made through the API. */
  async function commitOn(parent: string, file: string, content = file): Promise<string> {
    const { data: base } = await octokit.git.getCommit({ owner, repo, commit_sha: parent })
    const tree = await octokit.git.createTree({
      owner,
      repo,
      base_tree: base.tree.sha,
      tree: [{ path: file, mode: '100644', type: 'blob', content }]
    })
    const commit = await octokit.git.createCommit({
      owner,
      repo,
      message: `add ${file}`,
      tree: tree.data.sha,
      parents: [parent]
    })
    return commit.data.sha
  }

  async function head(branch = 'main'): Promise<string> {
    return fake.git(['rev-parse', `refs/heads/${branch}`])
  }

  it('answers 404 with GitHub body for a missing ref', async () => {
    const { status, data } = await failure(octokit.git.getRef({ owner, repo, ref: 'heads/audit-data' }))
    expect(status).toBe(404)
    expect(data).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/git/refs#get-a-reference',
      status: '404'
    })
  })

  it('handles branch names with slashes, and lists matching refs by prefix', async () => {
    const main = await head()
    await octokit.git.createRef({ owner, repo, ref: 'refs/heads/data/audit', sha: main })
    await octokit.git.createRef({ owner, repo, ref: 'refs/heads/data/audit-2', sha: main })
    const { data } = await octokit.git.getRef({ owner, repo, ref: 'heads/data/audit' })
    expect(data).toMatchObject({
      ref: 'refs/heads/data/audit',
      url: `${fake.url}/repos/${owner}/${repo}/git/refs/heads/data/audit`,
      object: { sha: main, type: 'commit' }
    })
    const matching = await octokit.git.listMatchingRefs({ owner, repo, ref: 'heads/data/audit' })
    expect(matching.data.map((ref) => ref.ref)).toEqual(['refs/heads/data/audit', 'refs/heads/data/audit-2'])

    const deleted = await octokit.git.deleteRef({ owner, repo, ref: 'heads/data/audit' })
    expect(deleted.status).toBe(204)
    expect(await fake.git(['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/data/audit-2\nrefs/heads/main')
    const again = await failure(octokit.git.deleteRef({ owner, repo, ref: 'heads/data/audit' }))
    expect([again.status, again.data.message]).toEqual([422, Messages.referenceMissing])
  })

  it('refuses to create a ref that exists, a malformed name, or one pointing nowhere', async () => {
    const main = await head()
    const exists = await failure(octokit.git.createRef({ owner, repo, ref: 'refs/heads/main', sha: main }))
    expect([exists.status, exists.data.message]).toEqual([422, 'Reference already exists'])
    const badName = await failure(octokit.git.createRef({ owner, repo, ref: 'heads/audit-data', sha: main }))
    expect([badName.status, badName.data.message]).toEqual([
      422,
      "Reference name must start with 'refs/' and have at least two slashes."
    ])
    const nowhere = await failure(octokit.git.createRef({ owner, repo, ref: 'refs/heads/x', sha: 'a'.repeat(40) }))
    expect([nowhere.status, nowhere.data.message]).toEqual([422, 'Object does not exist'])
    expect(await fake.git(['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/main')
  })

  it('allows only fast forwards unless forced', async () => {
    const base = await head()
    const ahead = await commitOn(base, 'a.txt')
    const sibling = await commitOn(base, 'b.txt')

    await octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: ahead, force: false })
    expect(await head()).toBe(ahead)

    const refused = await failure(octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: false }))
    expect(refused).toMatchObject({
      status: 422,
      data: {
        message: 'Update is not a fast forward',
        documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference'
      }
    })
    expect(await head()).toBe(ahead)

    const forced = await octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: true })
    expect(forced.data.object.sha).toBe(sibling)
    expect(await head()).toBe(sibling)
    // Moving back to an ancestor is not a fast forward either.
    const backwards = await failure(octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: base }))
    expect(backwards.data.message).toBe(Messages.notFastForward)
  })

  it('refuses to update a ref that does not exist', async () => {
    const { status, data } = await failure(
      octokit.git.updateRef({ owner, repo, ref: 'heads/audit-data', sha: await head() })
    )
    expect([status, data.message]).toEqual([422, 'Reference does not exist'])
    expect(await fake.git(['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/main')
  })

  it('lets exactly one of several concurrent updates from the same parent win', async () => {
    const base = await head()
    const candidates = await Promise.all(['1', '2', '3', '4', '5', '6'].map((n) => commitOn(base, `writer-${n}.txt`)))
    const results = await Promise.allSettled(
      candidates.map((sha) => octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha, force: false }))
    )
    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [candidates[index]] : []))
    expect(winners).toHaveLength(1)
    expect(await head()).toBe(winners[0])
    for (const result of results) {
      if (result.status === 'rejected')
        expect((await failure(Promise.reject(result.reason))).data.message).toBe(Messages.notFastForward)
    }
    expect(await fake.git(['rev-list', '--count', 'main'])).toBe('2')
  })

  it('lets exactly one of several concurrent creations of the same branch win', async () => {
    const base = await head()
    const candidates = await Promise.all(['1', '2', '3', '4'].map((n) => commitOn(base, `orphan-${n}.txt`)))
    const results = await Promise.allSettled(
      candidates.map((sha) => octokit.git.createRef({ owner, repo, ref: 'refs/heads/audit-data', sha }))
    )
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
    expect(candidates).toContain(await head('audit-data'))
  })

  it('makes the next updates collide with a concurrent writer, then lets a rebuilt commit through', async () => {
    const base = await head()
    const foreign = fake.raceNextRefUpdates(1, 'main', { 'state/other-writer.json': '{"by":"matrix job 2"}' })
    const mine = await commitOn(base, 'audit/day.csv')

    const collided = await failure(octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: mine }))
    expect([collided.status, collided.data.message]).toEqual([422, Messages.notFastForward])
    expect(foreign).toHaveLength(1)
    expect(await head()).toBe(foreign[0])
    expect(await fake.git(['log', '--format=%P|%an|%s', '-1', 'main'])).toBe(
      `${base}|Concurrent Writer|Concurrent update 1`
    )

    // What the product does on that 422: re-read the head, rebuild on it, try again.
    const { data: ref } = await octokit.git.getRef({ owner, repo, ref: 'heads/main' })
    const rebuilt = await commitOn(ref.object.sha, 'audit/day.csv')
    await octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: rebuilt })
    expect(await fake.git(['log', '--format=%s', 'main'])).toBe(
      'add audit/day.csv\nConcurrent update 1\nInitial commit'
    )
    expect(await fake.git(['ls-tree', '-r', '--name-only', 'main'])).toBe(
      'README.md\naudit/day.csv\nstate/other-writer.json'
    )
    expect(foreign).toHaveLength(1)
  })

  it('races only the branch it was armed for, as many times as asked', async () => {
    const foreign = fake.raceNextRefUpdates(2, 'audit-data')
    const base = await head()
    await octokit.git.createRef({ owner, repo, ref: 'refs/heads/audit-data', sha: base })
    const next = await commitOn(base, 'x.txt')
    await octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: next })
    expect(foreign).toHaveLength(0)

    for (const attempt of [1, 2]) {
      const parent = await head('audit-data')
      const commit = await commitOn(parent, `attempt-${attempt}.txt`)
      expect((await failure(octokit.git.updateRef({ owner, repo, ref: 'heads/audit-data', sha: commit }))).status).toBe(
        422
      )
    }
    const parent = await head('audit-data')
    const third = await commitOn(parent, 'attempt-3.txt')
    await octokit.git.updateRef({ owner, repo, ref: 'heads/audit-data', sha: third })
    expect(foreign).toHaveLength(2)
    // Without files the foreign commits keep the tree: only the third attempt's file is added.
    expect(await fake.git(['ls-tree', '-r', '--name-only', 'audit-data'])).toBe('README.md\nattempt-3.txt')
    expect(await fake.git(['rev-list', '--count', 'audit-data'])).toBe('4')
  })
})
