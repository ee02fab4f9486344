import { describe, expect, it } from 'vitest'
import type { FakeGitHub } from './index.js'
import { clientFor, useFakeGitHub } from './test-client.js'

/** The action's query shape, with the object id as a declared variable `$first`. */
const BLOB_QUERY = `query ($owner: String!, $name: String!, $first: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    b0: object(oid: $first) { ... on Blob { byteSize isBinary isTruncated text } }
  }
}`
/** The same with the object id inlined. */
const inlined = (sha: string): string => BLOB_QUERY.replace(', $first: GitObjectID!', '').replace('$first', `"${sha}"`)

describe('GraphQL: blob texts by object id', () => {
  const start = useFakeGitHub()

  async function blobs(github: FakeGitHub, files: Record<string, string | Buffer>): Promise<string[]> {
    await github.commitFiles('data', files)
    const listing = await github.git(['ls-tree', 'data'])
    return Object.keys(files).map((path) => new RegExp(`blob ([0-9a-f]{40})\\t${path}$`, 'm').exec(listing)![1]!)
  }

  async function post(github: FakeGitHub, body: unknown, url = `${github.url}/graphql`): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      headers: { authorization: `bearer ${github.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
  }

  it('answers many blobs in one query: text, binary (no text), truncated, missing', async () => {
    const github = await start({ blobTextLimit: 10 })
    const [text, binary, long] = await blobs(github, {
      'a.txt': 'hello\n',
      'b.bin': Buffer.from([1, 0, 2]),
      'c.txt': 'x'.repeat(25)
    })
    const fields = '... on Blob { byteSize isBinary isTruncated text }'
    const query = `query ($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {
      t: object(oid: "${text}") { ${fields} }
      b: object(oid: "${binary}") { ${fields} }
      l: object(oid: "${long}") { ${fields} }
      m: object(oid: "${'0'.repeat(40)}") { ${fields} }
    } }`
    const data = await clientFor(github).graphql(query, { owner: 'Contoso', name: 'audit' })
    expect(data).toEqual({
      repository: {
        t: { byteSize: 6, isBinary: false, isTruncated: false, text: 'hello\n' },
        b: { byteSize: 3, isBinary: true, isTruncated: false, text: null },
        l: { byteSize: 25, isBinary: false, isTruncated: true, text: 'x'.repeat(10) },
        m: null
      }
    })
    expect(github.requests.at(-1)).toMatchObject({ method: 'POST', path: '/graphql', status: 200 })
  })

  it('takes variables for object ids, and answers only the fields asked for', async () => {
    const github = await start()
    const [sha] = await blobs(github, { 'a.txt': 'abc' })
    const response = await post(github, {
      query: BLOB_QUERY.replace('byteSize isBinary isTruncated text', 'text'),
      variables: { owner: 'contoso', name: 'audit', first: sha }
    })
    expect(await response.json()).toEqual({ data: { repository: { b0: { text: 'abc' } } } })
  })

  it('answers errors, not data, for another repository or a query it does not serve', async () => {
    const github = await start()
    const elsewhere = await post(github, {
      query: inlined('0'.repeat(40)),
      variables: { owner: 'contoso', name: 'elsewhere' }
    })
    expect(await elsewhere.json()).toMatchObject({
      data: { repository: null },
      errors: [{ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'contoso/elsewhere'." }]
    })
    const sha = '0'.repeat(40)
    for (const [query, message] of [
      ['{ viewer { login } }', /^Field 'viewer' doesn't exist on type 'Query'/],
      [inlined(sha).replace('text', 'content'), /^Field 'content' doesn't exist on type 'Blob'$/],
      ['{ repository(owner: "contoso"', /^Parse error on end of query$/],
      [BLOB_QUERY.replace(', $first: GitObjectID!', ''), /^Variable \$first is used but not declared$/],
      [BLOB_QUERY.replace('$first: GitObjectID!', '$first: String!'), /^Type mismatch on variable \$first/]
    ] as const) {
      const response = await post(github, { query, variables: { owner: 'contoso', name: 'audit', first: sha } })
      expect(response.status).toBe(200)
      const body = (await response.json()) as { data?: unknown; errors: { message: string }[] }
      expect(body.data, query).toBeUndefined()
      expect(body.errors.map((error) => error.message)).toEqual([expect.stringMatching(message)])
    }
  })

  it('wants the token, and sits at /api/graphql beside a server’s /api/v3', async () => {
    const github = await start({ pathPrefix: '/api/v3' })
    const [sha] = await blobs(github, { 'a.txt': 'abc' })
    const query = inlined(sha!)
    const anonymous = await fetch(`${new URL(github.url).origin}/api/graphql`, { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    const response = await post(
      github,
      { query, variables: { owner: 'contoso', name: 'audit' } },
      `${new URL(github.url).origin}/api/graphql`
    )
    expect(await response.json()).toMatchObject({ data: { repository: { b0: { text: 'abc' } } } })
  })
})

describe('GraphQL: updateRefs, the compare-and-swap of refs', () => {
  const start = useFakeGitHub()
  const MUTATION = `mutation ($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
  updateRefs(input: { repositoryId: $repositoryId, refUpdates: $refUpdates }) { clientMutationId }
}`

  async function updateRefs(github: FakeGitHub, refUpdates: unknown[], repositoryId?: string): Promise<unknown> {
    const repository = (await (
      await fetch(`${github.url}/repos/contoso/audit`, { headers: { authorization: `token ${github.token}` } })
    ).json()) as { node_id: string }
    const response = await fetch(`${github.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `bearer ${github.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: MUTATION,
        variables: { repositoryId: repositoryId ?? repository.node_id, refUpdates }
      })
    })
    expect(response.status).toBe(200)
    return response.json()
  }

  /** Two commits on `data`, the second on the first; the branch left at the first. */
  async function twoCommits(github: FakeGitHub): Promise<[string, string]> {
    const first = await github.commitFiles('data', { 'a.txt': 'a' })
    const second = await github.commitFiles('data', { 'b.txt': 'b' })
    await github.git(['update-ref', 'refs/heads/data', first])
    return [first, second]
  }

  it('moves a ref that still points at beforeOid, and refuses one that does not, changing nothing', async () => {
    const github = await start()
    const [first, second] = await twoCommits(github)
    const stale = await updateRefs(github, [{ name: 'refs/heads/data', beforeOid: second, afterOid: second }])
    expect(stale).toMatchObject({
      data: { updateRefs: null },
      errors: [{ type: 'UNPROCESSABLE', message: expect.stringContaining('refs/heads/data') }]
    })
    expect(await github.git(['rev-parse', 'data'])).toBe(first)
    expect(await updateRefs(github, [{ name: 'refs/heads/data', beforeOid: first, afterOid: second }])).toEqual({
      data: { updateRefs: { clientMutationId: null } }
    })
    expect(await github.git(['rev-parse', 'data'])).toBe(second)
  })

  it('refuses a move back without force, applies all updates or none, and creates a ref from zeros', async () => {
    const github = await start()
    const [first, second] = await twoCommits(github)
    await github.git(['update-ref', 'refs/heads/data', second])
    expect(await updateRefs(github, [{ name: 'refs/heads/data', beforeOid: second, afterOid: first }])).toMatchObject({
      errors: [{ message: expect.stringContaining('not a fast forward') }]
    })
    const zeros = '0'.repeat(40)
    const mixed = await updateRefs(github, [
      { name: 'refs/heads/copy', beforeOid: zeros, afterOid: first },
      { name: 'refs/heads/data', beforeOid: first, afterOid: second }
    ])
    expect(mixed).toMatchObject({ errors: [{ type: 'UNPROCESSABLE' }] })
    expect(await github.git(['for-each-ref', '--format=%(refname)', 'refs/heads/copy'])).toBe('')
    await updateRefs(github, [{ name: 'refs/heads/copy', beforeOid: zeros, afterOid: first }])
    expect(await github.git(['rev-parse', 'copy'])).toBe(first)
    await updateRefs(github, [{ name: 'refs/heads/data', beforeOid: second, afterOid: first, force: true }])
    expect(await github.git(['rev-parse', 'data'])).toBe(first)
  })

  it('answers FORBIDDEN to a read-only token and NOT_FOUND to another repository id', async () => {
    const readOnly = await start({ permissions: { contents: 'read' } })
    const [first, second] = await twoCommits(readOnly)
    expect(await updateRefs(readOnly, [{ name: 'refs/heads/data', beforeOid: first, afterOid: second }])).toMatchObject(
      {
        errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }]
      }
    )
    const github = await start()
    const [a, b] = await twoCommits(github)
    expect(
      await updateRefs(github, [{ name: 'refs/heads/data', beforeOid: a, afterOid: b }], 'UmVwb3NpdG9yeTpvdGhlcg')
    ).toMatchObject({ errors: [{ type: 'NOT_FOUND' }] })
    expect(await github.git(['rev-parse', 'data'])).toBe(a)
  })
})
