import type { Octokit } from '@octokit/rest'
import { beforeEach, describe, expect, it } from 'vitest'
import { MAX_BODY_LENGTH, type FakeGitHub } from './index.js'
import { clientFor, failure, useFakeGitHub } from './test-client.js'

describe('issues', () => {
  let fake: FakeGitHub
  let octokit: Octokit
  const owner = 'contoso'
  const repo = 'audit'
  let tick = 0
  // One second per reading, so sorting by time is deterministic.
  const now = (): Date => new Date(Date.UTC(2026, 10, 22, 6, 0, tick++))

  const start = useFakeGitHub()

  beforeEach(async () => {
    fake = await start({ now })
    tick = 0
    octokit = clientFor(fake)
  })

  it('opens an issue, creating its labels on the way', async () => {
    const { status, data } = await octokit.issues.create({
      owner,
      repo,
      title: 'Audit collection failing',
      body: '3 segments failed',
      labels: ['audit-sync', 'bug']
    })
    expect(status).toBe(201)
    expect(data).toMatchObject({
      number: 1,
      state: 'open',
      title: 'Audit collection failing',
      body: '3 segments failed',
      labels: [{ name: 'audit-sync' }, { name: 'bug' }],
      comments: 0,
      html_url: `${fake.htmlUrl}/${owner}/${repo}/issues/1`,
      user: { login: 'github-actions[bot]' },
      created_at: '2026-11-22T06:00:00Z',
      closed_at: null
    })
    const labels = await octokit.issues.listLabelsForRepo({ owner, repo })
    expect(labels.data.map((label) => label.name)).toEqual(['audit-sync', 'bug'])
    expect(fake.issues[0]?.labels).toEqual(['audit-sync', 'bug'])
  })

  it('lists open issues by label, comments on one and closes it', async () => {
    await octokit.issues.create({ owner, repo, title: 'unrelated', labels: ['question'] })
    const { data: failing } = await octokit.issues.create({
      owner,
      repo,
      title: 'Audit collection failing',
      labels: ['audit-sync']
    })

    const open = await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync', state: 'open' })
    expect(open.data.map((issue) => issue.number)).toEqual([failing.number])
    // Label matching is case-insensitive, and every listed label must be present.
    expect((await octokit.issues.listForRepo({ owner, repo, labels: 'Audit-Sync' })).data).toHaveLength(1)
    expect((await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync,question' })).data).toHaveLength(0)

    const comment = await octokit.issues.createComment({
      owner,
      repo,
      issue_number: failing.number,
      body: 'Still failing: 2 segments'
    })
    expect(comment.status).toBe(201)
    expect(comment.data.html_url).toBe(`${fake.htmlUrl}/${owner}/${repo}/issues/2#issuecomment-${comment.data.id}`)
    await octokit.issues.createComment({ owner, repo, issue_number: failing.number, body: 'Recovered.' })
    const closed = await octokit.issues.update({
      owner,
      repo,
      issue_number: failing.number,
      state: 'closed',
      state_reason: 'completed'
    })
    expect(closed.data).toMatchObject({ state: 'closed', state_reason: 'completed', comments: 2 })
    expect(closed.data.closed_at).not.toBeNull()

    expect((await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync' })).data).toHaveLength(0)
    const closedList = await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync', state: 'closed' })
    expect(closedList.data.map((issue) => issue.number)).toEqual([failing.number])
    const comments = await octokit.issues.listComments({ owner, repo, issue_number: failing.number })
    expect(comments.data.map((item) => item.body)).toEqual(['Still failing: 2 segments', 'Recovered.'])
    expect(fake.issues[1]).toMatchObject({
      state: 'closed',
      comments: [{ body: 'Still failing: 2 segments' }, { body: 'Recovered.' }]
    })

    const reopened = await octokit.issues.update({ owner, repo, issue_number: failing.number, state: 'open' })
    expect(reopened.data).toMatchObject({ state: 'open', state_reason: 'reopened', closed_at: null })
  })

  it('updates title, body and labels', async () => {
    const { data } = await octokit.issues.create({
      owner,
      repo,
      title: 'old',
      body: 'old body',
      labels: ['audit-sync']
    })
    const updated = await octokit.issues.update({
      owner,
      repo,
      issue_number: data.number,
      title: 'new',
      body: 'new body',
      labels: ['audit-sync', 'urgent']
    })
    expect(updated.data).toMatchObject({
      title: 'new',
      body: 'new body',
      labels: [{ name: 'audit-sync' }, { name: 'urgent' }]
    })
    expect((await octokit.issues.get({ owner, repo, issue_number: data.number })).data.title).toBe('new')
    expect((await failure(octokit.issues.get({ owner, repo, issue_number: 99 }))).status).toBe(404)
  })

  it('paginates with a Link header that Octokit can follow', async () => {
    for (let n = 1; n <= 5; n++)
      await octokit.issues.create({ owner, repo, title: `issue ${n}`, labels: ['audit-sync'] })

    const first = await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync', per_page: 2 })
    expect(first.data.map((issue) => issue.title)).toEqual(['issue 5', 'issue 4'])
    const base = `${fake.url}/repos/${owner}/${repo}/issues`
    expect(first.headers.link).toBe(
      `<${base}?labels=audit-sync&per_page=2&page=2>; rel="next", <${base}?labels=audit-sync&per_page=2&page=3>; rel="last"`
    )
    const last = await octokit.issues.listForRepo({ owner, repo, labels: 'audit-sync', per_page: 2, page: 3 })
    expect(last.data.map((issue) => issue.title)).toEqual(['issue 1'])
    expect(last.headers.link).toContain('rel="prev"')
    expect(last.headers.link).not.toContain('rel="next"')

    const all = await octokit.paginate(octokit.issues.listForRepo, { owner, repo, per_page: 2, direction: 'asc' })
    expect(all.map((issue) => issue.title)).toEqual(['issue 1', 'issue 2', 'issue 3', 'issue 4', 'issue 5'])
  })

  it('refuses bodies over 65536 characters with a validation error', async () => {
    const tooLong = 'x'.repeat(MAX_BODY_LENGTH + 1)
    const created = await failure(octokit.issues.create({ owner, repo, title: 't', body: tooLong }))
    expect(created.status).toBe(422)
    expect(created.data).toEqual({
      message: 'Validation Failed',
      errors: [
        { resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }
      ],
      documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
      status: '422'
    })
    expect(fake.issues).toHaveLength(0)

    // Exactly at the limit is fine; the limit counts characters, not UTF-16 units.
    const { data } = await octokit.issues.create({ owner, repo, title: 't', body: '😀'.repeat(MAX_BODY_LENGTH) })
    const comment = await failure(
      octokit.issues.createComment({ owner, repo, issue_number: data.number, body: tooLong })
    )
    expect(comment.status).toBe(422)
    expect(comment.data.errors).toEqual([
      {
        resource: 'IssueComment',
        code: 'custom',
        field: 'body',
        message: 'body is too long (maximum is 65536 characters)'
      }
    ])
    const edit = await failure(octokit.issues.update({ owner, repo, issue_number: data.number, body: tooLong }))
    expect(edit.status).toBe(422)
  })

  it('refuses an issue without a title', async () => {
    const { status, data } = await failure(octokit.issues.create({ owner, repo, title: '' }))
    expect(status).toBe(422)
    expect(data.errors).toEqual([{ resource: 'Issue', code: 'missing_field', field: 'title' }])
  })

  it('creates labels explicitly and refuses duplicates', async () => {
    const created = await octokit.issues.createLabel({
      owner,
      repo,
      name: 'audit-sync',
      color: 'd73a4a',
      description: 'Collector failures'
    })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ name: 'audit-sync', color: 'd73a4a', description: 'Collector failures' })
    const duplicate = await failure(octokit.issues.createLabel({ owner, repo, name: 'Audit-Sync' }))
    expect(duplicate.status).toBe(422)
    expect(duplicate.data.errors).toEqual([{ resource: 'Label', code: 'already_exists', field: 'name' }])
    // An issue using the label in another case reuses it rather than creating a second one.
    await octokit.issues.create({ owner, repo, title: 't', labels: ['AUDIT-SYNC'] })
    expect(fake.labels.map((label) => label.name)).toEqual(['audit-sync'])
  })
})

describe('issues without the issues permission', () => {
  const start = useFakeGitHub()

  it('answers 403 Resource not accessible by integration', async () => {
    const fake = await start({ permissions: { issues: 'none' } })
    const octokit = clientFor(fake)
    for (const request of [
      () => octokit.issues.listForRepo({ owner: fake.owner, repo: fake.repo }),
      () => octokit.issues.create({ owner: fake.owner, repo: fake.repo, title: 't' }),
      () => octokit.issues.createComment({ owner: fake.owner, repo: fake.repo, issue_number: 1, body: 'b' })
    ]) {
      const { status, data } = await failure(request())
      expect(status).toBe(403)
      expect(data.message).toBe('Resource not accessible by integration')
    }
    expect(fake.issues).toHaveLength(0)
    // Contents access is unaffected.
    expect((await octokit.git.getRef({ owner: fake.owner, repo: fake.repo, ref: 'heads/main' })).status).toBe(200)
  })
})
