import { toIsoSeconds } from './time.js'

/** A label of the repository. */
export interface FakeLabel {
  id: number
  name: string
  color: string
  description: string | null
}

/** A comment on an issue. */
export interface FakeComment {
  id: number
  body: string
  /** Login of the author (the token's bot). */
  user: string
  created_at: string
  updated_at: string
}

/** An issue as the fake keeps it; tests read these directly. */
export interface FakeIssue {
  id: number
  number: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  state_reason: 'completed' | 'not_planned' | 'reopened' | null
  /** Label names, in the order they were applied. */
  labels: string[]
  comments: FakeComment[]
  user: string
  created_at: string
  updated_at: string
  closed_at: string | null
}

/** Fields `PATCH /issues/{n}` may change. */
export interface IssuePatch {
  title?: string
  body?: string | null
  state?: 'open' | 'closed'
  state_reason?: FakeIssue['state_reason']
  labels?: string[]
}

/** The login every issue and comment is attributed to: the token belongs to the Actions bot. */
export const BOT_LOGIN = 'github-actions[bot]'

/** In-memory issues, comments and labels of the one repository. */
export class IssueStore {
  readonly issues: FakeIssue[] = []
  readonly labels: FakeLabel[] = []
  private nextId = 1000

  constructor(private readonly clock: () => Date) {}

  /** The label named `name` (case-insensitively, as on GitHub), or `undefined`. */
  findLabel(name: string): FakeLabel | undefined {
    return this.labels.find((label) => label.name.toLowerCase() === name.toLowerCase())
  }

  /** Creates a label; the caller checks for duplicates. */
  createLabel(name: string, color = 'ededed', description: string | null = null): FakeLabel {
    const label = { id: this.nextId++, name, color, description }
    this.labels.push(label)
    return label
  }

  /** The label's canonical name, creating it on first use as issue creation does on GitHub. */
  ensureLabel(name: string): string {
    return (this.findLabel(name) ?? this.createLabel(name)).name
  }

  /** Opens an issue. */
  create(fields: { title: string; body: string | null; labels: readonly string[] }): FakeIssue {
    const now = this.now()
    const issue: FakeIssue = {
      id: this.nextId++,
      number: this.issues.length + 1,
      title: fields.title,
      body: fields.body,
      state: 'open',
      state_reason: null,
      labels: this.canonicalLabels(fields.labels),
      comments: [],
      user: BOT_LOGIN,
      created_at: now,
      updated_at: now,
      closed_at: null
    }
    this.issues.push(issue)
    return issue
  }

  /** The issue numbered `number`, or `undefined`. */
  get(number: number): FakeIssue | undefined {
    return this.issues.find((issue) => issue.number === number)
  }

  /** Applies a patch; closing stamps `closed_at` and defaults the reason to `completed`, reopening clears it. */
  update(issue: FakeIssue, patch: IssuePatch): FakeIssue {
    const now = this.now()
    if (patch.title !== undefined) issue.title = patch.title
    if (patch.body !== undefined) issue.body = patch.body
    if (patch.labels !== undefined) issue.labels = this.canonicalLabels(patch.labels)
    if (patch.state === 'closed' && issue.state === 'open') {
      issue.state = 'closed'
      issue.closed_at = now
      issue.state_reason = patch.state_reason ?? 'completed'
    } else if (patch.state === 'open' && issue.state === 'closed') {
      issue.state = 'open'
      issue.closed_at = null
      issue.state_reason = 'reopened'
    } else if (patch.state_reason !== undefined && issue.state === 'closed') {
      issue.state_reason = patch.state_reason
    }
    issue.updated_at = now
    return issue
  }

  /** Adds labels (keeping existing ones) to an issue. */
  addLabels(issue: FakeIssue, names: readonly string[]): void {
    issue.labels = this.canonicalLabels([...issue.labels, ...names])
    issue.updated_at = this.now()
  }

  /** Adds a comment; like GitHub, commenting bumps the issue's `updated_at`. */
  comment(issue: FakeIssue, body: string): FakeComment {
    const now = this.now()
    const comment = { id: this.nextId++, body, user: BOT_LOGIN, created_at: now, updated_at: now }
    issue.comments.push(comment)
    issue.updated_at = now
    return comment
  }

  private canonicalLabels(names: readonly string[]): string[] {
    return [...new Set(names.map((name) => this.ensureLabel(name)))]
  }

  private now(): string {
    return toIsoSeconds(this.clock())
  }
}
