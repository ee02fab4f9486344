import { describe, expect, it } from 'vitest'
import { findHeldFiles, heldPath, nextHeldDays, readHeldDays } from '../../src/branch/held-days.js'
import {
  allFailures,
  applyHeldDays,
  emptyLedger,
  parseLedger,
  redactLedger,
  renderLedger
} from '../../src/branch/ledger.js'
import { parseManifest } from '../../src/branch/manifest.js'

const NOW = new Date('2026-11-22T04:00:00Z')

describe('held days', () => {
  it('finds held files per content type and day, in order, and ignores anything else under state/', () => {
    const paths = [
      heldPath('Audit.General', '2026-11-20', 2),
      heldPath('Audit.General', '2026-11-20', 1),
      heldPath('Audit.SharePoint', '2026-11-19', 1),
      'state/held/Audit.Nope/2026-11-20.1.csv',
      'state/held/Audit.General/2026-11-20.0.csv',
      'state/ledger.json'
    ]
    expect(findHeldFiles(paths)).toEqual([
      {
        type: 'Audit.General',
        day: '2026-11-20',
        paths: ['state/held/Audit.General/2026-11-20.1.csv', 'state/held/Audit.General/2026-11-20.2.csv'],
        nextNumber: 3
      },
      {
        type: 'Audit.SharePoint',
        day: '2026-11-19',
        paths: ['state/held/Audit.SharePoint/2026-11-19.1.csv'],
        nextNumber: 2
      }
    ])
  })

  it('counts a day that keeps failing, and gives it back as recovered once it merges', () => {
    const failing = { type: 'Audit.General' as const, day: '2026-11-20', file: 'a.csv', reason: 'broken', rows: 3 }
    const first = applyHeldDays(emptyLedger(), { held: [failing], merged: [] }, NOW)
    const second = applyHeldDays(
      first.ledger,
      { held: [{ ...failing, rows: 5 }], merged: [] },
      new Date('2026-11-22T05:00:00Z')
    )
    expect(second.ledger.contentTypes['Audit.General']?.held).toEqual([
      {
        day: '2026-11-20',
        file: 'a.csv',
        reason: 'broken',
        rows: 5,
        attempts: 2,
        firstFailure: '2026-11-22T04:00:00Z',
        lastFailure: '2026-11-22T05:00:00Z'
      }
    ])
    // In the failure list as the day's window, with the file and what to do.
    expect(allFailures(second.ledger)).toEqual([
      expect.objectContaining({
        type: 'Audit.General',
        start: '2026-11-20T00:00:00Z',
        end: '2026-11-21T00:00:00Z',
        code: 'DayNotMerged',
        message: expect.stringMatching(/^a\.csv: broken 5 new rows wait in state\/held\/.*the next run merges the day/),
        attempts: 2
      })
    ])
    // Survives a round trip through the ledger's text.
    expect(parseLedger(renderLedger(second.ledger), 'ledger')).toEqual(second.ledger)
    const merged = applyHeldDays(
      second.ledger,
      { held: [], merged: [{ type: 'Audit.General', day: '2026-11-20' }] },
      NOW
    )
    expect(merged.ledger.contentTypes['Audit.General']?.held).toBeUndefined()
    expect(merged.recovered).toEqual([expect.objectContaining({ code: 'DayNotMerged', start: '2026-11-20T00:00:00Z' })])
    expect(allFailures(merged.ledger)).toEqual([])
  })

  it('keeps other held days as they are when one merges', () => {
    const previous = readHeldDays([
      {
        day: '2026-11-19',
        reason: 'x',
        rows: 1,
        attempts: 1,
        firstFailure: '2026-11-21T00:00:00Z',
        lastFailure: '2026-11-21T00:00:00Z'
      },
      {
        day: '2026-11-20',
        reason: 'y',
        rows: 1,
        attempts: 1,
        firstFailure: '2026-11-21T00:00:00Z',
        lastFailure: '2026-11-21T00:00:00Z'
      }
    ])
    const next = nextHeldDays(
      previous,
      'Audit.General',
      { held: [], merged: [{ type: 'Audit.General', day: '2026-11-20' }] },
      'now'
    )
    expect(next.held.map((held) => held.day)).toEqual(['2026-11-19'])
    expect(next.recovered.map((held) => held.day)).toEqual(['2026-11-20'])
  })
})

describe('state edited by hand', () => {
  it('drops ledger entries that do not read, with a warning each, and keeps the rest', () => {
    const warnings: string[] = []
    const good = {
      start: '2026-11-20T00:00:00Z',
      end: '2026-11-20T01:00:00Z',
      code: 'AF429',
      message: 'throttled',
      attempts: 2,
      firstFailure: '2026-11-20T02:00:00Z',
      lastFailure: '2026-11-21T02:00:00Z'
    }
    const text = JSON.stringify({
      version: 2,
      contentTypes: {
        'Audit.General': {
          coveredUntil: 'soon',
          fetched: { '2026-11-20': 'AAAAAAAAAAAA', 'not a day': 'x' },
          failed: [good, { ...good, start: 'last tuesday' }, 'nonsense'],
          gaps: [{ start: '2026-11-01T00:00:00Z' }],
          untimed: { a: '2026-11-20T00:00:00Z', b: 12 },
          held: [{ day: '2026-13-45', reason: 'x' }]
        },
        'Audit.Exchange': 'not an entry'
      }
    })
    const ledger = parseLedger(text, 'state/ledger.json', (message) => warnings.push(message))
    expect(ledger.contentTypes['Audit.General']).toEqual({
      fetched: { '2026-11-20': 'AAAAAAAAAAAA' },
      failed: [good],
      gaps: [],
      untimed: { a: '2026-11-20T00:00:00Z' }
    })
    expect(ledger.contentTypes['Audit.Exchange']).toBeUndefined()
    expect(warnings).toHaveLength(6)
    expect(warnings.every((warning) => warning.startsWith('state/ledger.json: dropped '))).toBe(true)
    expect(warnings.join('\n')).toMatch(/a failed window of Audit\.General.*last tuesday/)
  })

  it('keeps only manifest entries that read as entries', () => {
    const entry = {
      format: 'csv',
      rows: 2,
      bytes: 10,
      sha256: 'a'.repeat(64),
      firstCreationTime: '2026-11-20T00:00:00Z',
      lastCreationTime: '2026-11-20T01:00:00Z'
    }
    const manifest = parseManifest(
      JSON.stringify({ version: 1, files: { 'a.csv': entry, 'b.csv': { ...entry, rows: 'many' }, 'c.csv': null } })
    )
    expect(manifest.files).toEqual({ 'a.csv': entry })
    expect(parseManifest('{"version": 1, "files": {').files).toEqual({})
  })

  it('redacts only the free text of a ledger: a short masked value leaves times and blob keys alone', () => {
    const ledger = parseLedger(
      JSON.stringify({
        version: 2,
        contentTypes: {
          'Audit.General': {
            coveredUntil: '2026-11-20T00:00:00Z',
            fetched: { '2026-11-20': 'x2026AAAAAAA' },
            failed: [
              {
                start: '2026-11-20T00:00:00Z',
                end: '2026-11-20T01:00:00Z',
                code: 'AF50000',
                message: 'password 2026 refused',
                attempts: 1,
                firstFailure: '2026-11-20T02:00:00Z',
                lastFailure: '2026-11-20T02:00:00Z'
              }
            ],
            gaps: []
          }
        }
      }),
      'ledger'
    )
    const redacted = redactLedger(ledger, (text) => text.split('2026').join('***'))
    const entry = redacted.contentTypes['Audit.General']!
    expect(entry.failed[0]?.message).toBe('password *** refused')
    expect(entry.failed[0]?.start).toBe('2026-11-20T00:00:00Z')
    expect(entry.coveredUntil).toBe('2026-11-20T00:00:00Z')
    expect(entry.fetched).toEqual({ '2026-11-20': 'x2026AAAAAAA' })
    expect(parseLedger(renderLedger(redacted), 'ledger')).toEqual(redacted)
  })
})
