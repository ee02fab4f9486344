import { describe, expect, it } from 'vitest'
import { applyUpdates, coveredUntil, emptyLedger, parseLedger, renderLedger, wasFetched } from '../../src/state/ledger.js'

const NOW = new Date('2026-11-22T04:00:00Z')

describe('ledger', () => {
  it('remembers fetched blobs until they expire, then forgets them', () => {
    const ledger = applyUpdates(
      emptyLedger(),
      [{ type: 'Audit.General', fetched: { keep: '2026-11-29T00:00:00.000Z', gone: '2026-11-22T03:00:00.000Z' } }],
      NOW
    )
    expect(wasFetched(ledger, 'Audit.General', 'keep')).toBe(true)
    expect(wasFetched(ledger, 'Audit.General', 'gone')).toBe(false)
    expect(wasFetched(ledger, 'Audit.SharePoint', 'keep')).toBe(false)
  })

  it('grows coverage only when the listed range touches it', () => {
    const listed = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) })
    let ledger = applyUpdates(emptyLedger(), [{ type: 'Audit.General', fetched: {}, listed: listed('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z') }], NOW)
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T00:00:00.000Z')
    ledger = applyUpdates(ledger, [{ type: 'Audit.General', fetched: {}, listed: listed('2026-11-21T06:00:00Z', '2026-11-22T00:00:00Z') }], NOW)
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T00:00:00.000Z')
    ledger = applyUpdates(ledger, [{ type: 'Audit.General', fetched: {}, listed: listed('2026-11-20T12:00:00Z', '2026-11-21T12:00:00Z') }], NOW)
    expect(coveredUntil(ledger, ['Audit.General'])?.toISOString()).toBe('2026-11-21T12:00:00.000Z')
    expect(coveredUntil(ledger, ['Audit.General', 'Audit.Exchange'])).toBeUndefined()
  })

  it('renders stable text and reads it back', () => {
    const one = applyUpdates(emptyLedger(), [{ type: 'Audit.SharePoint', fetched: { b: '2026-11-29T00:00:00Z', a: '2026-11-29T00:00:00Z' } }], NOW)
    const two = applyUpdates(emptyLedger(), [{ type: 'Audit.SharePoint', fetched: { a: '2026-11-29T00:00:00Z', b: '2026-11-29T00:00:00Z' } }], NOW)
    expect(renderLedger(one)).toBe(renderLedger(two))
    expect(parseLedger(renderLedger(one), 'l')).toEqual(one)
  })

  it('refuses a file that is not a ledger', () => {
    expect(() => parseLedger('{', 'state/ledger.json')).toThrow(/state\/ledger\.json.*not valid JSON/)
    expect(() => parseLedger('{"version":2}', 'state/ledger.json')).toThrow(/not a version 1 ledger/)
  })
})
