import { describe, expect, it } from 'vitest'
import { createGitHubClient } from '../../src/github/client.js'
import { createGitDatabase, type GitDatabase } from '../../src/github/git-database.js'
import type { FakeGitHub, FakeGitHubOptions } from '../fake-github/index.js'
import { useFakeGitHub } from '../fake-github/test-client.js'

const startFake = useFakeGitHub()

/** A data branch holding `files`, and the Git Data adapter the action reads it with. */
async function branchWith(
  files: Record<string, Buffer>,
  options: FakeGitHubOptions = {}
): Promise<{ github: FakeGitHub; git: GitDatabase; blobs: Map<string, { sha: string; size: number }> }> {
  const fake = await startFake(options)
  await fake.commitFiles('audit-data', files)
  const git = createGitDatabase(createGitHubClient({ token: fake.token, baseUrl: fake.url, pacingMs: 0 }), fake)
  const head = await git.getHead('audit-data')
  return { github: fake, git, blobs: await git.listFiles(head!.treeSha) }
}

/** `count` small key files, as a day's additions leave them. */
function keyFiles(count: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {}
  for (let index = 0; index < count; index++)
    files[`state/keys/f${index}.keys`] = Buffer.from(`${Buffer.alloc(8, index).toString('base64')}\n`)
  return files
}

/** GitHub's answer to a token that may not use the GraphQL API. */
const GRAPHQL_REFUSED = {
  method: 'POST',
  path: /^\/graphql$/,
  status: 403,
  body: { message: 'Resource not accessible by integration' }
} as const

const count = (github: FakeGitHub, method: string, path: RegExp): number =>
  github.requests.filter((request) => request.method === method && path.test(request.path)).length

describe('reading many small blobs', () => {
  it('reads hundreds of text files in a few GraphQL requests, byte for byte', async () => {
    const files = keyFiles(250)
    const { github, git, blobs } = await branchWith(files)
    const before = github.requests.length
    const read = await git.readBlobs([...blobs.values()])
    for (const [path, bytes] of Object.entries(files)) expect(read.get(blobs.get(path)!.sha)).toEqual(bytes)
    const requests = github.requests.slice(before)
    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual(Array(3).fill('POST /graphql'))
  })

  it('reads over REST what GraphQL does not give whole: binary, cut short, not UTF-8, large', async () => {
    const files = {
      'text.keys': Buffer.from('AAAAAAAAAAA=\n'),
      'binary.bin': Buffer.from([0x41, 0x00, 0x42]),
      'long.keys': Buffer.from('B'.repeat(300)),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      'large.keys': Buffer.alloc(300 * 1024, 0x43)
    }
    const { github, git, blobs } = await branchWith(files, { blobTextLimit: 200 })
    const before = github.requests.length
    const read = await git.readBlobs([...blobs.values()])
    for (const [path, bytes] of Object.entries(files)) expect(read.get(blobs.get(path)!.sha), path).toEqual(bytes)
    const requests = github.requests.slice(before)
    expect(requests.filter((request) => request.path === '/graphql')).toHaveLength(1)
    expect(requests.filter((request) => request.path.includes('/git/blobs/'))).toHaveLength(4)
  })

  it('falls back to REST when the GraphQL API refuses, and fails as REST explains', async () => {
    const files = { 'a.keys': Buffer.from('AQEBAQEBAQE=\n'), 'b.keys': Buffer.from('AgICAgICAgI=\n') }
    const { github, git, blobs } = await branchWith(files)
    github.faults.add(GRAPHQL_REFUSED)
    const read = await git.readBlobs([...blobs.values()])
    expect(read.get(blobs.get('a.keys')!.sha)).toEqual(files['a.keys'])
    expect(count(github, 'GET', /\/git\/blobs\//)).toBe(2)

    github.faults.add({
      method: 'POST',
      path: /^\/graphql$/,
      status: 200,
      body: { errors: [{ message: 'Something went wrong' }] }
    })
    github.faults.add({ method: 'GET', path: /\/git\/blobs\//, status: 404, times: Infinity })
    await expect(git.readBlobs([blobs.get('b.keys')!])).rejects.toThrow(/read blob [0-9a-f]{40} .*404/)
  })

  it('asks GraphQL no more once a batch fails, and reads the rest over REST', async () => {
    const files = keyFiles(250)
    const { github, git, blobs } = await branchWith(files)
    github.faults.add(GRAPHQL_REFUSED)
    const before = github.requests.length
    const read = await git.readBlobs([...blobs.values()])
    for (const [path, bytes] of Object.entries(files)) expect(read.get(blobs.get(path)!.sha)).toEqual(bytes)
    const requests = github.requests.slice(before)
    expect(requests.filter((request) => request.path === '/graphql')).toHaveLength(1)
    expect(requests.filter((request) => request.path.includes('/git/blobs/'))).toHaveLength(250)
  })
})
