import { describe, expect, it } from 'vitest'
import { RETENTION_MS, RETENTION_SAFETY_MS } from '../../src/m365/retention.js'
import { graphPartEnd, oldestListableStart, splitScope, stillListable } from '../../src/plan/sources.js'
import type { PlanScope } from '../../src/plan/windows.js'
import { DAY_MS } from '../../src/util/duration.js'

/** Not on a whole minute: the Management API's reach is counted from the minute. */
const NOW = new Date('2026-11-22T03:57:42Z')
/** 7 days before 03:57, plus the planner's 5 minutes of safety. */
const LISTABLE = new Date('2026-11-15T04:02:00Z')
const at = (text: string): Date => new Date(text)

const scheduled: PlanScope = { mode: 'scheduled', lookbackMs: DAY_MS }
const backfill = (start: string, end?: string): PlanScope => ({
  mode: 'backfill',
  start: at(start),
  ...(end ? { end: at(end) } : {})
})

describe('the oldest start the Management API lists', () => {
  it('is 7 days before now’s minute, less the safety margin, and a day of overlap is a day', () => {
    expect(oldestListableStart(NOW)).toEqual(LISTABLE)
    expect(LISTABLE.getTime()).toBe(at('2026-11-22T03:57:00Z').getTime() - RETENTION_MS + RETENTION_SAFETY_MS)
    // Graph's part of an auto backfill ends at the UTC midnight a day or two past the line.
    expect(graphPartEnd(LISTABLE)).toEqual(at('2026-11-17T00:00:00Z'))
    expect(graphPartEnd(at('2026-11-15T23:59:00Z'))).toEqual(at('2026-11-17T00:00:00Z'))
  })
})

describe('splitting a run’s scope between its sources', () => {
  it('gives the Management API everything with source management-api', () => {
    for (const scope of [scheduled, backfill('2026-11-20T00:00:00Z'), backfill('2026-11-01T00:00:00Z', '2026-11-05')]) {
      const split = splitScope(scope, 'management-api', NOW)
      expect(split.management).toBe(scope)
      expect(split.graph).toBeUndefined()
    }
  })

  it('gives Graph everything with source graph, a scheduled run its look-back', () => {
    expect(splitScope(scheduled, 'graph', NOW)).toEqual({
      management: undefined,
      graph: { kind: 'scheduled', lookbackMs: DAY_MS }
    })
    expect(splitScope(backfill('2026-11-01T00:00:00Z', '2026-11-05T00:00:00Z'), 'graph', NOW)).toEqual({
      management: undefined,
      graph: { kind: 'range', range: { start: at('2026-11-01T00:00:00Z'), end: at('2026-11-05T00:00:00Z') } }
    })
  })

  it('ends a Graph backfill at now when its end is later or not given', () => {
    for (const scope of [backfill('2026-11-20T00:00:00Z'), backfill('2026-11-20T00:00:00Z', '2026-11-30T00:00:00Z')]) {
      expect(splitScope(scope, 'graph', NOW).graph).toEqual({
        kind: 'range',
        range: { start: at('2026-11-20T00:00:00Z'), end: NOW }
      })
    }
  })

  it('sends nothing to Graph with source auto when the Management API serves the whole range', () => {
    expect(splitScope(scheduled, 'auto', NOW)).toEqual({ management: scheduled, graph: undefined })
    for (const scope of [
      backfill('2026-11-20T00:00:00Z'),
      backfill('2026-11-16T00:00:00Z', '2026-11-18T00:00:00Z'),
      { mode: 'backfill', start: LISTABLE } satisfies PlanScope
    ]) {
      const split = splitScope(scope, 'auto', NOW)
      expect(split.management).toBe(scope)
      expect(split.graph).toBeUndefined()
    }
  })

  it('sends what the Management API no longer serves to Graph with source auto, overlapping to the midnight a day or two past the line', () => {
    expect(splitScope(backfill('2026-11-02T00:00:00Z'), 'auto', NOW)).toEqual({
      management: { mode: 'backfill', start: LISTABLE },
      graph: {
        kind: 'range',
        range: { start: at('2026-11-02T00:00:00Z'), end: graphPartEnd(LISTABLE) }
      }
    })
    // The Management API keeps the backfill's own end (its planner cuts a future end at now).
    const future = splitScope(backfill('2026-11-02T00:00:00Z', '2026-11-30T00:00:00Z'), 'auto', NOW)
    expect(future.management).toEqual({ mode: 'backfill', start: LISTABLE, end: at('2026-11-30T00:00:00Z') })
    expect(future.graph).toEqual({
      kind: 'range',
      range: { start: at('2026-11-02T00:00:00Z'), end: at('2026-11-17T00:00:00Z') }
    })
  })

  it('ends Graph’s part at the backfill’s end when that comes before the overlap does', () => {
    expect(splitScope(backfill('2026-11-02T00:00:00Z', '2026-11-15T12:00:00Z'), 'auto', NOW)).toEqual({
      management: { mode: 'backfill', start: LISTABLE, end: at('2026-11-15T12:00:00Z') },
      graph: { kind: 'range', range: { start: at('2026-11-02T00:00:00Z'), end: at('2026-11-15T12:00:00Z') } }
    })
  })

  it('gives the Management API nothing with source auto when the backfill is older than its reach', () => {
    for (const end of ['2026-11-10T00:00:00Z', LISTABLE.toISOString()]) {
      expect(splitScope(backfill('2026-11-01T00:00:00Z', end), 'auto', NOW)).toEqual({
        management: undefined,
        graph: { kind: 'range', range: { start: at('2026-11-01T00:00:00Z'), end: at(end) } }
      })
    }
  })
})

describe('the Management API windows of an auto backfill, once Graph was waited for', () => {
  it('are cut at the oldest start still listable, and dropped when wholly older', () => {
    const window = (start: string, end: string) => ({
      type: 'Audit.General',
      range: { start: at(start), end: at(end) }
    })
    const later = new Date(NOW.getTime() + 2 * 3_600_000)
    const listable = oldestListableStart(later)
    const kept = stillListable(
      [
        window('2026-11-15T04:02:00Z', '2026-11-15T05:00:00Z'),
        window('2026-11-15T05:00:00Z', '2026-11-16T05:00:00Z'),
        window('2026-11-16T05:00:00Z', '2026-11-17T05:00:00Z')
      ],
      later
    )
    expect(kept.map((entry) => [entry.range.start.toISOString(), entry.range.end.toISOString()])).toEqual([
      [listable.toISOString(), '2026-11-16T05:00:00.000Z'],
      ['2026-11-16T05:00:00.000Z', '2026-11-17T05:00:00.000Z']
    ])
    expect(listable.toISOString()).toBe('2026-11-15T06:02:00.000Z')
  })
})
