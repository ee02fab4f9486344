import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SECONDARY_RATE_LIMIT_MESSAGE, secondaryRateLimit } from './index.js'
import { clientFor, failure, useFakeGitHub } from './test-client.js'

describe('HTTP layer', () => {
  const owner = 'contoso'
  const repo = 'audit'
  const start = useFakeGitHub()

  describe('authentication', () => {
    it('rejects a wrong token and a missing one with 401 Bad credentials', async () => {
      const github = await start({ token: 'ghs_right' })
      const wrong = await failure(clientFor(github, 'ghs_wrong').repos.get({ owner, repo }))
      expect(wrong).toMatchObject({
        status: 401,
        data: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }
      })
      const anonymous = await fetch(`${github.url}/repos/${owner}/${repo}`)
      expect(anonymous.status).toBe(401)
      expect(await anonymous.json()).toMatchObject({ message: 'Bad credentials' })
    })

    it('accepts both `token X` and `Bearer X`', async () => {
      const github = await start({ token: 'ghs_right' })
      for (const scheme of ['token', 'Bearer']) {
        const response = await fetch(`${github.url}/repos/${owner}/${repo}`, {
          headers: { authorization: `${scheme} ghs_right` }
        })
        expect(response.status).toBe(200)
      }
    })
  })

  it('answers 404 for another repository, and matches names case-insensitively', async () => {
    const github = await start()
    const octokit = clientFor(github)
    const other = await failure(octokit.repos.get({ owner, repo: 'elsewhere' }))
    expect([other.status, other.data.message]).toEqual([404, 'Not Found'])
    const { data } = await octokit.repos.get({ owner: 'Contoso', repo: 'AUDIT' })
    expect(data).toMatchObject({ full_name: 'contoso/audit', default_branch: 'main', permissions: { push: true } })
  })

  it('sends GitHub-like headers and logs every request', async () => {
    const github = await start()
    const octokit = clientFor(github)
    const first = await octokit.git.getRef({ owner, repo, ref: 'heads/main' })
    const second = await octokit.git.getRef({ owner, repo, ref: 'heads/main' })
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(first.headers['x-ratelimit-limit']).toBe('5000')
    expect(first.headers['x-ratelimit-resource']).toBe('core')
    expect(Number(first.headers['x-ratelimit-remaining']) - Number(second.headers['x-ratelimit-remaining'])).toBe(1)
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000)
    expect(first.headers['x-github-request-id']).toMatch(/^[0-9A-F]{4}(:[0-9A-F]+){4}$/)
    expect(first.headers['x-github-request-id']).not.toBe(second.headers['x-github-request-id'])
    expect(github.requests).toEqual([
      {
        method: 'GET',
        path: '/repos/contoso/audit/git/ref/heads%2Fmain',
        query: '',
        status: 200,
        receivedAt: expect.any(Number),
        bytes: 0
      },
      {
        method: 'GET',
        path: '/repos/contoso/audit/git/ref/heads%2Fmain',
        query: '',
        status: 200,
        receivedAt: expect.any(Number),
        bytes: 0
      }
    ])
    expect(github.requests[1]!.receivedAt).toBeGreaterThanOrEqual(github.requests[0]!.receivedAt)
  })

  it('serves under a GitHub Enterprise path prefix', async () => {
    const github = await start({ pathPrefix: '/api/v3' })
    expect(github.url).toMatch(/\/api\/v3$/)
    const { data } = await clientFor(github).git.getRef({ owner, repo, ref: 'heads/main' })
    expect(data.url).toBe(`${github.url}/repos/${owner}/${repo}/git/refs/heads/main`)
    const outside = await fetch(`${github.htmlUrl}/repos/${owner}/${repo}`, {
      headers: { authorization: `token ${github.token}` }
    })
    expect(outside.status).toBe(404)
  })

  it('deletes its repository on close, and tolerates a second close', async () => {
    const github = await start()
    expect(existsSync(github.repoPath)).toBe(true)
    await github.close()
    await github.close()
    expect(existsSync(github.repoPath)).toBe(false)
    await expect(fetch(`${github.url}/repos/${owner}/${repo}`)).rejects.toThrow()
  })

  it('answers 400 to a body that is not JSON', async () => {
    const github = await start()
    const response = await fetch(`${github.url}/repos/${owner}/${repo}/git/blobs`, {
      method: 'POST',
      headers: { authorization: `token ${github.token}`, 'content-type': 'application/json' },
      body: '{"content": '
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ message: 'Problems parsing JSON' })
  })

  describe('fault injection', () => {
    it('answers a 502 once, then lets the API through', async () => {
      const github = await start()
      const octokit = clientFor(github)
      const fault = github.faults.add({ method: 'GET', path: /\/git\/ref\//, status: 502 })
      const first = await failure(octokit.git.getRef({ owner, repo, ref: 'heads/main' }))
      expect([first.status, first.data.message]).toEqual([502, 'Bad Gateway'])
      expect((await octokit.git.getRef({ owner, repo, ref: 'heads/main' })).status).toBe(200)
      expect(fault.fired).toBe(1)
      expect(github.requests.map((request) => [request.status, request.injected ?? false])).toEqual([
        [502, true],
        [200, false]
      ])
    })

    it('sends a secondary rate limit with retry-after, ahead of authentication', async () => {
      const github = await start()
      github.faults.add(secondaryRateLimit(7, { method: 'POST', path: /\/git\/blobs$/, times: 2 }))
      const octokit = clientFor(github, 'ghs_not-even-valid')
      const limited = await failure(octokit.git.createBlob({ owner, repo, content: 'x' }))
      expect(limited.status).toBe(403)
      expect(limited.headers['retry-after']).toBe('7')
      expect(limited.data.message).toBe(SECONDARY_RATE_LIMIT_MESSAGE)
      expect(limited.data.message).toMatch(/^You have exceeded a secondary rate limit/)
      // The body was never seen by the API: no blob was written.
      expect(await github.git(['count-objects'])).toMatch(/^3 objects/)
    })

    it('fires on every n-th matching request only, for as many times as asked', async () => {
      const github = await start()
      const octokit = clientFor(github)
      github.faults.add({ path: /\/git\/ref\//, status: 503, every: 2, times: 2, body: 'upstream connect error' })
      const statuses: number[] = []
      for (let attempt = 0; attempt < 6; attempt++) {
        statuses.push(
          await octokit.git.getRef({ owner, repo, ref: 'heads/main' }).then(
            (r) => r.status,
            (e: { status: number }) => e.status
          )
        )
      }
      expect(statuses).toEqual([503, 200, 503, 200, 200, 200])
    })

    it('lets the first matching requests through when asked to fire only after them', async () => {
      const github = await start()
      const octokit = clientFor(github)
      github.faults.add({
        path: /\/git\/ref\//,
        status: 503,
        after: 2,
        times: Infinity,
        body: 'upstream connect error'
      })
      const statuses: number[] = []
      for (let attempt = 0; attempt < 4; attempt++) {
        statuses.push(
          await octokit.git.getRef({ owner, repo, ref: 'heads/main' }).then(
            (r) => r.status,
            (e: { status: number }) => e.status
          )
        )
      }
      expect(statuses).toEqual([200, 200, 503, 503])
    })

    it('can be removed or cleared', async () => {
      const github = await start()
      const octokit = clientFor(github)
      const fault = github.faults.add({ status: 500, times: Infinity })
      expect((await failure(octokit.repos.get({ owner, repo }))).status).toBe(500)
      fault.remove()
      expect((await octokit.repos.get({ owner, repo })).status).toBe(200)
      github.faults.add({ status: 500, times: Infinity })
      github.faults.clear()
      expect((await octokit.repos.get({ owner, repo })).status).toBe(200)
    })
  })

  describe('permissions', () => {
    it('refuses git writes with 403 when contents is read-only, but serves reads', async () => {
      const github = await start({ permissions: { contents: 'read' } })
      const octokit = clientFor(github)
      const head = await octokit.git.getRef({ owner, repo, ref: 'heads/main' })
      for (const request of [
        () => octokit.git.createBlob({ owner, repo, content: 'x' }),
        () => octokit.git.createRef({ owner, repo, ref: 'refs/heads/audit-data', sha: head.data.object.sha }),
        () => octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: head.data.object.sha })
      ]) {
        const { status, data } = await failure(request())
        expect(status).toBe(403)
        expect(data.message).toBe('Resource not accessible by integration')
      }
      expect((await octokit.repos.get({ owner, repo })).data.permissions).toMatchObject({ push: false, pull: true })
    })
  })
})
