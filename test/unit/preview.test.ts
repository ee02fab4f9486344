import { describe, expect, it } from 'vitest'
import type { GitDatabase } from '../../src/github/git-database.js'
import { readSettings } from '../../src/action/inputs.js'
import type { Settings } from '../../src/action/settings.js'
import { emptyLedger, renderLedger, type Ledger } from '../../src/branch/ledger.js'
import { LEDGER_PATH } from '../../src/branch/paths.js'
import { previewRun } from '../../src/plan/preview.js'
import { dryRun } from '../../src/sync.js'

const NOW = new Date('2026-11-20T12:34:56Z')

function ledger(): Ledger {
  const state = emptyLedger()
  state.contentTypes['Audit.General'] = {
    coveredUntil: '2026-11-20T08:00:00Z',
    fetched: {},
    failed: [
      {
        start: '2026-11-19T03:00:00Z',
        end: '2026-11-19T04:00:00Z',
        code: 'AF50000',
        message: 'Internal error',
        attempts: 1,
        firstFailure: '',
        lastFailure: ''
      }
    ],
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
    listFiles: async () => (
      calls.push('listFiles'),
      new Map([...(files ?? [])].map(([path, text]) => [path, { sha: `sha:${path}`, size: text.length }]))
    ),
    readBlob: async (sha) => (calls.push('readBlob'), Buffer.from(files?.get(sha.slice(4)) ?? '')),
    readBlobs: async (blobs) => (
      calls.push('readBlobs'),
      new Map(blobs.map(({ sha }) => [sha, Buffer.from(files?.get(sha.slice(4)) ?? '')]))
    ),
    streamBlob: () => {
      throw new Error('not used')
    },
    writeTree: refuse('writeTree'),
    createCommit: refuse('createCommit'),
    createRef: refuse('createRef'),
    updateRef: refuse('updateRef'),
    replaceRef: refuse('replaceRef')
  }
  return { git, calls }
}

/** The settings of a scheduled run with a look-back of one hour, and the plan its inputs give. */
function dryRunSettings(inputs: Record<string, string> = {}): {
  settings: Settings
  plan: ReturnType<typeof readSettings>['plan']
} {
  const given: Record<string, string> = {
    'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47',
    'client-id': '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60',
    'client-secret': 'secret',
    'github-token': 'ghs_x',
    lookback: '1h',
    'dry-run': 'true',
    ...inputs
  }
  return readSettings(
    { getInput: (name) => given[name] ?? '', setSecret: () => {}, env: {}, currentRepository: 'contoso/audit' },
    NOW
  )
}

/** Runs a dry run; returns what it logged (notes apart) and its summary. */
async function runDry(
  git: GitDatabase | undefined,
  inputs: Record<string, string> = {}
): Promise<{ log: string[]; notices: string[]; summary: string }> {
  const { settings, plan } = dryRunSettings(inputs)
  const log: string[] = []
  const notices: string[] = []
  const summary = await dryRun(settings, plan, {
    git,
    workspace: '.',
    now: () => NOW,
    log: (line) => log.push(line),
    notice: (line) => notices.push(line)
  })
  return { log, notices, summary }
}

describe('dry run: the branch ledger, read-only', () => {
  it('plans a scheduled run from where earlier runs stopped, with their failed windows first, reading only', async () => {
    const { git, calls } = branchWith(new Map([[LEDGER_PATH, renderLedger(ledger())]]))
    const { log, summary } = await runDry(git)
    expect(calls).toEqual(['getHead', 'listFiles', 'readBlob'])
    expect(log[0]).toBe(
      'Scheduled run: 2026-11-20T08:00:00Z to 2026-11-20T12:34:00Z, 5 segments of 1h for Audit.General (5 listings).'
    )
    expect(log.slice(1, 3)).toEqual([
      "Read the ledger of branch 'audit-data' of contoso/audit (read-only): Audit.General covered until 2026-11-20T08:00:00Z.",
      'Would first retry 1 window(s) earlier runs failed on: Audit.General 2026-11-19T03:00:00Z to 2026-11-19T04:00:00Z.'
    ])
    expect(log.at(-1)).toBe(
      "dry-run: the plan above is what a real run would list now; the branch's ledger was read, nothing was written."
    )
    expect(summary).toContain('<h2>m365-audit-sync: plan (dry run)</h2>')
    expect(summary).toContain(
      '<tr><td>5</td><td>2026-11-20T12:00:00Z</td><td>2026-11-20T12:34:00Z</td><td>34m</td></tr>'
    )

    const preview = previewRun(
      { ...dryRunSettings().settings },
      { status: 'read', ledger: ledger(), branchExists: true, where: 'here' },
      NOW
    )
    expect(preview.plan.windows).toHaveLength(5)
    expect(preview.retried).toBe(1)
    expect(preview.windows[0]).toMatchObject({
      type: 'Audit.General',
      retry: true,
      range: { start: new Date('2026-11-19T03:00:00Z') }
    })
  })

  it('says a branch that does not exist yet gets the whole look-back', async () => {
    const { git } = branchWith(undefined)
    const { log } = await runDry(git)
    expect(log[0]).toMatch(/^Scheduled run: 2026-11-20T11:34:00Z to/)
    expect(log[1]).toBe(
      "Read branch 'audit-data' of contoso/audit (read-only): it does not exist yet; the first real run creates it."
    )
  })

  it('reads failed windows for a backfill too: its range is the inputs', async () => {
    const { git } = branchWith(new Map([[LEDGER_PATH, renderLedger(ledger())]]))
    const { log } = await runDry(git, { start: '2026-11-20T10:00Z', end: '2026-11-20T12:00Z' })
    expect(log[0]).toMatch(/^Backfill: 2026-11-20T10:00:00Z to 2026-11-20T12:00:00Z/)
    expect(log[1]).toBe(
      "Read the ledger of branch 'audit-data' of contoso/audit (read-only) for windows earlier runs failed on."
    )
    expect(log[2]).toMatch(/^Would first retry 1 window\(s\)/)
  })

  it('without a token or a repository, says why and plans from the look-back alone, touching nothing', async () => {
    const { git, calls } = branchWith(new Map([[LEDGER_PATH, renderLedger(ledger())]]))
    const withoutToken = await runDry(undefined, { 'github-token': '' })
    expect(withoutToken.log[0]).toMatch(/^Scheduled run: 2026-11-20T11:34:00Z to/)
    expect(withoutToken.log[1]).toBe(
      "The ledger of branch 'audit-data' was not read (input 'github-token' is empty), so this plan does not know what earlier runs did: " +
        'a real run starts where they stopped (up to 7 days back) and first retries the windows they failed on.'
    )
    expect(withoutToken.log.at(-1)).toBe(
      'dry-run: the plan above is what a real run would list from these inputs; nothing was requested or written.'
    )
    const { settings, plan } = dryRunSettings()
    const log: string[] = []
    await dryRun({ ...settings, repository: undefined }, plan, {
      git,
      workspace: '.',
      now: () => NOW,
      log: (line) => log.push(line),
      notice: () => {}
    })
    expect(log[1]).toMatch(/not read \(no repository to read it from \(input 'repository' is empty/)
    expect(calls).toEqual([])
  })

  it('says why when reading fails (no permission, a broken ledger), rather than failing the dry run', async () => {
    const { git } = branchWith(new Map([[LEDGER_PATH, '{ not json']]))
    const broken = await runDry(git)
    expect(broken.log[1]).toMatch(
      /^The ledger of branch 'audit-data' was not read \(reading branch 'audit-data' of contoso\/audit failed: state\/ledger\.json on the data branch is not valid JSON/
    )

    const refused: GitDatabase = {
      ...git,
      getHead: () =>
        Promise.reject(new Error("GitHub refused to read branch 'audit-data' in contoso/audit (403 Forbidden)"))
    }
    const { log } = await runDry(refused)
    expect(log[1]).toMatch(
      /^The ledger of branch 'audit-data' was not read \(reading branch .* failed: GitHub refused .*403 Forbidden\)\)/
    )
  })
})
