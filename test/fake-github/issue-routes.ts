import { invalidRequest, notFound, validationFailed, type ValidationErrorDetail } from './errors.js'
import {
  BOT_LOGIN,
  type FakeComment,
  type FakeIssue,
  type FakeLabel,
  type IssuePatch,
  type IssueStore
} from './issue-store.js'
import { paginate } from './pagination.js'
import { nodeId, type UrlContext } from './render.js'
import type { Reply, Route, RouteContext } from './router.js'
import { optionalString, requireObject, requireString } from './validate.js'

/** GitHub's limit on issue and comment bodies, in characters. */
export const MAX_BODY_LENGTH = 65536

const DOCS = {
  listIssues: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  createIssue: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  getIssue: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  updateIssue: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  addLabels: 'https://docs.github.com/rest/issues/labels#add-labels-to-an-issue',
  listComments: 'https://docs.github.com/rest/issues/comments#list-issue-comments',
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  listLabels: 'https://docs.github.com/rest/issues/labels#list-labels-for-a-repository',
  getLabel: 'https://docs.github.com/rest/issues/labels#get-a-label',
  createLabel: 'https://docs.github.com/rest/issues/labels#create-a-label'
} as const

/** The Issues API subset: issues, comments and labels, kept in an {@link IssueStore}. */
export function issueRoutes(store: IssueStore): Route[] {
  const route = (method: Route['method'], pattern: string, docs: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    docs,
    scope: 'issues',
    handler
  })
  const findIssue = (context: RouteContext): FakeIssue => {
    const issue = store.get(Number(context.params.number))
    if (issue === undefined) throw notFound()
    return issue
  }

  return [
    route('GET', '/issues', DOCS.listIssues, async (context) => {
      const { query } = context
      const state = query.get('state') ?? 'open'
      if (state !== 'open' && state !== 'closed' && state !== 'all')
        throw invalidRequest(`"state" is "${state}", not one of open, closed, all.`)
      const wanted = (query.get('labels') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== '')
      const matching = store.issues.filter(
        (issue) =>
          (state === 'all' || issue.state === state) &&
          wanted.every((name) => issue.labels.some((label) => label.toLowerCase() === name))
      )
      return listReply(sortIssues(matching, query), query, `${context.repoApiUrl}/issues`, (issue) =>
        renderIssue(context, store, issue)
      )
    }),

    route('POST', '/issues', DOCS.createIssue, async (context) => {
      const body = requireObject(context.body)
      if (typeof body.title !== 'string' || body.title === '') {
        throw validationFailed({ resource: 'Issue', code: 'missing_field', field: 'title' })
      }
      const text = checkBody(optionalString(body, 'body') ?? null, 'Issue')
      const issue = store.create({ title: body.title, body: text, labels: parseLabels(body.labels) ?? [] })
      return {
        status: 201,
        body: renderIssue(context, store, issue),
        headers: { location: `${context.repoApiUrl}/issues/${issue.number}` }
      }
    }),

    route('GET', '/issues/:number', DOCS.getIssue, async (context) => ({
      status: 200,
      body: renderIssue(context, store, findIssue(context))
    })),

    route('PATCH', '/issues/:number', DOCS.updateIssue, async (context) => {
      const issue = findIssue(context)
      const body = requireObject(context.body)
      const patch: IssuePatch = {}
      const title = optionalString(body, 'title')
      if (title !== undefined) patch.title = title
      if ('body' in body) patch.body = checkBody(optionalString(body, 'body') ?? null, 'Issue')
      const state = optionalString(body, 'state')
      if (state !== undefined) {
        if (state !== 'open' && state !== 'closed')
          throw validationFailed({ resource: 'Issue', code: 'invalid', field: 'state' })
        patch.state = state
      }
      const reason = optionalString(body, 'state_reason')
      if (reason !== undefined) {
        if (reason !== 'completed' && reason !== 'not_planned' && reason !== 'reopened') {
          throw validationFailed({ resource: 'Issue', code: 'invalid', field: 'state_reason' })
        }
        patch.state_reason = reason
      }
      const labels = parseLabels(body.labels)
      if (labels !== undefined) patch.labels = labels
      return { status: 200, body: renderIssue(context, store, store.update(issue, patch)) }
    }),

    route('POST', '/issues/:number/labels', DOCS.addLabels, async (context) => {
      const issue = findIssue(context)
      const labels = parseLabels(requireObject(context.body).labels)
      if (labels === undefined) throw invalidRequest('"labels" wasn\'t supplied.')
      store.addLabels(issue, labels)
      return { status: 200, body: issue.labels.map((name) => renderLabel(context, store.findLabel(name))) }
    }),

    route('GET', '/issues/:number/comments', DOCS.listComments, async (context) => {
      const issue = findIssue(context)
      const url = `${context.repoApiUrl}/issues/${issue.number}/comments`
      return listReply(issue.comments, context.query, url, (comment) => renderComment(context, issue, comment))
    }),

    route('POST', '/issues/:number/comments', DOCS.createComment, async (context) => {
      const issue = findIssue(context)
      const body = requireObject(context.body)
      if (typeof body.body !== 'string' || body.body === '') {
        throw validationFailed({ resource: 'IssueComment', code: 'missing_field', field: 'body' })
      }
      const comment = store.comment(issue, checkBody(body.body, 'IssueComment'))
      return { status: 201, body: renderComment(context, issue, comment) }
    }),

    route('GET', '/labels', DOCS.listLabels, async (context) =>
      listReply(store.labels, context.query, `${context.repoApiUrl}/labels`, (label) => renderLabel(context, label))
    ),

    route('GET', '/labels/:name', DOCS.getLabel, async (context) => {
      const label = store.findLabel(context.params.name ?? '')
      if (label === undefined) throw notFound()
      return { status: 200, body: renderLabel(context, label) }
    }),

    route('POST', '/labels', DOCS.createLabel, async (context) => {
      const body = requireObject(context.body)
      const name = requireString(body, 'name')
      if (store.findLabel(name) !== undefined) {
        throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' })
      }
      const color = (optionalString(body, 'color') ?? 'ededed').replace(/^#/, '')
      const label = store.createLabel(name, color, optionalString(body, 'description') ?? null)
      return { status: 201, body: renderLabel(context, label) }
    })
  ]
}

/** Enforces GitHub's body limit (counted in characters, not UTF-16 units or bytes). */
function checkBody<T extends string | null>(body: T, resource: ValidationErrorDetail['resource']): T {
  if (typeof body === 'string' && [...body].length > MAX_BODY_LENGTH) {
    throw validationFailed({
      resource,
      code: 'custom',
      field: 'body',
      message: `body is too long (maximum is ${MAX_BODY_LENGTH} characters)`
    })
  }
  return body
}

/** `labels` as GitHub takes it: names, or objects with a `name`. */
function parseLabels(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw invalidRequest('"labels" is not an array.')
  return value.map((item) => {
    if (typeof item === 'string') return item
    if (typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string') {
      return (item as { name: string }).name
    }
    throw invalidRequest(`"labels" contains ${JSON.stringify(item)}, which is neither a name nor a label object.`)
  })
}

function sortIssues(issues: readonly FakeIssue[], query: URLSearchParams): FakeIssue[] {
  const sort = query.get('sort') ?? 'created'
  const ascending = query.get('direction') === 'asc'
  const key = (issue: FakeIssue): string | number =>
    sort === 'updated' ? issue.updated_at : sort === 'comments' ? issue.comments.length : issue.created_at
  // Timestamps have one-second resolution; the issue number breaks ties in creation order.
  const sorted = [...issues].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number))
  return ascending ? sorted : sorted.reverse()
}

function listReply<T>(items: readonly T[], query: URLSearchParams, url: string, render: (item: T) => unknown): Reply {
  const page = paginate(items, query, url)
  return { status: 200, body: page.items.map(render), ...(page.link ? { headers: { link: page.link } } : {}) }
}

function renderUser(): unknown {
  return { login: BOT_LOGIN, id: 41898282, type: 'Bot' }
}

function renderLabel(urls: UrlContext, label: FakeLabel | undefined): unknown {
  if (label === undefined) return undefined
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${urls.repoApiUrl}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: label.description
  }
}

function renderIssue(urls: UrlContext, store: IssueStore, issue: FakeIssue): unknown {
  const url = `${urls.repoApiUrl}/issues/${issue.number}`
  return {
    id: issue.id,
    node_id: nodeId('Issue', issue.id),
    url,
    repository_url: urls.repoApiUrl,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${urls.repoHtmlUrl}/issues/${issue.number}`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.state_reason,
    title: issue.title,
    body: issue.body,
    user: renderUser(),
    labels: issue.labels.map((name) => renderLabel(urls, store.findLabel(name))),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: issue.comments.length,
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    closed_at: issue.closed_at,
    author_association: 'NONE'
  }
}

function renderComment(urls: UrlContext, issue: FakeIssue, comment: FakeComment): unknown {
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${urls.repoApiUrl}/issues/comments/${comment.id}`,
    html_url: `${urls.repoHtmlUrl}/issues/${issue.number}#issuecomment-${comment.id}`,
    issue_url: `${urls.repoApiUrl}/issues/${issue.number}`,
    body: comment.body,
    user: renderUser(),
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    author_association: 'NONE'
  }
}
