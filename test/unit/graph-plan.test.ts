import { describe, expect, it } from 'vitest'
import {
  emptyGraphLedger,
  type GraphLedger,
  type PendingQuery,
  type SelectedRange
} from '../../src/branch/graph-ledger.js'
import type { FailedWindow } from '../../src/branch/ledger.js'
import { planGraphQueries, selectionOf, type GraphPlanContext } from '../../src/graph/graph-plan.js'
import type { ContentType } from '../../src/record/content-types.js'
import type { RecordFilter } from '../../src/record/filter.js'
import type { TimeRange } from '../../src/record/time-range.js'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/util/duration.js'

/** Not on a whole minute: a scheduled range ends at the minute. */
const NOW = new Date('2026-11-22T03:57:42Z')
/** Two selections (`selectionOf` digests): what a run harvests for. */
const SELECTION = 'a1b2c3d4e5f6'
const OTHER = 'f6e5d4c3b2a1'
const CONTEXT: GraphPlanContext = { now: NOW, selection: SELECTION, settleMs: DAY_MS }
const at = (text: string): Date => new Date(text)
const range = (start: string, end: string): TimeRange => ({ start: at(start), end: at(end) })
const selected = (start: string, end: string, selection = SELECTION): SelectedRange => ({ start, end, selection })
const shown = (windows: TimeRange[]) =>
  windows.map(
    (window) =>
      `${window.start.toISOString().replace(':00.000Z', 'Z')}/${window.end.toISOString().replace(':00.000Z', 'Z')}`
  )
const stamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

const ledger = (parts: Partial<GraphLedger>): GraphLedger => ({ ...emptyGraphLedger(), ...parts })
const pendingQuery = (id: string, start: string, end: string): PendingQuery => ({
  id,
  start,
  end,
  submitted: '2026-11-22T01:00:00Z',
  resubmitted: 0
})
const failure = (start: string, end: string, overrides: Partial<FailedWindow> = {}): FailedWindow => ({
  start,
  end,
  code: 'QueryFailed',
  message: 'the query ended failed',
  attempts: 2,
  firstFailure: '2026-11-20T04:00:00Z',
  lastFailure: '2026-11-21T04:00:00Z',
  ...overrides
})

describe('planning Graph queries for a range', () => {
  it('cuts the range into one window per UTC day, cut at the range’s ends', () => {
    const asked = range('2026-11-10T06:00:00Z', '2026-11-13T03:00:00Z')
    const plan = planGraphQueries({ kind: 'range', range: asked }, undefined, CONTEXT)
    expect(shown(plan.windows)).toEqual([
      '2026-11-10T06:00Z/2026-11-11T00:00Z',
      '2026-11-11T00:00Z/2026-11-12T00:00Z',
      '2026-11-12T00:00Z/2026-11-13T00:00Z',
      '2026-11-13T00:00Z/2026-11-13T03:00Z'
    ])
    expect(plan).toMatchObject({ pending: [], range: asked, carried: 0 })
  })

  it('ends a range that reaches past now at now floored to the minute, and plans nothing of one in the future', () => {
    const plan = planGraphQueries(
      { kind: 'range', range: range('2026-11-21T12:00:00Z', '2026-11-25T00:00:00Z') },
      undefined,
      CONTEXT
    )
    expect(plan.range).toEqual(range('2026-11-21T12:00:00Z', '2026-11-22T03:57:00Z'))
    expect(shown(plan.windows)).toEqual(['2026-11-21T12:00Z/2026-11-22T00:00Z', '2026-11-22T00:00Z/2026-11-22T03:57Z'])
    const future = planGraphQueries(
      { kind: 'range', range: range('2026-11-22T03:57:30Z', '2026-11-23T00:00:00Z') },
      undefined,
      CONTEXT
    )
    expect(future).toEqual({ windows: [], pending: [], range: undefined, carried: 0 })
  })

  it('leaves out collected ranges and the windows of pending queries, and adopts the pending queries', () => {
    const running = pendingQuery('q1', '2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z')
    const plan = planGraphQueries(
      { kind: 'range', range: range('2026-11-10T06:00:00Z', '2026-11-14T03:00:00Z') },
      ledger({
        collected: [selected('2026-11-11T00:00:00Z', '2026-11-11T12:00:00Z')],
        pending: [running]
      }),
      CONTEXT
    )
    expect(shown(plan.windows)).toEqual([
      '2026-11-10T06:00Z/2026-11-11T00:00Z',
      '2026-11-11T12:00Z/2026-11-12T00:00Z',
      '2026-11-13T00:00Z/2026-11-14T00:00Z',
      '2026-11-14T00:00Z/2026-11-14T03:00Z'
    ])
    expect(plan.pending).toEqual([running])
    expect(plan.carried).toBe(0)
  })

  it('asks for nothing new when the range is collected, or empty', () => {
    const collected = ledger({ collected: [selected('2026-11-01T00:00:00Z', '2026-11-20T00:00:00Z')] })
    const inside = planGraphQueries(
      { kind: 'range', range: range('2026-11-05T00:00:00Z', '2026-11-08T00:00:00Z') },
      collected,
      CONTEXT
    )
    expect(inside.windows).toEqual([])
    const empty = planGraphQueries(
      { kind: 'range', range: range('2026-11-05T00:00:00Z', '2026-11-05T00:00:00Z') },
      undefined,
      CONTEXT
    )
    expect(empty).toEqual({ windows: [], pending: [], range: undefined, carried: 0 })
  })

  it('queries for a selection what was harvested only for another', () => {
    const asked = { kind: 'range' as const, range: range('2026-11-05T00:00:00Z', '2026-11-08T00:00:00Z') }
    const harvested = ledger({
      collected: [selected('2026-11-06T00:00:00Z', '2026-11-20T00:00:00Z', OTHER)],
      unsettled: [selected('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z', OTHER)]
    })
    const plan = planGraphQueries(asked, harvested, CONTEXT)
    expect(shown(plan.windows)).toEqual([
      '2026-11-05T00:00Z/2026-11-06T00:00Z',
      '2026-11-06T00:00Z/2026-11-07T00:00Z',
      '2026-11-07T00:00Z/2026-11-08T00:00Z'
    ])
    // Another selection's unsettled window is no window of this selection's to query again.
    expect(plan.carried).toBe(0)
    // For the other selection the range is collected, but for its settled unsettled day.
    const other = planGraphQueries(asked, harvested, { ...CONTEXT, selection: OTHER })
    expect(other.windows).toStrictEqual([range('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z')])
    expect(other.carried).toBe(1)
  })
})

describe('windows carried from earlier runs', () => {
  const running = pendingQuery('q8', '2026-11-08T00:00:00Z', '2026-11-09T00:00:00Z')
  const carriedLedger = ledger({
    collected: [
      selected('2026-11-07T00:00:00Z', '2026-11-08T00:00:00Z'),
      selected('2026-11-09T06:00:00Z', '2026-11-09T12:00:00Z'),
      // Another selection's: hides nothing.
      selected('2026-11-03T00:00:00Z', '2026-11-10T00:00:00Z', OTHER)
    ],
    pending: [running],
    failed: [failure('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z')],
    queued: [
      // Partly collected: queried whole.
      { start: '2026-11-09T00:00:00Z', end: '2026-11-09T12:00:00Z' },
      { start: '2026-11-03T12:00:00Z', end: '2026-11-04T00:00:00Z', resubmitted: 2 },
      // The failed window again: the waiting window is the one queried.
      { start: '2026-11-05T00:00:00Z', end: '2026-11-06T00:00:00Z' },
      // Collected since.
      { start: '2026-11-07T00:00:00Z', end: '2026-11-07T12:00:00Z' },
      // A running query's window.
      { start: '2026-11-08T00:00:00Z', end: '2026-11-09T00:00:00Z' }
    ]
  })
  const carriedWindows = [
    { start: at('2026-11-03T12:00:00Z'), end: at('2026-11-04T00:00:00Z'), resubmitted: 2 },
    { start: at('2026-11-05T00:00:00Z'), end: at('2026-11-06T00:00:00Z') },
    { start: at('2026-11-09T00:00:00Z'), end: at('2026-11-09T12:00:00Z') }
  ]

  it('come first, oldest first, keeping their resubmissions, unless collected or running', () => {
    const plan = planGraphQueries(
      { kind: 'range', range: range('2026-11-03T00:00:00Z', '2026-11-10T00:00:00Z') },
      carriedLedger,
      CONTEXT
    )
    expect(plan.carried).toBe(3)
    expect(plan.windows.slice(0, 3)).toStrictEqual(carriedWindows)
    // Fresh windows fill what nothing collected, running or carried covers.
    expect(shown(plan.windows.slice(3))).toEqual([
      '2026-11-03T00:00Z/2026-11-03T12:00Z',
      '2026-11-04T00:00Z/2026-11-05T00:00Z',
      '2026-11-06T00:00Z/2026-11-07T00:00Z',
      '2026-11-09T12:00Z/2026-11-10T00:00Z'
    ])
    expect(plan.pending).toEqual([running])
  })

  it('keep a waiting window’s resubmissions and final mark over a failed window of the same range', () => {
    const plan = planGraphQueries(
      undefined,
      ledger({
        failed: [failure('2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z')],
        queued: [
          { start: '2026-11-12T00:00:00Z', end: '2026-11-13T00:00:00Z', resubmitted: 2 },
          { start: '2026-11-14T00:00:00Z', end: '2026-11-15T00:00:00Z', final: true }
        ]
      }),
      CONTEXT
    )
    expect(plan.windows).toStrictEqual([
      { ...range('2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z'), resubmitted: 2 },
      { ...range('2026-11-14T00:00:00Z', '2026-11-15T00:00:00Z'), final: true }
    ])
    expect(plan.carried).toBe(2)
  })

  it('plan a failed window as final, only where nothing harvested, running or waiting covers it', () => {
    const plan = planGraphQueries(
      { kind: 'range', range: range('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z') },
      ledger({
        failed: [failure('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')],
        collected: [
          selected('2026-11-21T00:00:00Z', '2026-11-21T03:00:00Z'),
          selected('2026-11-21T03:00:00Z', '2026-11-21T06:00:00Z', OTHER)
        ],
        // Not settled yet (it ends less than a day before now): not queried again, and not failed.
        unsettled: [selected('2026-11-21T09:00:00Z', '2026-11-21T12:00:00Z')],
        pending: [pendingQuery('q1', '2026-11-21T15:00:00Z', '2026-11-21T18:00:00Z')],
        queued: [{ start: '2026-11-21T20:00:00Z', end: '2026-11-21T21:00:00Z' }]
      }),
      CONTEXT
    )
    expect(plan.windows).toStrictEqual([
      { ...range('2026-11-21T03:00:00Z', '2026-11-21T09:00:00Z'), final: true },
      { ...range('2026-11-21T12:00:00Z', '2026-11-21T15:00:00Z'), final: true },
      { ...range('2026-11-21T18:00:00Z', '2026-11-21T20:00:00Z'), final: true },
      range('2026-11-21T20:00:00Z', '2026-11-21T21:00:00Z'),
      { ...range('2026-11-21T21:00:00Z', '2026-11-22T00:00:00Z'), final: true }
    ])
    // The asked day is all carried or covered: no fresh window repeats a failed part.
    expect(plan.carried).toBe(5)
  })

  it('are all a run asks for when the inputs ask nothing of Graph', () => {
    const plan = planGraphQueries(undefined, carriedLedger, CONTEXT)
    expect(plan.windows).toStrictEqual(carriedWindows)
    expect(plan).toMatchObject({ pending: [running], range: undefined, carried: 3 })
    expect(planGraphQueries(undefined, undefined, CONTEXT)).toEqual({
      windows: [],
      pending: [],
      range: undefined,
      carried: 0
    })
  })
})

describe('windows harvested before they settled', () => {
  const harvested = ledger({
    unsettled: [
      // Touching entries (as a hand edit may leave them): queried as one range, a UTC day at a time.
      selected('2026-11-18T12:00:00Z', '2026-11-19T06:00:00Z'),
      selected('2026-11-19T06:00:00Z', '2026-11-20T06:00:00Z'),
      // Settles at 2026-11-22T06:00Z.
      selected('2026-11-21T00:00:00Z', '2026-11-21T06:00:00Z'),
      selected('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z', OTHER)
    ]
  })

  it('are queried again once settled, one window per UTC day, before fresh windows', () => {
    const plan = planGraphQueries(
      { kind: 'range', range: range('2026-11-18T00:00:00Z', '2026-11-23T00:00:00Z') },
      harvested,
      CONTEXT
    )
    expect(plan.carried).toBe(3)
    expect(plan.windows.slice(0, 3)).toStrictEqual([
      range('2026-11-18T12:00:00Z', '2026-11-19T00:00:00Z'),
      range('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
      range('2026-11-20T00:00:00Z', '2026-11-20T06:00:00Z')
    ])
    // The window that has not settled is not queried again yet, nor as a fresh window.
    expect(shown(plan.windows.slice(3))).toEqual([
      '2026-11-18T00:00Z/2026-11-18T12:00Z',
      '2026-11-20T06:00Z/2026-11-21T00:00Z',
      '2026-11-21T06:00Z/2026-11-22T00:00Z',
      '2026-11-22T00:00Z/2026-11-22T03:57Z'
    ])
  })

  it('are due when their end plus the settle time is at or before now floored to the minute', () => {
    const last = (now: Date, settleMs = DAY_MS) =>
      shown(planGraphQueries(undefined, harvested, { ...CONTEXT, now, settleMs }).windows).at(-1)
    expect(last(at('2026-11-22T05:59:59Z'))).toBe('2026-11-20T00:00Z/2026-11-20T06:00Z')
    expect(last(at('2026-11-22T06:00:59Z'))).toBe('2026-11-21T00:00Z/2026-11-21T06:00Z')
    // A shorter settle time makes it due sooner.
    expect(last(NOW, 21 * HOUR_MS)).toBe('2026-11-21T00:00Z/2026-11-21T06:00Z')
    // And a longer one later: nothing is due.
    expect(planGraphQueries(undefined, harvested, { ...CONTEXT, settleMs: 10 * DAY_MS }).windows).toEqual([])
  })

  it('are not queried again where a query runs or a window waits', () => {
    const plan = planGraphQueries(
      undefined,
      ledger({
        ...harvested,
        pending: [pendingQuery('q1', '2026-11-19T00:00:00Z', '2026-11-19T12:00:00Z')],
        queued: [{ start: '2026-11-19T18:00:00Z', end: '2026-11-20T00:00:00Z', resubmitted: 1 }]
      }),
      CONTEXT
    )
    expect(plan.windows).toStrictEqual([
      range('2026-11-18T12:00:00Z', '2026-11-19T00:00:00Z'),
      range('2026-11-19T12:00:00Z', '2026-11-19T18:00:00Z'),
      { ...range('2026-11-19T18:00:00Z', '2026-11-20T00:00:00Z'), resubmitted: 1 },
      range('2026-11-20T00:00:00Z', '2026-11-20T06:00:00Z')
    ])
    expect(plan.carried).toBe(4)
  })
})

describe('retrying a failed window', () => {
  const now = at('2026-11-22T04:00:00Z')
  const planned = (attempts: number, sinceMs: number) =>
    planGraphQueries(
      undefined,
      ledger({
        failed: [
          failure('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z', {
            attempts,
            lastFailure: stamp(now.getTime() - sinceMs)
          })
        ]
      }),
      { ...CONTEXT, now }
    ).windows

  it('is due the next run after one failure', () => {
    expect(planned(1, MINUTE_MS)).toStrictEqual([
      { ...range('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z'), final: true }
    ])
  })

  it('waits as many hours as it failed times, less one', () => {
    expect(planned(3, HOUR_MS)).toEqual([])
    expect(planned(3, 2 * HOUR_MS - MINUTE_MS)).toEqual([])
    expect(planned(3, 2 * HOUR_MS)).toHaveLength(1)
    expect(planned(2, HOUR_MS)).toHaveLength(1)
  })

  it('waits a day at most', () => {
    expect(planned(40, 23 * HOUR_MS)).toEqual([])
    expect(planned(40, DAY_MS - MINUTE_MS)).toEqual([])
    expect(planned(40, DAY_MS)).toStrictEqual([
      { ...range('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z'), final: true }
    ])
  })
})

describe('a failed window waiting out its backoff', () => {
  it('is not asked for as a fresh window either, and a window queued twice is queried once', () => {
    const now = at('2026-11-22T04:00:00Z')
    const plan = planGraphQueries(
      { kind: 'scheduled', lookbackMs: DAY_MS },
      ledger({
        failed: [
          failure('2026-11-21T10:00:00Z', '2026-11-21T11:00:00Z', { attempts: 5, lastFailure: '2026-11-22T03:00:00Z' })
        ],
        queued: [
          { start: '2026-11-20T00:00:00Z', end: '2026-11-20T12:00:00Z' },
          { start: '2026-11-20T00:00:00Z', end: '2026-11-20T12:00:00Z' }
        ]
      }),
      { ...CONTEXT, now }
    )
    expect(shown(plan.windows)).toEqual([
      '2026-11-20T00:00Z/2026-11-20T12:00Z',
      '2026-11-21T04:00Z/2026-11-21T10:00Z',
      '2026-11-21T11:00Z/2026-11-22T00:00Z',
      '2026-11-22T00:00Z/2026-11-22T04:00Z'
    ])
    expect(plan.carried).toBe(1)
  })
})

describe('a scheduled Graph run', () => {
  const scheduled = { kind: 'scheduled' as const, lookbackMs: DAY_MS }

  it('asks for its look-back, ending at now floored to the minute', () => {
    const plan = planGraphQueries(scheduled, undefined, CONTEXT)
    expect(plan.range).toEqual(range('2026-11-21T03:57:00Z', '2026-11-22T03:57:00Z'))
    expect(shown(plan.windows)).toEqual(['2026-11-21T03:57Z/2026-11-22T00:00Z', '2026-11-22T00:00Z/2026-11-22T03:57Z'])
  })

  it('reaches back to the end of the last collected range when that is older than the look-back', () => {
    const plan = planGraphQueries(
      scheduled,
      ledger({
        collected: [
          selected('2026-11-01T00:00:00Z', '2026-11-05T00:00:00Z'),
          selected('2026-11-10T00:00:00Z', '2026-11-19T12:00:00Z')
        ]
      }),
      CONTEXT
    )
    expect(plan.range).toEqual(range('2026-11-19T12:00:00Z', '2026-11-22T03:57:00Z'))
    expect(shown(plan.windows)).toEqual([
      '2026-11-19T12:00Z/2026-11-20T00:00Z',
      '2026-11-20T00:00Z/2026-11-21T00:00Z',
      '2026-11-21T00:00Z/2026-11-22T00:00Z',
      '2026-11-22T00:00Z/2026-11-22T03:57Z'
    ])
  })

  it('reaches back to the end of the last unsettled range after a pause longer than the look-back', () => {
    const plan = planGraphQueries(
      scheduled,
      ledger({
        collected: [
          selected('2026-11-10T00:00:00Z', '2026-11-18T00:00:00Z'),
          // Another selection's harvest, later: not this selection's.
          selected('2026-11-18T00:00:00Z', '2026-11-21T00:00:00Z', OTHER)
        ],
        unsettled: [selected('2026-11-18T00:00:00Z', '2026-11-19T12:00:00Z')]
      }),
      CONTEXT
    )
    expect(plan.range).toEqual(range('2026-11-19T12:00:00Z', '2026-11-22T03:57:00Z'))
    // The unsettled windows, settled since, come first.
    expect(plan.carried).toBe(2)
    expect(shown(plan.windows)).toEqual([
      '2026-11-18T00:00Z/2026-11-19T00:00Z',
      '2026-11-19T00:00Z/2026-11-19T12:00Z',
      '2026-11-19T12:00Z/2026-11-20T00:00Z',
      '2026-11-20T00:00Z/2026-11-21T00:00Z',
      '2026-11-21T00:00Z/2026-11-22T00:00Z',
      '2026-11-22T00:00Z/2026-11-22T03:57Z'
    ])
  })

  it('keeps its look-back when only another selection harvested before it', () => {
    const plan = planGraphQueries(
      scheduled,
      ledger({ collected: [selected('2026-11-10T00:00:00Z', '2026-11-19T12:00:00Z', OTHER)] }),
      CONTEXT
    )
    expect(plan.range).toEqual(range('2026-11-21T03:57:00Z', '2026-11-22T03:57:00Z'))
  })

  it('keeps its look-back when the last collected range ends inside it, querying only what is not collected', () => {
    const plan = planGraphQueries(
      scheduled,
      ledger({ collected: [selected('2026-11-20T00:00:00Z', '2026-11-21T12:00:00Z')] }),
      CONTEXT
    )
    expect(plan.range).toEqual(range('2026-11-21T03:57:00Z', '2026-11-22T03:57:00Z'))
    expect(shown(plan.windows)).toEqual(['2026-11-21T12:00Z/2026-11-22T00:00Z', '2026-11-22T00:00Z/2026-11-22T03:57Z'])
  })
})

describe('the selection a run harvests for', () => {
  const filter: RecordFilter = {
    operations: ['FileAccessed', 'UserLoggedIn'],
    workloads: ['Exchange', 'SharePoint'],
    recordTypes: [6, 15]
  }
  const types: ContentType[] = ['Audit.General', 'Audit.Exchange']
  const digest = selectionOf(types, filter)

  it('is a short hex digest that ignores the order of content types and the order and case of filters', () => {
    expect(digest).toMatch(/^[0-9a-f]{12}$/)
    expect(
      selectionOf(['Audit.Exchange', 'Audit.General'], {
        operations: ['userloggedin', 'FILEACCESSED'],
        workloads: ['sharepoint', 'EXCHANGE'],
        recordTypes: [15, 6]
      })
    ).toBe(digest)
  })

  it('changes when a content type or a filter value is added, or a value moves to another field', () => {
    const others = [
      selectionOf([...types, 'Audit.SharePoint'], filter),
      selectionOf(['Audit.General'], filter),
      selectionOf(types, { ...filter, operations: [...filter.operations, 'FileDeleted'] }),
      selectionOf(types, { ...filter, operations: [] }),
      selectionOf(types, { ...filter, workloads: [...filter.workloads, 'OneDrive'] }),
      selectionOf(types, { ...filter, recordTypes: [6, 15, 25] }),
      selectionOf(types, { ...filter, operations: ['FileAccessed'], workloads: [...filter.workloads, 'UserLoggedIn'] })
    ]
    for (const other of others) expect(other).not.toBe(digest)
    expect(new Set(others).size).toBe(others.length)
  })
})
