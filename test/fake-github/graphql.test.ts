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
