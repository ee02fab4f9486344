import { ZERO_SHA, isSha, type GitStore, type GuardedRefUpdate } from './git-store.js'
import { nodeId } from './render.js'

/**
 * The slice of GitHub's GraphQL API (POST /graphql) the action uses: the text of many blobs
 * in one query, by object id,
 *
 *   query ($owner: String!, $name: String!) {
 *     repository(owner: $owner, name: $name) {
 *       b0: object(oid: "<sha>") { ... on Blob { byteSize isBinary isTruncated text } }
 *     }
 *   }
 *
 * as https://docs.github.com/graphql/reference/objects#blob describes the fields: `text` is
 * null for a binary blob, and cut short (`isTruncated`) past a size GitHub does not document
 * (the fake's `blobTextLimit`). Queries outside this shape get GraphQL errors, as a query
 * asking for something GitHub does not have would: a test against the fake must not pass
 * with a query GitHub would refuse.
 *
 * And one mutation, the compare-and-swap of a branch
 * (https://docs.github.com/graphql/reference/mutations#updaterefs), with its input in variables:
 *
 *   mutation ($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
 *     updateRefs(input: { repositoryId: $repositoryId, refUpdates: $refUpdates }) { clientMutationId }
 *   }
 *
 * GitHub does not document the error a refused update answers; the fake answers an
 * UNPROCESSABLE error naming the ref, and callers must not depend on its text.
 */
export interface GraphqlConfig {
  owner: string
  repo: string
  store: GitStore
  /** Bytes of a blob's text served before `isTruncated`. */
  blobTextLimit: number
  /** Whether the token may write contents (mutations need it). */
  canWrite: boolean
}

const BLOB_FIELDS = new Set(['byteSize', 'isBinary', 'isTruncated', 'text', 'oid'])
/** Git's own test for binary content: a NUL byte in the first 8000 bytes. */
const BINARY_SNIFF_BYTES = 8000

type Value = { variable: string } | { literal: string }
interface ObjectSelection {
  alias: string
  oid: Value
  fields: string[]
}

/** Answers one GraphQL request body: `{ data }`, or `{ errors }` (HTTP 200, as GitHub does). */
export async function answerGraphql(body: unknown, config: GraphqlConfig): Promise<unknown> {
  const request = body as { query?: unknown; variables?: unknown } | undefined
  if (typeof request?.query !== 'string')
    return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] }
  const variables = (request.variables ?? {}) as Record<string, unknown>
  if (/^\s*mutation\b/.test(request.query)) return answerUpdateRefs(request.query, variables, config)
  let parsed: { args: Record<string, Value>; objects: ObjectSelection[] }
  try {
    parsed = parse(request.query)
  } catch (error) {
    return { errors: [{ message: (error as Error).message }] }
  }
  const resolve = (value: Value): unknown => ('literal' in value ? value.literal : variables[value.variable])
  const owner = resolve(parsed.args.owner ?? { literal: '' })
  const name = resolve(parsed.args.name ?? { literal: '' })
  if (typeof owner !== 'string' || typeof name !== 'string')
    return { errors: [{ message: "Field 'repository' is missing required arguments: owner, name" }] }
  if (owner.toLowerCase() !== config.owner.toLowerCase() || name.toLowerCase() !== config.repo.toLowerCase()) {
    return {
      data: { repository: null },
      errors: [
        {
          type: 'NOT_FOUND',
          path: ['repository'],
          message: `Could not resolve to a Repository with the name '${owner}/${name}'.`
        }
      ]
    }
  }
  const oids = parsed.objects.map((object) => resolve(object.oid))
  const invalid = parsed.objects.find((_, index) => typeof oids[index] !== 'string')
  if (invalid) return { errors: [{ message: `Argument 'oid' on Field '${invalid.alias}' has an invalid value.` }] }
  const found = await config.store.describeObjects(oids as string[])
  const blobs = await config.store.readBlobs(oids as string[])
  const repository: Record<string, unknown> = {}
  parsed.objects.forEach((object, index) => {
    const oid = oids[index] as string
    const bytes = blobs.get(oid)
    if (bytes === undefined) {
      // Not in the repository: null; another kind of object: the fragment `... on Blob` does not apply.
      repository[object.alias] = found.get(oid) ? {} : null
      return
    }
    const isBinary = bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)
    const values: Record<string, unknown> = {
      byteSize: bytes.length,
      isBinary,
      isTruncated: bytes.length > config.blobTextLimit,
      text: isBinary ? null : bytes.subarray(0, config.blobTextLimit).toString('utf8'),
      oid
    }
    repository[object.alias] = Object.fromEntries(object.fields.map((field) => [field, values[field]]))
  })
  return { data: { repository } }
}

/** Tokens of a GraphQL document: punctuators, names, strings (commas are whitespace). */
function tokenize(query: string): string[] {
  const tokens: string[] = []
  const pattern = /\s+|,|#[^\n]*|(\.\.\.|[{}():!$[\]])|([_A-Za-z][_0-9A-Za-z]*)|("(?:[^"\\\n]|\\.)*")|(.)/gy
  for (let match = pattern.exec(query); match !== null && match[0] !== ''; match = pattern.exec(query)) {
    if (match[4] !== undefined) throw new Error(`Parse error on "${match[4]}" at offset ${match.index}`)
    const token = match[1] ?? match[2] ?? match[3]
    if (token !== undefined) tokens.push(token)
  }
  return tokens
}

function parse(query: string): { args: Record<string, Value>; objects: ObjectSelection[] } {
  const tokens = tokenize(query)
  let at = 0
  const peek = (): string | undefined => tokens[at]
  const take = (expected?: string): string => {
    const token = tokens[at++]
    if (token === undefined) throw new Error('Parse error on end of query')
    if (expected !== undefined && token !== expected)
      throw new Error(`Parse error on "${token}" (expected "${expected}")`)
    return token
  }
  const name = (): string => {
    const token = take()
    if (!/^[_A-Za-z]/.test(token)) throw new Error(`Parse error on "${token}" (expected a name)`)
    return token
  }
  // Variable name → its type; GitHub refuses a variable whose type does not fit the argument.
  const declared = new Map<string, string>()
  const value = (type: string): Value => {
    if (peek() === '$') {
      take('$')
      const variable = name()
      const declaredType = declared.get(variable)
      if (declaredType === undefined) throw new Error(`Variable $${variable} is used but not declared`)
      if (declaredType !== type)
        throw new Error(`Type mismatch on variable $${variable}: declared ${declaredType}!, expected ${type}`)
      return { variable }
    }
    const token = take()
    if (!token.startsWith('"')) throw new Error(`Parse error on "${token}" (expected a string or a variable)`)
    return { literal: JSON.parse(token) as string }
  }
  const args = (types: Record<string, string>): Record<string, Value> => {
    const result: Record<string, Value> = {}
    take('(')
    while (peek() !== ')') {
      const key = name()
      take(':')
      result[key] = value(types[key] ?? 'String')
    }
    take(')')
    return result
  }

  if (peek() === 'query') {
    take('query')
    if (peek() !== '(' && peek() !== '{') name()
    if (peek() === '(') {
      take('(')
      while (peek() !== ')') {
        take('$')
        const variable = name()
        take(':')
        const type = name()
        if (peek() === '!') take('!')
        if (type !== 'String' && type !== 'GitObjectID')
          throw new Error(`Variable types other than String and GitObjectID are not served by the fake: ${type}`)
        declared.set(variable, type)
      }
      take(')')
    }
  }
  take('{')
  const root = name()
  if (root !== 'repository')
    throw new Error(`Field '${root}' doesn't exist on type 'Query' (the fake serves 'repository')`)
  const repositoryArgs = args({ owner: 'String', name: 'String' })
  take('{')
  const objects: ObjectSelection[] = []
  while (peek() !== '}') {
    const alias = name()
    let field = alias
    if (peek() === ':') {
      take(':')
      field = name()
    }
    if (field !== 'object')
      throw new Error(`Field '${field}' on 'Repository' is not served by the fake (only 'object')`)
    const objectArgs = args({ oid: 'GitObjectID' })
    if (Object.keys(objectArgs).join() !== 'oid')
      throw new Error(`'object' takes 'oid' here; got ${Object.keys(objectArgs).join(', ')}`)
    take('{')
    take('...')
    take('on')
    const type = name()
    if (type !== 'Blob') throw new Error(`Fragments on '${type}' are not served by the fake (only 'Blob')`)
    take('{')
    const fields: string[] = []
    while (peek() !== '}') {
      const blobField = name()
      if (!BLOB_FIELDS.has(blobField)) throw new Error(`Field '${blobField}' doesn't exist on type 'Blob'`)
      fields.push(blobField)
    }
    take('}')
    take('}')
    if (objects.some((object) => object.alias === alias))
      throw new Error(`Field '${alias}' appears twice with different arguments`)
    objects.push({ alias, oid: objectArgs.oid!, fields })
  }
  take('}')
  take('}')
  if (at !== tokens.length) throw new Error(`Parse error on "${tokens[at]}" after the query`)
  return { args: repositoryArgs, objects }
}

/** The one mutation shape the fake serves, token by token (names of the operation aside). */
const UPDATE_REFS_SHAPE = [
  '(',
  '$',
  'repositoryId',
  ':',
  'ID',
  '!',
  '$',
  'refUpdates',
  ':',
  '[',
  'RefUpdate',
  '!',
  ']',
  '!',
  ')',
  '{',
  'updateRefs',
  '(',
  'input',
  ':',
  '{',
  'repositoryId',
  ':',
  '$',
  'repositoryId',
  'refUpdates',
  ':',
  '$',
  'refUpdates',
  '}',
  ')',
  '{',
  'clientMutationId',
  '}',
  '}'
]

async function answerUpdateRefs(
  query: string,
  variables: Record<string, unknown>,
  config: GraphqlConfig
): Promise<unknown> {
  let tokens: string[]
  try {
    tokens = tokenize(query)
  } catch (error) {
    return { errors: [{ message: (error as Error).message }] }
  }
  const shape = tokens[1] === '(' ? tokens.slice(1) : tokens.slice(2)
  if (shape.join(' ') !== UPDATE_REFS_SHAPE.join(' '))
    return { errors: [{ message: 'The fake serves one mutation: updateRefs, with its input as variables.' }] }
  if (!config.canWrite) {
    return {
      data: { updateRefs: null },
      errors: [{ type: 'FORBIDDEN', path: ['updateRefs'], message: 'Resource not accessible by integration' }]
    }
  }
  if (variables.repositoryId !== nodeId('Repository', `${config.owner}/${config.repo}`)) {
    return {
      data: { updateRefs: null },
      errors: [
        {
          type: 'NOT_FOUND',
          path: ['updateRefs'],
          message: `Could not resolve to a node with the global id of '${String(variables.repositoryId)}'`
        }
      ]
    }
  }
  const updates: GuardedRefUpdate[] = []
  for (const raw of Array.isArray(variables.refUpdates) ? variables.refUpdates : [undefined]) {
    const update = raw as Record<string, unknown> | undefined
    const name = update?.name
    if (
      typeof name !== 'string' ||
      !name.startsWith('refs/') ||
      !isSha(update?.afterOid) ||
      (update?.beforeOid !== undefined && !isSha(update.beforeOid))
    )
      return { errors: [{ message: 'Variable $refUpdates of type [RefUpdate!]! was provided invalid value' }] }
    if (update?.afterOid !== ZERO_SHA && (await config.store.describeObject(update!.afterOid as string)) === null)
      return {
        data: { updateRefs: null },
        errors: [
          { type: 'UNPROCESSABLE', path: ['updateRefs'], message: `Object ${String(update!.afterOid)} does not exist` }
        ]
      }
    const current = (await config.store.getRef(name))?.sha ?? ZERO_SHA
    updates.push({
      ref: name,
      beforeOid: (update!.beforeOid as string | undefined) ?? current,
      afterOid: update!.afterOid as string,
      force: update!.force === true
    })
  }
  const refused = await config.store.updateRefsGuarded(updates)
  if (refused) {
    return {
      data: { updateRefs: null },
      errors: [
        { type: 'UNPROCESSABLE', path: ['updateRefs'], message: `Could not update ${refused.ref}: ${refused.reason}` }
      ]
    }
  }
  return { data: { updateRefs: { clientMutationId: null } } }
}
