import { describe, expect, it } from 'vitest'
import type { GitDatabase } from '../../src/github/git-database.js'
import { previewRun, whyBranchUnreadable } from '../../src/plan/preview.js'
import { LEDGER_PATH } from '../../src/snapshot/paths.js'
import { emptyLedger, renderLedger, type Ledger } from '../../src/state/ledger.js'
import { readLedgerForPreview } from '../../src/state/read-ledger.js'

const NOW = new Date('2026-11-20T12:34:56Z')
const HOUR = 3_600_000
/** A scheduled run with a look-back of one hour, in segments of an hour. */
const request = { contentTypes: ['Audit.General' as const], window: { mode: 'scheduled' as const, lookbackMs: HOUR }, segmentMs: HOUR, maxSegments: 200, dataBranch: 'audit-data' }

function ledger(): Ledger {
  const state = emptyLedger()
  state.contentTypes['Audit.General'] = {
    coveredUntil: '2026-11-20T08:00:00Z',
    fetched: {},
    failed: [{ start: '2026-11-19T03:00:00Z', end: '2026-11-19T04:00:00Z', code: 'AF50000', message: 'Internal error', attempts: 1, firstFailure: '', lastFailure: '' }],
    gaps: []
  }
  return state
}

/** A data branch in memory that records the calls made to it; only reads are implemented. */
function branchWith(files: Map<string, string> | undefined): { git: GitDatabase; calls: string[] } {
  const calls: string[] = []
  const refuse = (name: string) => async (): Promise<never> => {
    calls.push(name)
    throw new Error(`${name} is a write`)
  }
  const git: GitDatabase = {
    getHead: async () => (calls.push('getHead'), files ? { commitSha: 'c1', treeSha: 't1' } : undefined),
    listFiles: async () => (calls.push('listFiles'), new Map([...(files ?? [])].map(([path, text]) => [path, { sha: `sha:${path}`, size: text.length }]))),
    readBlob: async (sha) => (calls.push('readBlob'), Buffer.from(files?.get(sha.slice(4)) ?? '')),
    streamBlob: () => {
      throw new Error('not used')
    },
    writeTree: refuse('writeTree'),
    createCommit: refuse('createCommit'),
    createRef: refuse('createRef'),
    updateRef: refuse('updateRef')
  }
  return { git, calls }
}

describe('dry run: the branch ledger, read-only', () => {
  it('plans a scheduled run from where earlier runs stopped, with their failed windows first, reading only', async () => {
    const { git, calls } = branchWith(new Map([[LEDGER_PATH, renderLedger(ledger())]]))
    const branch = await readLedgerForPreview({ git, repository: 'contoso/audit' }, 'audit-data')
    expect(branch).toMatchObject({ status: 'read', branchExists: true, where: "branch 'audit-data' of contoso/audit" })
    expect(calls).toEqual(['getHead', 'listFiles', 'readBlob'])

    const preview = previewRun(request, branch, NOW)
    expect(preview.plan.from.toISOString()).toBe('2026-11-20T08:00:00.000Z')
    expect(preview.plan.segments).toHaveLength(5)
    expect(preview.retried).toBe(1)
    expect(preview.tasks[0]).toMatchObject({ type: 'Audit.General', retry: true, segment: { start: new Date('2026-11-19T03:00:00Z') } })
    expect(preview.notes).toEqual([
      "Read the ledger of branch 'audit-data' of contoso/audit (read-only): Audit.General covered until 2026-11-20T08:00:00Z.",
      'Would first retry 1 window(s) earlier runs failed on: Audit.General 2026-11-19T03:00:00Z to 2026-11-19T04:00:00Z.'
    ])
  })

  it('says a branch that does not exist yet gets the whole look-back', async () => {
    const { git } = branchWith(undefined)
    const branch = await readLedgerForPreview({ git, repository: 'contoso/audit' }, 'audit-data')
    expect(branch).toMatchObject({ status: 'read', branchExists: false })
    const preview = previewRun(request, branch, NOW)
    expect(preview.plan.from.toISOString()).toBe('2026-11-20T11:34:00.000Z')
    expect(preview.notes[0]).toBe("Read branch 'audit-data' of contoso/audit (read-only): it does not exist yet; the first real run creates it.")
  })

  it('reads failed windows for a backfill too: its range is the inputs', async () => {
    const { git } = branchWith(new Map([[LEDGER_PATH, renderLedger(ledger())]]))
    const branch = await readLedgerForPreview({ git, repository: 'contoso/audit' }, 'audit-data')
    const backfill = { ...request, window: { mode: 'backfill' as const, start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T12:00:00Z') } }
    const preview = previewRun(backfill, branch, NOW)
    expect(preview.plan.from.toISOString()).toBe('2026-11-20T10:00:00.000Z')
    expect(preview.retried).toBe(1)
    expect(preview.notes[0]).toBe("Read the ledger of branch 'audit-data' of contoso/audit (read-only) for windows earlier runs failed on.")
  })

  it('without a token or a repository, says why and plans from the look-back alone, touching nothing', async () => {
    expect(whyBranchUnreadable({ repository: { owner: 'contoso', repo: 'audit' }, githubToken: 'ghs_x' })).toBeUndefined()
    expect(whyBranchUnreadable({ repository: { owner: 'contoso', repo: 'audit' }, githubToken: '' })).toBe("input 'github-token' is empty")
    expect(whyBranchUnreadable({ repository: undefined, githubToken: 'ghs_x' })).toMatch(/no repository to read it from \(input 'repository' is empty/)

    const branch = await readLedgerForPreview({ missing: "input 'github-token' is empty" }, 'audit-data')
    expect(branch).toEqual({ status: 'unread', reason: "input 'github-token' is empty" })
    const preview = previewRun(request, branch, NOW)
    expect(preview.plan.from.toISOString()).toBe('2026-11-20T11:34:00.000Z')
    expect(preview.retried).toBe(0)
    expect(preview.notes).toEqual([
      "The ledger of branch 'audit-data' was not read (input 'github-token' is empty), so this plan does not know what earlier runs did: " +
        'a real run starts where they stopped (up to 7 days back) and first retries the windows they failed on.'
    ])
  })

  it('says why when reading fails (no permission, a broken ledger), rather than failing the dry run', async () => {
    const { git } = branchWith(new Map([[LEDGER_PATH, '{ not json']]))
    const broken = await readLedgerForPreview({ git, repository: 'contoso/audit' }, 'audit-data')
    expect(broken.status).toBe('unread')
    expect(broken.status === 'unread' && broken.reason).toMatch(/^reading branch 'audit-data' of contoso\/audit failed: state\/ledger\.json on the data branch is not valid JSON/)

    const refused: GitDatabase = { ...git, getHead: () => Promise.reject(new Error("GitHub refused to read branch 'audit-data' in contoso/audit (403 Forbidden)")) }
    const branch = await readLedgerForPreview({ git: refused, repository: 'contoso/audit' }, 'audit-data')
    expect(previewRun(request, branch, NOW).notes[0]).toMatch(/^The ledger of branch 'audit-data' was not read \(reading branch .* failed: GitHub refused .*403 Forbidden\)\)/)
  })
})
