import { describe, expect, it } from 'vitest'
import { emptyLedger } from '../../src/branch/ledger.js'
import { dayOfPath, filesBefore, ledgerWithout, retentionCutoffDay } from '../../src/branch/retention.js'

describe('retention', () => {
  it('keeps N UTC days, today counted', () => {
    expect(retentionCutoffDay(new Date('2026-12-08T01:00:00Z'), 8)).toBe('2026-12-01')
    expect(retentionCutoffDay(new Date('2026-12-08T23:59:59Z'), 365)).toBe('2025-12-09')
  })

  it('knows the day of every file that belongs to one, and of no other', () => {
    expect(dayOfPath('audit/Audit.General/2026/10/2026-10-01.2.parquet')).toBe('2026-10-01')
    expect(dayOfPath('audit/Audit.General/2026/10/2026-10-01.added-3.csv')).toBe('2026-10-01')
    expect(dayOfPath('state/keys/Audit.General/2026/10/2026-10-01.csv.keys')).toBe('2026-10-01')
    expect(dayOfPath('state/usage/power-apps/2026/10/2026-10-01.json')).toBe('2026-10-01')
    expect(dayOfPath('state/held/Audit.General/2026-10-01.1.csv')).toBe('2026-10-01')
    expect(dayOfPath('usage/power-apps/2026/10/2026-10-01.csv')).toBe('2026-10-01')
    for (const path of ['state/ledger.json', 'manifest.json', 'README.md', 'coverage.svg', 'exports/2026-10-01.csv'])
      expect(dayOfPath(path), path).toBeUndefined()
    expect(
      filesBefore(
        ['audit/A/2026/11/2026-11-30.csv', 'audit/A/2026/12/2026-12-01.csv', 'usage/power-apps/2026/11/2026-11-29.csv'],
        '2026-12-01'
      )
    ).toEqual({
      paths: ['audit/A/2026/11/2026-11-30.csv', 'usage/power-apps/2026/11/2026-11-29.csv'],
      days: ['2026-11-29', '2026-11-30']
    })
  })

  it('forgets failures, gaps, held days and placements of erased days, and keeps what was collected', () => {
    const ledger = emptyLedger()
    const window = (start: string, end: string) => ({
      start,
      end,
      code: 'X',
      message: 'x',
      attempts: 1,
      firstFailure: start,
      lastFailure: start
    })
    ledger.contentTypes['Audit.General'] = {
      coveredUntil: '2026-12-08T00:00:00Z',
      fetched: { '2026-12-07': 'AAAAAAAAAAAA' },
      failed: [
        window('2026-11-30T23:00:00Z', '2026-12-01T00:00:00Z'),
        window('2026-11-30T23:00:00Z', '2026-12-01T01:00:00Z')
      ],
      gaps: [],
      untimed: { old: '2026-11-30T10:00:00Z', kept: '2026-12-01T10:00:00Z' },
      held: [
        { day: '2026-11-30', reason: 'r', rows: 1, attempts: 1, firstFailure: 'a', lastFailure: 'a' },
        { day: '2026-12-02', reason: 'r', rows: 1, attempts: 1, firstFailure: 'a', lastFailure: 'a' }
      ]
    }
    const kept = ledgerWithout(ledger, '2026-12-01').contentTypes['Audit.General']!
    expect(kept.coveredUntil).toBe('2026-12-08T00:00:00Z')
    expect(kept.fetched).toEqual({ '2026-12-07': 'AAAAAAAAAAAA' })
    expect(kept.failed.map((failure) => failure.end)).toEqual(['2026-12-01T01:00:00Z'])
    expect(kept.untimed).toEqual({ kept: '2026-12-01T10:00:00Z' })
    expect(kept.held?.map((held) => held.day)).toEqual(['2026-12-02'])
  })
})
