import { describe, expect, it } from 'vitest'
import {
  applyGraphUpdate,
  emptyGraphLedger,
  isGraphLedgerEmpty,
  mergeRanges,
  readGraphLedger,
  renderGraphLedger,
  submissionsLeft,
  uncoveredParts,
  type GraphLedger,
  type GraphLedgerUpdate,
  type PendingQuery,
  type SelectedRange
} from '../../src/branch/graph-ledger.js'
import {
  allFailures,
  applyUpdates,
  emptyLedger,
  GRAPH_QUERIES,
  parseLedger,
  renderLedger,
  type FailedWindow,
  type Ledger
} from '../../src/branch/ledger.js'
import type { TimeRange } from '../../src/record/time-range.js'
import { DAY_MS, HOUR_MS } from '../../src/util/duration.js'

const NOW = new Date('2026-11-22T04:00:00Z')
/** Two selections (`selectionOf` digests): what a run harvests for. `SELECTION` sorts first. */
const SELECTION = 'a1b2c3d4e5f6'
const OTHER = 'f6e5d4c3b2a1'
const at = (text: string): Date => new Date(text)
const range = (start: string, end: string): TimeRange => ({ start: at(start), end: at(end) })
const selected = (start: string, end: string, selection = SELECTION): SelectedRange => ({ start, end, selection })
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const shown = (windows: TimeRange[]) =>
  windows.map((window) => `${window.start.toISOString()}/${window.end.toISOString()}`)

const failure = (start: string, end: string, overrides: Partial<FailedWindow> = {}): FailedWindow => ({
  start,
  end,
  code: 'QueryFailed',
  message: 'the query ended failed',
  attempts: 1,
  firstFailure: '2026-11-21T04:00:00Z',
  lastFailure: '2026-11-21T04:00:00Z',
  ...overrides
})

const pendingQuery = (id: string, start: string, end: string, resubmitted = 0): PendingQuery => ({
  id,
  start,
  end,
  submitted: '2026-11-22T03:00:00Z',
  resubmitted
})

const graphLedger = (parts: Partial<GraphLedger> = {}): GraphLedger => ({ ...emptyGraphLedger(), ...parts })

const update = (parts: Partial<GraphLedgerUpdate> = {}): GraphLedgerUpdate => ({
  selection: SELECTION,
  collected: [],
  failed: [],
  pending: [],
  queued: [],
  submitted: 0,
  ...parts
})

const settled = (start: string, end: string) => ({ ...range(start, end), settled: true })
const unsettled = (start: string, end: string) => ({ ...range(start, end), settled: false })

describe('reading the Graph section of a ledger', () => {
  it('is undefined when the file has no Graph section', () => {
    for (const value of [undefined, null, 'graph', 42, false])
      expect(readGraphLedger(value), String(value)).toBe(undefined)
    expect(readGraphLedger({})).toEqual(emptyGraphLedger())
    expect(readGraphLedger({ collected: 'all of it', unsettled: 3, pending: {}, submissions: 3 })).toEqual(
      emptyGraphLedger()
    )
  })

  it('keeps well-formed entries, drops malformed ones, and merges harvested ranges within each selection', () => {
    const kept = failure('2026-11-03T00:00:00Z', '2026-11-04T00:00:00Z', { attempts: 3 })
    const graph = readGraphLedger({
      collected: [
        selected('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'),
        selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'),
        // Overlaps the ranges above, but for another selection: not merged with them.
        selected('2026-11-02T12:00:00Z', '2026-11-04T00:00:00Z', OTHER),
        // Written before ranges had a selection, or with one that is not a string.
        { start: '2026-11-05T00:00:00Z', end: '2026-11-06T00:00:00Z' },
        { start: '2026-11-06T00:00:00Z', end: '2026-11-07T00:00:00Z', selection: 7 },
        { start: '2026-11-07T00:00:00Z', end: '2026-11-08T00:00:00Z', selection: null },
        selected('2026-11-10T00:00:00Z', '2026-11-10T00:00:00Z'),
        selected('2026-11-12T00:00:00Z', '2026-11-11T00:00:00Z'),
        selected('last week', '2026-11-11T00:00:00Z'),
        selected('2026-02-30T00:00:00Z', '2026-03-02T00:00:00Z'),
        { start: '2026-11-11T00:00:00Z', selection: SELECTION },
        { start: 20261111, end: 20261112, selection: SELECTION },
        null,
        'text'
      ],
      unsettled: [
        selected('2026-11-21T12:00:00Z', '2026-11-22T00:00:00Z'),
        selected('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z'),
        { start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z' },
        selected('2026-11-20T00:00:00Z', 'tomorrow', OTHER)
      ],
      pending: [
        { id: 'q1', start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z', submitted: '2026-11-21T06:00:00Z' },
        {
          id: 'q2',
          start: '2026-11-19T00:00:00Z',
          end: '2026-11-20T00:00:00Z',
          submitted: '2026-11-21T06:00:00Z',
          resubmitted: 2
        },
        { start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z', submitted: '2026-11-21T06:00:00Z' },
        { id: 'q4', start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z' },
        { id: 5, start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z', submitted: '2026-11-21T06:00:00Z' },
        { id: 'q6', start: '2026-11-19T00:00:00Z', end: '2026-11-18T00:00:00Z', submitted: '2026-11-21T06:00:00Z' },
        {
          id: 'q7',
          start: '2026-11-17T00:00:00Z',
          end: '2026-11-18T00:00:00Z',
          submitted: '2026-11-21T07:00:00Z',
          final: true,
          foundByName: true
        },
        // Only `true` counts.
        {
          id: 'q8',
          start: '2026-11-16T00:00:00Z',
          end: '2026-11-17T00:00:00Z',
          submitted: '2026-11-21T07:00:00Z',
          final: 'yes',
          foundByName: 1
        },
        // A submission time that is no time.
        { id: 'q9', start: '2026-11-16T00:00:00Z', end: '2026-11-17T00:00:00Z', submitted: 'yesterday' }
      ],
      queued: [
        { start: '2026-11-15T00:00:00Z', end: '2026-11-15T12:00:00Z', resubmitted: 1 },
        { start: '2026-11-15T12:00:00Z', end: '2026-11-16T00:00:00Z', resubmitted: 0 },
        { start: '2026-11-16T00:00:00Z', end: '2026-11-17T00:00:00Z' },
        { start: '2026-11-17T00:00:00Z', end: 'tomorrow' },
        { start: '2026-11-13T00:00:00Z', end: '2026-11-14T00:00:00Z', final: true },
        { start: '2026-11-14T00:00:00Z', end: '2026-11-15T00:00:00Z', final: 'true' }
      ],
      failed: [
        kept,
        { ...kept, start: '2026-11-05T00:00:00Z', end: '2026-11-04T00:00:00Z' },
        'failed',
        // No message, no count: the redaction and the retry count would stumble on it.
        { start: kept.start, end: kept.end, code: 'X' }
      ],
      submissions: [
        { at: '2026-11-21T10:00:00Z', count: 3 },
        { at: 'soon', count: 3 },
        { at: '2026-11-21T11:00:00Z', count: 0 },
        { at: '2026-11-21T11:00:00Z', count: -1 },
        { at: '2026-11-21T11:00:00Z', count: '5' },
        { count: 2 },
        null
      ]
    })
    expect(graph).toStrictEqual({
      collected: [
        selected('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'),
        selected('2026-11-02T12:00:00Z', '2026-11-04T00:00:00Z', OTHER)
      ],
      unsettled: [selected('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')],
      pending: [
        {
          id: 'q1',
          start: '2026-11-20T00:00:00Z',
          end: '2026-11-21T00:00:00Z',
          submitted: '2026-11-21T06:00:00Z',
          resubmitted: 0
        },
        {
          id: 'q2',
          start: '2026-11-19T00:00:00Z',
          end: '2026-11-20T00:00:00Z',
          submitted: '2026-11-21T06:00:00Z',
          resubmitted: 2
        },
        {
          id: 'q7',
          start: '2026-11-17T00:00:00Z',
          end: '2026-11-18T00:00:00Z',
          submitted: '2026-11-21T07:00:00Z',
          resubmitted: 0,
          final: true,
          foundByName: true
        },
        {
          id: 'q8',
          start: '2026-11-16T00:00:00Z',
          end: '2026-11-17T00:00:00Z',
          submitted: '2026-11-21T07:00:00Z',
          resubmitted: 0
        }
      ],
      queued: [
        { start: '2026-11-15T00:00:00Z', end: '2026-11-15T12:00:00Z', resubmitted: 1 },
        { start: '2026-11-15T12:00:00Z', end: '2026-11-16T00:00:00Z' },
        { start: '2026-11-16T00:00:00Z', end: '2026-11-17T00:00:00Z' },
        { start: '2026-11-13T00:00:00Z', end: '2026-11-14T00:00:00Z', final: true },
        { start: '2026-11-14T00:00:00Z', end: '2026-11-15T00:00:00Z' }
      ],
      failed: [kept],
      submissions: [{ at: '2026-11-21T10:00:00Z', count: 3 }]
    })
  })

  it('renders sorted, with harvested ranges merged within each selection, leaving its input as it was', () => {
    const graph = graphLedger({
      collected: [
        selected('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z'),
        selected('2026-11-03T00:00:00Z', '2026-11-05T00:00:00Z', OTHER),
        selected('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'),
        selected('2026-11-02T00:00:00Z', '2026-11-04T00:00:00Z')
      ],
      unsettled: [
        selected('2026-11-21T12:00:00Z', '2026-11-22T00:00:00Z', OTHER),
        selected('2026-11-21T06:00:00Z', '2026-11-21T12:00:00Z'),
        selected('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z', OTHER)
      ],
      pending: [
        pendingQuery('late', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'),
        pendingQuery('long', '2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
        pendingQuery('short', '2026-11-19T00:00:00Z', '2026-11-19T12:00:00Z')
      ],
      queued: [
        { start: '2026-11-16T00:00:00Z', end: '2026-11-17T00:00:00Z' },
        { start: '2026-11-15T00:00:00Z', end: '2026-11-16T00:00:00Z', resubmitted: 1 }
      ],
      failed: [
        failure('2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z'),
        failure('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')
      ],
      submissions: [
        { at: '2026-11-21T12:00:00Z', count: 1 },
        { at: '2026-11-21T06:00:00Z', count: 2 }
      ]
    })
    const before = structuredClone(graph)
    const rendered = renderGraphLedger(graph)
    expect(rendered.collected).toEqual([
      selected('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z'),
      selected('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z'),
      selected('2026-11-03T00:00:00Z', '2026-11-05T00:00:00Z', OTHER)
    ])
    expect(rendered.unsettled).toEqual([
      selected('2026-11-21T06:00:00Z', '2026-11-21T12:00:00Z'),
      selected('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z', OTHER)
    ])
    expect(rendered.pending.map((query) => query.id)).toEqual(['short', 'long', 'late'])
    expect(rendered.queued.map((window) => window.start)).toEqual(['2026-11-15T00:00:00Z', '2026-11-16T00:00:00Z'])
    expect(rendered.failed.map((window) => window.start)).toEqual(['2026-11-10T00:00:00Z', '2026-11-12T00:00:00Z'])
    expect(rendered.submissions.map((entry) => entry.at)).toEqual(['2026-11-21T06:00:00Z', '2026-11-21T12:00:00Z'])
    expect(graph).toEqual(before)
    expect(renderGraphLedger(rendered)).toEqual(rendered)
  })

  it('is empty only when every list is', () => {
    expect(isGraphLedgerEmpty(emptyGraphLedger())).toBe(true)
    const one: Partial<GraphLedger>[] = [
      { collected: [selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] },
      { unsettled: [selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] },
      { pending: [pendingQuery('q1', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] },
      { queued: [{ start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' }] },
      { failed: [failure('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] },
      { submissions: [{ at: '2026-11-21T00:00:00Z', count: 1 }] }
    ]
    for (const parts of one) expect(isGraphLedgerEmpty(graphLedger(parts)), JSON.stringify(parts)).toBe(false)
  })
})

describe('applying a run’s Graph work', () => {
  it('remembers settled windows as collected and the others as unsettled, merged where they touch', () => {
    const graph = graphLedger({ collected: [selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] })
    const before = structuredClone(graph)
    const { graph: next } = applyGraphUpdate(
      graph,
      update({
        collected: [
          settled('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'),
          settled('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z'),
          unsettled('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'),
          unsettled('2026-11-22T00:00:00Z', '2026-11-22T03:00:00Z')
        ]
      }),
      NOW
    )
    expect(next.collected).toEqual([
      selected('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'),
      selected('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z')
    ])
    expect(next.unsettled).toEqual([selected('2026-11-21T00:00:00Z', '2026-11-22T03:00:00Z')])
    expect(graph).toEqual(before)
  })

  it('files what it harvested under the run’s selection, never merged with another selection’s ranges', () => {
    const graph = graphLedger({
      collected: [selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', OTHER)],
      unsettled: [selected('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z', OTHER)]
    })
    const { graph: next } = applyGraphUpdate(
      graph,
      update({
        collected: [
          settled('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'),
          unsettled('2026-11-21T12:00:00Z', '2026-11-22T00:00:00Z')
        ]
      }),
      NOW
    )
    expect(next.collected).toEqual([
      selected('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'),
      selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', OTHER)
    ])
    expect(next.unsettled).toEqual([
      selected('2026-11-21T12:00:00Z', '2026-11-22T00:00:00Z'),
      selected('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z', OTHER)
    ])
    // The other selection's run files its own harvest under its own selection.
    const other = applyGraphUpdate(
      next,
      update({ selection: OTHER, collected: [settled('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z')] }),
      NOW
    ).graph
    expect(other.collected).toEqual([
      selected('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'),
      selected('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z', OTHER)
    ])
  })

  it('forgets an unsettled window once a settled harvest of the selection covers it, keeping what is not covered', () => {
    const graph = graphLedger({
      unsettled: [
        selected('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
        selected('2026-11-20T06:00:00Z', '2026-11-22T00:00:00Z'),
        selected('2026-11-19T00:00:00Z', '2026-11-22T00:00:00Z', OTHER)
      ]
    })
    const before = structuredClone(graph)
    const partly = applyGraphUpdate(
      graph,
      update({
        collected: [
          settled('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
          settled('2026-11-21T00:00:00Z', '2026-11-21T06:00:00Z')
        ]
      }),
      NOW
    ).graph
    expect(partly.collected).toEqual([
      selected('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
      selected('2026-11-21T00:00:00Z', '2026-11-21T06:00:00Z')
    ])
    // The whole first window and the middle of the second are settled now; another selection's are not.
    expect(partly.unsettled).toEqual([
      selected('2026-11-20T06:00:00Z', '2026-11-21T00:00:00Z'),
      selected('2026-11-21T06:00:00Z', '2026-11-22T00:00:00Z'),
      selected('2026-11-19T00:00:00Z', '2026-11-22T00:00:00Z', OTHER)
    ])
    expect(graph).toEqual(before)
    const whole = applyGraphUpdate(
      partly,
      update({ collected: [settled('2026-11-20T00:00:00Z', '2026-11-22T00:00:00Z')] }),
      NOW
    ).graph
    expect(whole.collected).toEqual([selected('2026-11-19T00:00:00Z', '2026-11-22T00:00:00Z')])
    expect(whole.unsettled).toEqual([selected('2026-11-19T00:00:00Z', '2026-11-22T00:00:00Z', OTHER)])
  })

  it('keeps no unsettled part of a window the selection already collected', () => {
    const graph = graphLedger({ collected: [selected('2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z')] })
    const { graph: next } = applyGraphUpdate(
      graph,
      update({ collected: [unsettled('2026-11-09T00:00:00Z', '2026-11-11T00:00:00Z')] }),
      NOW
    )
    expect(next.collected).toEqual([selected('2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z')])
    expect(next.unsettled).toEqual([selected('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')])
    // For another selection the same harvest is all unsettled.
    const other = applyGraphUpdate(
      graph,
      update({ selection: OTHER, collected: [unsettled('2026-11-09T00:00:00Z', '2026-11-11T00:00:00Z')] }),
      NOW
    ).graph
    expect(other.unsettled).toEqual([selected('2026-11-09T00:00:00Z', '2026-11-11T00:00:00Z', OTHER)])
  })

  it('replaces the pending queries and queued windows with the run’s, keeping resubmission counts and final marks', () => {
    const graph = graphLedger({
      pending: [pendingQuery('old', '2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')],
      queued: [{ start: '2026-11-12T00:00:00Z', end: '2026-11-13T00:00:00Z' }]
    })
    const running = pendingQuery('new', '2026-11-14T00:00:00Z', '2026-11-15T00:00:00Z', 1)
    const found: PendingQuery = {
      ...pendingQuery('found', '2026-11-15T00:00:00Z', '2026-11-16T00:00:00Z'),
      final: true,
      foundByName: true
    }
    const { graph: next } = applyGraphUpdate(
      graph,
      update({
        pending: [running, found],
        queued: [
          { ...range('2026-11-16T00:00:00Z', '2026-11-16T12:00:00Z'), resubmitted: 2 },
          { ...range('2026-11-16T12:00:00Z', '2026-11-17T00:00:00Z'), resubmitted: 0 },
          range('2026-11-17T00:00:00Z', '2026-11-18T00:00:00Z'),
          { ...range('2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z'), final: true },
          { ...range('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'), final: false, resubmitted: 1 }
        ]
      }),
      NOW
    )
    expect(next.pending).toStrictEqual([running, found])
    expect(next.pending[0]).not.toBe(running)
    expect(next.queued).toStrictEqual([
      { start: '2026-11-16T00:00:00Z', end: '2026-11-16T12:00:00Z', resubmitted: 2 },
      { start: '2026-11-16T12:00:00Z', end: '2026-11-17T00:00:00Z' },
      { start: '2026-11-17T00:00:00Z', end: '2026-11-18T00:00:00Z' },
      { start: '2026-11-18T00:00:00Z', end: '2026-11-19T00:00:00Z', final: true },
      { start: '2026-11-19T00:00:00Z', end: '2026-11-20T00:00:00Z', resubmitted: 1 }
    ])
    const emptied = applyGraphUpdate(graph, update(), NOW).graph
    expect([emptied.pending, emptied.queued]).toEqual([[], []])
  })

  it('records a failed window with one attempt, and a second failure raises attempts and keeps the first time', () => {
    const window = range('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')
    const first = applyGraphUpdate(
      emptyGraphLedger(),
      update({ failed: [{ window, code: 'QueryFailed', reason: 'the query ended failed' }] }),
      NOW
    )
    expect(first.graph.failed).toEqual([
      {
        start: '2026-11-10T00:00:00Z',
        end: '2026-11-11T00:00:00Z',
        code: 'QueryFailed',
        message: 'the query ended failed',
        attempts: 1,
        firstFailure: '2026-11-22T04:00:00Z',
        lastFailure: '2026-11-22T04:00:00Z'
      }
    ])
    expect(first.recovered).toEqual([])
    const later = new Date(NOW.getTime() + 6 * HOUR_MS)
    const second = applyGraphUpdate(
      first.graph,
      update({ failed: [{ window, code: 'QueryCancelled', reason: 'the query was cancelled' }] }),
      later
    )
    expect(second.graph.failed).toEqual([
      {
        start: '2026-11-10T00:00:00Z',
        end: '2026-11-11T00:00:00Z',
        code: 'QueryCancelled',
        message: 'the query was cancelled',
        attempts: 2,
        firstFailure: '2026-11-22T04:00:00Z',
        lastFailure: '2026-11-22T10:00:00Z'
      }
    ])
    // The ledger the second run read is as it was.
    expect(first.graph.failed[0]).toMatchObject({ attempts: 1, code: 'QueryFailed' })
    // Another window is a failure of its own.
    const third = applyGraphUpdate(
      second.graph,
      update({
        failed: [{ window: range('2026-11-10T00:00:00Z', '2026-11-10T12:00:00Z'), code: 'X', reason: 'half' }]
      }),
      later
    )
    expect(third.graph.failed.map((entry) => [entry.end, entry.attempts])).toEqual([
      ['2026-11-11T00:00:00Z', 2],
      ['2026-11-10T12:00:00Z', 1]
    ])
  })

  it('recovers a failed window that a harvested window covers, settled or not, and returns it', () => {
    const settledDay = failure('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')
    const recentHalf = failure('2026-11-21T06:00:00Z', '2026-11-21T12:00:00Z')
    const partly = failure('2026-11-11T12:00:00Z', '2026-11-12T12:00:00Z')
    const { graph, recovered } = applyGraphUpdate(
      graphLedger({ failed: [settledDay, recentHalf, partly] }),
      update({
        collected: [
          settled('2026-11-10T00:00:00Z', '2026-11-12T00:00:00Z'),
          unsettled('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')
        ]
      }),
      NOW
    )
    expect(recovered).toEqual([settledDay, recentHalf])
    expect(graph.failed).toEqual([partly])
  })

  it('recovers a failed day that comes back in halves (the record-count limit), and leaves its input as it was', () => {
    const day = failure('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')
    const before = graphLedger({ failed: [day] })
    const copy = structuredClone(before)
    const { graph, recovered } = applyGraphUpdate(
      before,
      update({
        collected: [
          settled('2026-11-10T00:00:00Z', '2026-11-10T12:00:00Z'),
          settled('2026-11-10T12:00:00Z', '2026-11-11T00:00:00Z')
        ],
        failed: [{ window: range('2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z'), code: 'QueryFailed', reason: 'x' }]
      }),
      NOW
    )
    expect(recovered).toEqual([day])
    expect(graph.failed.map((entry) => entry.start)).toEqual(['2026-11-12T00:00:00Z'])
    // A failure counted again changes the result, not the ledger it was read from.
    applyGraphUpdate(
      graph,
      update({
        failed: [{ window: range('2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z'), code: 'QueryFailed', reason: 'y' }]
      }),
      NOW
    )
    expect(graph.failed[0]?.attempts).toBe(1)
    expect(before).toEqual(copy)
  })

  it('recovers a failed day from a settled half and an unsettled half, or a half collected by an earlier run', () => {
    const day = failure('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z')
    const mixed = applyGraphUpdate(
      graphLedger({ failed: [day] }),
      update({
        collected: [
          settled('2026-11-20T00:00:00Z', '2026-11-20T12:00:00Z'),
          unsettled('2026-11-20T12:00:00Z', '2026-11-21T00:00:00Z')
        ]
      }),
      NOW
    )
    expect(mixed.recovered).toEqual([day])
    expect(mixed.graph.failed).toEqual([])
    const earlier = applyGraphUpdate(
      graphLedger({ failed: [day], collected: [selected('2026-11-20T00:00:00Z', '2026-11-20T12:00:00Z')] }),
      update({ collected: [unsettled('2026-11-20T12:00:00Z', '2026-11-21T00:00:00Z')] }),
      NOW
    )
    expect(earlier.recovered).toEqual([day])
  })

  it('does not recover a failed day with what was harvested for another selection', () => {
    const day = failure('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z')
    const graph = graphLedger({
      failed: [day],
      collected: [selected('2026-11-20T00:00:00Z', '2026-11-20T12:00:00Z', OTHER)],
      unsettled: [selected('2026-11-20T00:00:00Z', '2026-11-20T12:00:00Z', OTHER)]
    })
    const { graph: next, recovered } = applyGraphUpdate(
      graph,
      update({ collected: [settled('2026-11-20T12:00:00Z', '2026-11-21T00:00:00Z')] }),
      NOW
    )
    expect(recovered).toEqual([])
    expect(next.failed).toEqual([day])
    // The same halves for one selection recover it.
    expect(
      applyGraphUpdate(
        graph,
        update({ selection: OTHER, collected: [settled('2026-11-20T12:00:00Z', '2026-11-21T00:00:00Z')] }),
        NOW
      ).recovered
    ).toEqual([day])
  })

  it('drops submissions older than 24 hours and appends this run’s count at the run’s time', () => {
    const graph = graphLedger({
      submissions: [
        { at: ago(25 * HOUR_MS), count: 5 },
        { at: ago(23 * HOUR_MS), count: 3 }
      ]
    })
    expect(applyGraphUpdate(graph, update({ submitted: 2 }), NOW).graph.submissions).toEqual([
      { at: ago(23 * HOUR_MS), count: 3 },
      { at: '2026-11-22T04:00:00Z', count: 2 }
    ])
    expect(applyGraphUpdate(graph, update({ submitted: 0 }), NOW).graph.submissions).toEqual([
      { at: ago(23 * HOUR_MS), count: 3 }
    ])
    expect(graph.submissions).toHaveLength(2)
  })
})

describe('submissions left in the rolling day', () => {
  it('counts only the last 24 hours, and never goes below 0', () => {
    const graph = graphLedger({
      submissions: [
        { at: ago(25 * HOUR_MS), count: 50 },
        { at: ago(DAY_MS), count: 40 },
        { at: ago(23 * HOUR_MS), count: 30 },
        { at: ago(HOUR_MS), count: 10 }
      ]
    })
    expect(submissionsLeft(graph, 100, NOW)).toBe(60)
    expect(submissionsLeft(graph, 30, NOW)).toBe(0)
    expect(submissionsLeft(graph, 40, NOW)).toBe(0)
    expect(submissionsLeft(undefined, 100, NOW)).toBe(100)
    expect(submissionsLeft(emptyGraphLedger(), 7, NOW)).toBe(7)
    // An hour later the run of 23 hours ago no longer counts.
    expect(submissionsLeft(graph, 100, new Date(NOW.getTime() + HOUR_MS))).toBe(90)
  })
})

describe('ranges', () => {
  it('merge where they touch, overlap or contain one another, sorted, dropping empty ones', () => {
    expect(mergeRanges([])).toEqual([])
    expect(
      mergeRanges([
        { start: '2026-11-09T00:00:00Z', end: '2026-11-10T00:00:00Z' },
        { start: '2026-11-01T00:00:00.000Z', end: '2026-11-02T00:00:00.000Z' },
        { start: '2026-11-02T00:00:00Z', end: '2026-11-03T00:00:00Z' },
        { start: '2026-11-05T00:00:00Z', end: '2026-11-06T12:00:00Z' },
        { start: '2026-11-06T00:00:00Z', end: '2026-11-07T00:00:00Z' },
        { start: '2026-11-09T06:00:00Z', end: '2026-11-09T18:00:00Z' },
        { start: '2026-11-20T00:00:00Z', end: '2026-11-20T00:00:00Z' },
        { start: '2026-11-21T00:00:00Z', end: '2026-11-20T00:00:00Z' }
      ])
    ).toEqual([
      { start: '2026-11-01T00:00:00Z', end: '2026-11-03T00:00:00Z' },
      { start: '2026-11-05T00:00:00Z', end: '2026-11-07T00:00:00Z' },
      { start: '2026-11-09T00:00:00Z', end: '2026-11-10T00:00:00Z' }
    ])
    // A second apart is not touching.
    expect(
      mergeRanges([
        { start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' },
        { start: '2026-11-02T00:00:01Z', end: '2026-11-03T00:00:00Z' }
      ])
    ).toHaveLength(2)
  })

  it('leave the parts of a range that no cut covers, in time order', () => {
    const day = range('2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z')
    expect(shown(uncoveredParts(day, []))).toEqual(shown([day]))
    // Cuts that only touch the range's ends take nothing.
    expect(
      shown(
        uncoveredParts(day, [
          range('2026-11-09T00:00:00Z', '2026-11-10T00:00:00Z'),
          range('2026-11-11T00:00:00Z', '2026-11-12T00:00:00Z')
        ])
      )
    ).toEqual(shown([day]))
    expect(shown(uncoveredParts(day, [range('2026-11-09T12:00:00Z', '2026-11-10T06:00:00Z')]))).toEqual([
      '2026-11-10T06:00:00.000Z/2026-11-11T00:00:00.000Z'
    ])
    expect(shown(uncoveredParts(day, [range('2026-11-10T18:00:00Z', '2026-11-11T06:00:00Z')]))).toEqual([
      '2026-11-10T00:00:00.000Z/2026-11-10T18:00:00.000Z'
    ])
    expect(shown(uncoveredParts(day, [range('2026-11-10T06:00:00Z', '2026-11-10T08:00:00Z')]))).toEqual([
      '2026-11-10T00:00:00.000Z/2026-11-10T06:00:00.000Z',
      '2026-11-10T08:00:00.000Z/2026-11-11T00:00:00.000Z'
    ])
    expect(uncoveredParts(day, [day])).toEqual([])
    expect(uncoveredParts(day, [range('2026-11-09T00:00:00Z', '2026-11-12T00:00:00Z')])).toEqual([])
    expect(
      uncoveredParts(day, [
        range('2026-11-10T00:00:00Z', '2026-11-10T12:00:00Z'),
        range('2026-11-10T12:00:00Z', '2026-11-11T00:00:00Z')
      ])
    ).toEqual([])
    // Cuts given out of order still leave the parts in time order.
    expect(
      shown(
        uncoveredParts(day, [
          range('2026-11-10T18:00:00Z', '2026-11-10T20:00:00Z'),
          range('2026-11-10T02:00:00Z', '2026-11-10T04:00:00Z')
        ])
      )
    ).toEqual([
      '2026-11-10T00:00:00.000Z/2026-11-10T02:00:00.000Z',
      '2026-11-10T04:00:00.000Z/2026-11-10T18:00:00.000Z',
      '2026-11-10T20:00:00.000Z/2026-11-11T00:00:00.000Z'
    ])
  })
})

describe('the Graph section in the ledger file', () => {
  const general = {
    coveredUntil: '2026-11-22T03:00:00Z',
    fetched: { '2026-11-21': 'AAAAAAAAAAAA' },
    failed: [],
    gaps: []
  }
  const graphFailure = failure('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', { attempts: 2 })
  const withGraph: Ledger = {
    version: 2,
    contentTypes: { 'Audit.General': general },
    graph: {
      collected: [
        selected('2026-10-20T00:00:00Z', '2026-10-25T00:00:00Z'),
        selected('2026-10-26T00:00:00Z', '2026-10-27T00:00:00Z'),
        selected('2026-10-20T00:00:00Z', '2026-10-22T00:00:00Z', OTHER)
      ],
      unsettled: [
        selected('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'),
        selected('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', OTHER)
      ],
      pending: [
        pendingQuery('q1', '2026-11-03T00:00:00Z', '2026-11-04T00:00:00Z', 1),
        { ...pendingQuery('q2', '2026-11-06T00:00:00Z', '2026-11-07T00:00:00Z'), final: true, foundByName: true }
      ],
      queued: [
        { start: '2026-11-04T00:00:00Z', end: '2026-11-04T12:00:00Z', resubmitted: 2 },
        { start: '2026-11-04T12:00:00Z', end: '2026-11-05T00:00:00Z' },
        { start: '2026-11-05T00:00:00Z', end: '2026-11-06T00:00:00Z', final: true }
      ],
      failed: [graphFailure],
      submissions: [{ at: '2026-11-21T10:00:00Z', count: 4 }]
    }
  }

  it('round-trips through render and parse', () => {
    const text = renderLedger(withGraph)
    expect(JSON.parse(text)).toHaveProperty('graph')
    const parsed = parseLedger(text, 'state/ledger.json')
    expect(parsed).toStrictEqual(withGraph)
    expect(renderLedger(parsed)).toBe(text)
  })

  it('is left out for a ledger without Graph work, so the file’s bytes do not change', () => {
    const expected =
      '{\n  "version": 2,\n  "contentTypes": {\n    "Audit.General": {\n' +
      '      "coveredUntil": "2026-11-22T03:00:00Z",\n      "fetched": {\n        "2026-11-21": "AAAAAAAAAAAA"\n      },\n' +
      '      "failed": [],\n      "gaps": []\n    }\n  }\n}\n'
    const managementOnly: Ledger = { version: 2, contentTypes: { 'Audit.General': general } }
    expect(renderLedger(managementOnly)).toBe(expected)
    expect(renderLedger({ ...managementOnly, graph: emptyGraphLedger() })).toBe(expected)
    expect(renderLedger(emptyLedger())).toBe('{\n  "version": 2,\n  "contentTypes": {}\n}\n')
    const parsed = parseLedger(expected, 'state/ledger.json')
    expect(parsed).not.toHaveProperty('graph')
    expect(parseLedger(JSON.stringify({ ...JSON.parse(expected), graph: {} }), 'state/ledger.json')).not.toHaveProperty(
      'graph'
    )
    // A run of the Management API alone applies no Graph update and writes the same bytes.
    const applied = applyUpdates(parsed, [{ type: 'Audit.General', fetched: [] }], NOW).ledger
    expect(applied).not.toHaveProperty('graph')
    expect(renderLedger(applied)).toBe(expected)
  })

  it('lists Graph failed windows among every open failure', () => {
    const contentFailure = failure('2026-11-21T00:00:00Z', '2026-11-21T01:00:00Z', { code: 'AF20023' })
    const ledger: Ledger = {
      ...withGraph,
      contentTypes: { 'Audit.General': { ...general, failed: [contentFailure] } }
    }
    expect(allFailures(ledger)).toEqual([
      { ...contentFailure, type: 'Audit.General' },
      { ...graphFailure, type: GRAPH_QUERIES }
    ])
    expect(allFailures({ version: 2, contentTypes: {} })).toEqual([])
  })

  it('reports Graph windows a run recovered, and keeps old Graph failures out of the gaps', () => {
    const old = failure('2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z')
    const ledger: Ledger = { ...withGraph, graph: { ...withGraph.graph!, failed: [graphFailure, old] } }
    const before = renderLedger(ledger)
    const { ledger: next, changes } = applyUpdates(
      ledger,
      [],
      NOW,
      undefined,
      update({ collected: [settled('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')] })
    )
    expect(changes.recovered).toEqual([{ ...graphFailure, type: GRAPH_QUERIES }])
    expect(changes.newGaps).toEqual([])
    expect(next.graph?.failed).toEqual([old])
    expect(next.graph?.collected).toContainEqual(selected('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'))
    expect(renderLedger(ledger)).toBe(before)
  })

  it('starts a Graph section in a ledger that had none', () => {
    const { ledger } = applyUpdates(emptyLedger(), [], NOW, undefined, update({ submitted: 3 }))
    expect(ledger.graph).toEqual(graphLedger({ submissions: [{ at: '2026-11-22T04:00:00Z', count: 3 }] }))
    expect(JSON.parse(renderLedger(ledger)).graph.submissions).toEqual([{ at: '2026-11-22T04:00:00Z', count: 3 }])
  })
})
