import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FileChanges } from '../../src/branch/branch-files.js'
import { coverage, coverageEndDay, coverageTableRows, lastDays } from '../../src/branch/coverage.js'
import { isGeneratedBranchReadme, renderBranchReadme } from '../../src/branch/readme.js'
import { buildCommit } from '../../src/commit/build-commit.js'
import type { CommitReport } from '../../src/commit/commit-report.js'
import { CSV_FORMAT, encodeCsvRow } from '../../src/snapshot/format/csv.js'
import { COVERAGE_CHART_PATH, README_PATH } from '../../src/branch/paths.js'
import { Spool } from '../../src/snapshot/spool.js'
import { emptyLedger, type LedgerUpdate } from '../../src/branch/ledger.js'
import type { Manifest } from '../../src/branch/manifest.js'
import { memoryTip, referenceRow } from './fixtures.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

const NOW = new Date('2026-11-20T12:00:00Z')

/** Builds a commit of `count` records of Audit.General on `day` onto `files`, and applies it. */
async function commit(
  files: Map<string, Buffer>,
  day: string,
  count: number,
  updates: LedgerUpdate[] = []
): Promise<{ changes: FileChanges | undefined; report: CommitReport }> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-branch-readme-'))
  dirs.push(dir)
  const spool = await Spool.create(join(dir, 'spool'))
  for (let n = 0; n < count; n++) {
    const time = `${day}T10:00:${String(n).padStart(2, '0')}`
    const row = referenceRow({ Id: `${day}-${n}`, CreationTime: time, Operation: 'FileAccessed' }, `${time}Z`)
    spool.add('Audit.General', day, { id: row[0]!, time: row[1]!, payload: encodeCsvRow(row) })
  }
  let report: CommitReport | undefined
  const changes = await buildCommit(
    memoryTip(files),
    {
      updates,
      spool,
      dir: join(dir, 'build'),
      branch: 'audit-data',
      format: CSV_FORMAT,
      observers: [],
      now: NOW,
      coverageSlackMs: 0
    },
    (built) => (report = built)
  )
  for (const [path, content] of changes?.files ?? []) {
    if (typeof content === 'string') files.set(path, Buffer.from(content))
    else if (Buffer.isBuffer(content)) files.set(path, content)
    else if (content === null) files.delete(path)
    else files.set(path, await readFile(content.file))
  }
  return { changes, report: report! }
}

const text = (files: Map<string, Buffer>, path: string): string => files.get(path)?.toString('utf8') ?? ''

describe('the data branch README and its chart', () => {
  it('shows the last 30 days of the branch as committed, and rides along with commits rather than making one', async () => {
    const files = new Map<string, Buffer>()
    const { changes, report } = await commit(files, '2026-11-19', 3)
    expect(changes?.alongside).toEqual(new Set([README_PATH, COVERAGE_CHART_PATH]))
    const readme = text(files, README_PATH)
    expect(readme).toContain('## Coverage, last 30 days (2026-10-22 to 2026-11-20)')
    expect(readme).toContain('![Records per UTC day, last 30 days](coverage.svg)')
    expect(readme).toContain('| 2026-11-19 | 3 |')
    expect(readme).toContain('| 2026-11-20 | 0 |')
    expect(text(files, COVERAGE_CHART_PATH)).toContain('<title>Audit.General 2026-11-19: 3 records</title>')
    expect(report.coverage[0]?.days).toHaveLength(30)
    // The recipes the README promises stay as they were.
    expect(readme).toContain(
      `duckdb -c "SELECT Operation, count(*) FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY 2 DESC"`
    )

    // Nothing new: no commit, whatever the README would say now.
    expect((await commit(files, '2026-11-19', 3)).changes).toBeUndefined()
  })

  it('is rebuilt from the tip each attempt builds on: a rebuild after another writer moved the branch counts their days too', async () => {
    const mine = new Map<string, Buffer>()
    await commit(mine, '2026-11-18', 2)
    // Another writer's commit lands first, with a day of its own and a failing window.
    const theirs = new Map(mine)
    const failure: LedgerUpdate = {
      type: 'Audit.General',
      fetched: [],
      failures: [
        {
          start: new Date('2026-11-17T05:00:00Z'),
          end: new Date('2026-11-17T06:00:00Z'),
          code: 'AF50000',
          message: 'Internal error'
        }
      ]
    }
    await commit(theirs, '2026-11-19', 4, [failure])
    // Rebuilt on their tip, the README has both writers' days and their failing window.
    await commit(theirs, '2026-11-20', 1)
    const readme = text(theirs, README_PATH)
    expect(readme).toContain('| 2026-11-20 | 1 |')
    expect(readme).toContain('| 2026-11-19 | 4 |')
    expect(readme).toContain('| 2026-11-18 | 2 |')
    expect(readme).toContain('| 2026-11-17 | 0 ⚠ 1 failed |')
    expect(text(theirs, COVERAGE_CHART_PATH)).toContain('<title>2026-11-17: 1 failing window(s)</title>')
  })

  it('never overwrites a README someone else put on the branch', async () => {
    const files = new Map<string, Buffer>([[README_PATH, Buffer.from('# Our audit data\n\nHands off.\n')]])
    const { changes } = await commit(files, '2026-11-19', 2)
    expect(changes?.files.has(README_PATH)).toBe(false)
    expect(changes?.files.has(COVERAGE_CHART_PATH)).toBe(false)
    expect(text(files, README_PATH)).toBe('# Our audit data\n\nHands off.\n')
    expect(isGeneratedBranchReadme(undefined)).toBe(true)
    expect(isGeneratedBranchReadme(renderBranchReadme('audit-data', []))).toBe(true)
    // A README of an earlier version (no coverage yet) is ours: it gets the coverage.
    expect(
      isGeneratedBranchReadme(
        '# Microsoft 365 audit log snapshots\n\nThis branch is written by the m365-audit-sync GitHub Action'
      )
    ).toBe(true)
    expect(isGeneratedBranchReadme('# Our audit data\n')).toBe(false)
  })
})

describe('coverage windows and tables', () => {
  const manifest: Manifest = {
    version: 1,
    files: {
      'audit/Audit.General/2026/11/2026-11-22.csv': {
        rows: 7,
        bytes: 1,
        sha256: 'x',
        firstCreationTime: '',
        lastCreationTime: ''
      }
    }
  }

  it('ends at the later of today and the newest day with data', () => {
    expect(coverageEndDay(manifest, NOW)).toBe('2026-11-22')
    expect(coverageEndDay(manifest, new Date('2026-11-25T00:00:01Z'))).toBe('2026-11-25')
    expect(coverageEndDay({ version: 1, files: {} }, NOW)).toBe('2026-11-20')
  })

  it('cuts to the last days and gives table rows, newest first', () => {
    const week = lastDays(coverage(manifest, emptyLedger(), '2026-11-22', 30), 7)
    expect(week[0]?.days.map((day) => day.day)).toEqual([
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22'
    ])
    const rows = coverageTableRows(week)
    expect(rows[0]).toEqual(['Day (UTC)', 'Audit.General'])
    expect(rows[1]).toEqual(['2026-11-22', '7'])
    expect(rows).toHaveLength(8)
  })
})
