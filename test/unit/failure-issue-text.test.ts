import { describe, expect, it } from 'vitest'
import { GRAPH_QUERIES, type OpenFailure } from '../../src/branch/ledger.js'
import {
  issueMarker,
  issueTitle,
  MAX_ISSUE_TEXT,
  renderIssueBody,
  renderRecoveredComment
} from '../../src/report/failure-issue-text.js'
import { cell } from '../../src/report/markup.js'

const failure: OpenFailure = {
  type: 'Audit.General',
  start: '2026-11-21T10:00:00Z',
  end: '2026-11-21T11:00:00Z',
  code: 'AF50000',
  message: 'An internal error occurred. Retry the request.',
  attempts: 2,
  firstFailure: '2026-11-21T12:00:00Z',
  lastFailure: '2026-11-21T13:00:00Z'
}
const context = {
  branch: 'audit-data',
  now: new Date('2026-11-21T13:00:00Z'),
  runUrl: 'https://github.com/contoso/audit/actions/runs/7',
  repository: 'contoso/audit',
  workflowFile: 'audit-sync.yml'
}

describe('failure issue text', () => {
  it('has a table row per window and a ready backfill command for the failed range', () => {
    const second = {
      ...failure,
      type: 'Audit.SharePoint' as const,
      start: '2026-11-21T14:00:00Z',
      end: '2026-11-21T15:00:00Z'
    }
    const body = renderIssueBody([failure, second], [], context)
    expect(body.startsWith(issueMarker('audit-data'))).toBe(true)
    expect(body).toContain('| Audit.General | 2026-11-21T10:00:00Z – 2026-11-21T11:00:00Z | AF50000 |')
    expect(body).toContain(
      'gh workflow run audit-sync.yml --repo contoso/audit -f start=2026-11-21T10:00:00Z -f end=2026-11-21T15:00:00Z'
    )
    expect(body).toContain(context.runUrl)
    expect(issueTitle([failure, second])).toBe('m365-audit-sync: 2 audit log windows failed to sync')
  })

  it('gives Graph windows a backfill command of their own, with source=auto, and says which runs retry them', () => {
    const graphWindow: OpenFailure = {
      ...failure,
      type: GRAPH_QUERIES,
      start: '2026-08-02T00:00:00Z',
      end: '2026-08-03T00:00:00Z',
      code: 'QueryFailed'
    }
    const body = renderIssueBody([failure, graphWindow], [], context)
    expect(body).toContain('| Graph audit log query | 2026-08-02T00:00:00Z – 2026-08-03T00:00:00Z | QueryFailed |')
    expect(body).toContain(
      'gh workflow run audit-sync.yml --repo contoso/audit -f start=2026-11-21T10:00:00Z -f end=2026-11-21T11:00:00Z\n'
    )
    expect(body).toContain(
      'gh workflow run audit-sync.yml --repo contoso/audit -f start=2026-08-02T00:00:00Z -f end=2026-08-03T00:00:00Z -f source=auto'
    )
    expect(body).toMatch(/every run with `source: auto` or `graph` the Graph audit log query windows/)
  })

  it('escapes untrusted error text: no broken table, no HTML, no mentions, no code fences', () => {
    const hostile = cell('a | b\n<script>alert(1)</script> @octocat ```x``` & more')
    expect(hostile).not.toMatch(/[^\\]\|/)
    expect(hostile).not.toContain('<script>')
    expect(hostile).not.toContain('\n')
    expect(hostile).not.toContain('@octocat')
    expect(hostile).not.toContain('`')
    expect(cell('x'.repeat(1000)).length).toBeLessThanOrEqual(240)
  })

  it("stays under GitHub's size limit with thousands of failures", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...failure,
      message: 'y'.repeat(500),
      start: `2026-11-21T${String(i).padStart(6, '0')}`
    }))
    const body = renderIssueBody(many, [], context)
    expect(body.length).toBeLessThanOrEqual(MAX_ISSUE_TEXT)
    expect(body).toContain('…and 4950 more windows')
  })

  it('says what recovered when it closes', () => {
    expect(renderRecoveredComment([failure], context)).toMatch(
      /All failed windows have recovered[\s\S]*\| Audit\.General \| 2026-11-21T10:00:00Z – 2026-11-21T11:00:00Z \| 2 \|/
    )
  })
})
