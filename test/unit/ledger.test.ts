import { describe, expect, it } from 'vitest'
import {
  applyUpdates,
  blobKey,
  coveredUntil,
  emptyLedger,
  parseLedger,
  renderLedger,
  wasFetched
} from '../../src/branch/ledger.js'

const NOW = new Date('2026-11-22T04:00:00Z')

describe('ledger', () => {
  it('remembers fetched blobs while the API can list them, then forgets them', () => {
    const { ledger } = applyUpdates(
      emptyLedger(),
      [
        {
          type: 'Audit.General',
          fetched: [
            { contentId: 'keep', contentCreated: '2026-11-21T23:00:00.000Z' },
            { contentId: 'gone', contentCreated: '2026-11-13T23:59:00.000Z' }
          ]
        }
      ],
      NOW
    )
    expect(wasFetched(ledger, 'Audit.General', 'keep')).toBe(true)
    expect(wasFetched(ledger, 'Audit.General', 'gone')).toBe(false)
    expect(wasFetched(ledger, 'Audit.SharePoint', 'keep')).toBe(false)
    expect(Object.keys(ledger.contentTypes['Audit.General']!.fetched)).toEqual(['2026-11-21'])
  })

  it('keeps a blob in 12 characters, appended run by run, so that the ledger of a busy tenant stays small', () => {
    const blob = (n: number) => ({
      contentId: `20261121${String(n).padStart(15, '0')}$20261121${String(n).padStart(15, '0')}$audit_general$Audit_General$na0034`,
      contentCreated: '2026-11-21T10:00:00.000Z'
    })
    const first = applyUpdates(
      emptyLedger(),
      [{ type: 'Audit.General', fetched: Array.from({ length: 5_000 }, (_, n) => blob(n)) }],
      NOW
    ).ledger
    const line = first.contentTypes['Audit.General']!.fetched['2026-11-21']!
    expect(line).toHaveLength(5_000 * 12)
    expect(renderLedger(first).length).toBeLessThan(62_000)
    const second = applyUpdates(first, [{ type: 'Audit.General', fetched: [blob(4_999), blob(5_000)] }], NOW).ledger
    expect(second.contentTypes['Audit.General']!.fetched['2026-11-21']).toBe(line + blobKey(blob(5_000).contentId))
    for (const n of [0, 2_500, 5_000]) expect(wasFetched(second, 'Audit.General', blob(n).contentId)).toBe(true)
    expect(wasFetched(second, 'Audit.General', blob(5_001).contentId)).toBe(false)
  })

  it('reads a version 1 ledger (whole contentIds with their expiry) into the compact form', () => {
    const v1 = JSON.stringify({
      version: 1,
      contentTypes: {
        'Audit.General': {
          coveredUntil: '2026-11-22T00:00:00Z',
          fetched: { a$b$audit_general$Audit_General: '2026-11-28T10:00:00.000Z' },
          failed: [],
          gaps: []
        }
      }
    })
    const ledger = parseLedger(v1, 'state/ledger.json')
    expect(ledger.version).toBe(2)
    expect(wasFetched(ledger, 'Audit.General', 'a$b$audit_general$Audit_General')).toBe(true)
    expect(ledger.contentTypes['Audit.General']!.fetched).toEqual({
      '2026-11-21': blobKey('a$b$audit_general$Audit_General')
    })
    expect(() => parseLedger('{"version":3,"contentTypes":{}}', 'state/ledger.json')).toThrow(
      /not a version 1 or 2 ledger/
    )
  })

  it('grows coverage only when the listed range touches it', () => {
    const listed = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) })
    let ledger = applyUpdates(
      emptyLedger(),
      [{ type: 'Audit.General', fetched: [], listed: listed('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z') }],
      NOW
    ).ledger
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T00:00:00.000Z')
    ledger = applyUpdates(
      ledger,
      [{ type: 'Audit.General', fetched: [], listed: listed('2026-11-21T06:00:00Z', '2026-11-22T00:00:00Z') }],
      NOW
    ).ledger
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T00:00:00.000Z')
    ledger = applyUpdates(
      ledger,
      [{ type: 'Audit.General', fetched: [], listed: listed('2026-11-20T12:00:00Z', '2026-11-21T12:00:00Z') }],
      NOW
    ).ledger
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T12:00:00.000Z')
    expect(coveredUntil(ledger, ['Audit.General', 'Audit.Exchange'])).toBeUndefined()
  })

  it('renders stable text and reads it back', () => {
    const blobs = [
      { contentId: 'b', contentCreated: '2026-11-21T00:00:00Z' },
      { contentId: 'a', contentCreated: '2026-11-21T00:00:00Z' }
    ]
    const one = applyUpdates(emptyLedger(), [{ type: 'Audit.SharePoint', fetched: blobs }], NOW).ledger
    const two = applyUpdates(emptyLedger(), [{ type: 'Audit.SharePoint', fetched: [...blobs].reverse() }], NOW).ledger
    expect(renderLedger(one)).toBe(renderLedger(two))
    expect(parseLedger(renderLedger(one), 'l')).toEqual(one)
  })

  it('records failed windows, counts repeats, and recovers them when a window covering them succeeds', () => {
    const window = { start: new Date('2026-11-21T10:00:00Z'), end: new Date('2026-11-21T11:00:00Z') }
    const failure = { ...window, code: 'AF50000', message: 'boom' }
    let { ledger } = applyUpdates(emptyLedger(), [{ type: 'Audit.General', fetched: [], failures: [failure] }], NOW)
    ledger = applyUpdates(
      ledger,
      [{ type: 'Audit.General', fetched: [], failures: [{ ...failure, code: 'HTTP 503' }] }],
      new Date('2026-11-22T05:00:00Z')
    ).ledger
    expect(ledger.contentTypes['Audit.General']?.failed).toEqual([
      {
        start: '2026-11-21T10:00:00Z',
        end: '2026-11-21T11:00:00Z',
        code: 'HTTP 503',
        message: 'boom',
        attempts: 2,
        firstFailure: '2026-11-22T04:00:00Z',
        lastFailure: '2026-11-22T05:00:00Z'
      }
    ])
    const partly = applyUpdates(
      ledger,
      [
        {
          type: 'Audit.General',
          fetched: [],
          succeeded: [{ start: window.start, end: new Date('2026-11-21T10:30:00Z') }]
        }
      ],
      NOW
    )
    expect(partly.changes.recovered).toEqual([])
    const whole = applyUpdates(
      ledger,
      [
        {
          type: 'Audit.General',
          fetched: [],
          succeeded: [{ start: new Date('2026-11-21T00:00:00Z'), end: new Date('2026-11-22T00:00:00Z') }]
        }
      ],
      NOW
    )
    expect(whole.changes.recovered.map((r) => [r.type, r.start])).toEqual([['Audit.General', '2026-11-21T10:00:00Z']])
    expect(whole.ledger.contentTypes['Audit.General']?.failed).toEqual([])
  })

  it('turns a failed window that aged past 7 days into a permanent gap, and records expired blobs once', () => {
    const failure = {
      start: new Date('2026-11-15T03:00:00Z'),
      end: new Date('2026-11-15T04:00:00Z'),
      code: 'AF50000',
      message: 'boom'
    }
    const { ledger } = applyUpdates(
      emptyLedger(),
      [{ type: 'Audit.Exchange', fetched: [], failures: [failure] }],
      new Date('2026-11-21T00:00:00Z')
    )
    const expired = { contentId: 'blob$1', contentCreated: '2026-11-15T05:00:00.000Z', message: 'AF20051 expired' }
    const later = applyUpdates(ledger, [{ type: 'Audit.Exchange', fetched: [], expired: [expired] }], NOW)
    expect(later.ledger.contentTypes['Audit.Exchange']?.failed).toEqual([])
    expect(later.changes.newGaps.map((gap) => [gap.reason, gap.start])).toEqual([
      ['expired-blob', '2026-11-15T05:00:00Z'],
      ['out-of-reach', '2026-11-15T03:00:00Z']
    ])
    expect(later.changes.newGaps[1]?.message).toMatch(/Purview/)
    const again = applyUpdates(later.ledger, [{ type: 'Audit.Exchange', fetched: [], expired: [expired] }], NOW)
    expect(again.changes.newGaps).toEqual([])
    expect(again.ledger.contentTypes['Audit.Exchange']?.gaps).toHaveLength(2)
  })

  it('refuses a file that is not a ledger', () => {
    expect(() => parseLedger('{', 'state/ledger.json')).toThrow(/state\/ledger\.json.*not valid JSON/)
    expect(() => parseLedger('{"version":2}', 'state/ledger.json')).toThrow(/not a version 1 or 2 ledger/)
  })
})
