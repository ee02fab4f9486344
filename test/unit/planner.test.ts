import { describe, expect, it } from 'vitest'
import { DAY_MS, HOUR_MS, MINUTE_MS, parseDuration } from '../../src/util/duration.js'
import { RETENTION_MS, RETENTION_SAFETY_MS } from '../../src/m365/retention.js'
import { PlanError, planWindows, type Plan } from '../../src/plan/windows.js'
import { renderPlanTable } from '../../src/plan/render-plan.js'
import { planRun } from '../../src/plan/plan-run.js'
import { emptyLedger, type Ledger } from '../../src/branch/ledger.js'
import { filterDigest } from '../../src/record/filter.js'

const NOW = new Date('2026-11-22T03:57:00Z')

function scheduled(lookback: string, segment: string, maxWindows = 1000, now = NOW): Plan {
  return planWindows({
    now,
    scope: { mode: 'scheduled', lookbackMs: parseDuration(lookback) ?? NaN },
    windowMs: parseDuration(segment) ?? NaN,
    maxWindows
  })
}

function expectContiguous(plan: Plan): void {
  expect(plan.windows[0]?.start).toEqual(plan.from)
  expect(plan.windows.at(-1)?.end).toEqual(plan.to)
  for (let i = 1; i < plan.windows.length; i++) {
    expect(plan.windows[i]?.start).toEqual(plan.windows[i - 1]?.end)
  }
  for (const segment of plan.windows) {
    const length = segment.end.getTime() - segment.start.getTime()
    expect(length).toBeGreaterThan(0)
    expect(length).toBeLessThanOrEqual(plan.windowMs)
    expect(length).toBeLessThanOrEqual(DAY_MS)
  }
}

describe('planWindows: the CoE documentation examples', () => {
  it.each([
    ['1 day', '1 hour', 24],
    ['1 day', '5 minutes', 288],
    ['1 day', '15 minutes', 96],
    ['2 days', '1 hour', 48],
    ['1d', '1h', 24]
  ])('%s in segments of %s gives %i segments', (lookback, segment, count) => {
    const plan = scheduled(lookback, segment)
    expect(plan.windows).toHaveLength(count)
    expect(plan.to).toEqual(NOW)
    expect(plan.from.getTime()).toBe(NOW.getTime() - (parseDuration(lookback) ?? 0))
    expectContiguous(plan)
  })
})

describe('planWindows: backfill', () => {
  it('covers [start, end) with a partial last segment', () => {
    const plan = planWindows({
      now: NOW,
      scope: { mode: 'backfill', start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-21T06:30:00Z') },
      windowMs: 2 * HOUR_MS,
      maxWindows: 200
    })
    expect(plan.windows).toHaveLength(16)
    expect(plan.windows.at(-1)).toEqual({
      start: new Date('2026-11-21T06:00:00Z'),
      end: new Date('2026-11-21T06:30:00Z')
    })
    expectContiguous(plan)
  })

  it('ends at now when end is left out, floored to the minute', () => {
    const plan = planWindows({
      now: new Date('2026-11-22T03:57:42.123Z'),
      scope: { mode: 'backfill', start: new Date('2026-11-22T00:00:00Z') },
      windowMs: HOUR_MS,
      maxWindows: 200
    })
    expect(plan.to).toEqual(new Date('2026-11-22T03:57:00Z'))
    expect(plan.windows).toHaveLength(4)
  })

  it('stops at now when end is in the future, and says so', () => {
    const plan = planWindows({
      now: NOW,
      scope: { mode: 'backfill', start: new Date('2026-11-21T00:00:00Z'), end: new Date('2026-11-25T00:00:00Z') },
      windowMs: DAY_MS,
      maxWindows: 200
    })
    expect(plan.to).toEqual(NOW)
    expect(plan.notes.join()).toMatch(/in the future/)
  })

  it('accepts a start exactly 7 days back and refuses one a minute older', () => {
    const edge = new Date(NOW.getTime() - RETENTION_MS)
    const plan = planWindows({ now: NOW, scope: { mode: 'backfill', start: edge }, windowMs: DAY_MS, maxWindows: 10 })
    expect(plan.windows).toHaveLength(7)
    expectContiguous(plan)

    const tooOld = new Date(edge.getTime() - MINUTE_MS)
    expect(() =>
      planWindows({ now: NOW, scope: { mode: 'backfill', start: tooOld }, windowMs: DAY_MS, maxWindows: 10 })
    ).toThrow(/keeps content for 7 days.*'import'/s)
  })

  it.each([
    ['after end', '2026-11-21T06:00:00Z', '2026-11-21T05:00:00Z', /must be before 'end'/],
    ['equal to end', '2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z', /must be before 'end'/],
    ['in the future', '2026-11-23T00:00:00Z', undefined, /in the future/]
  ])('refuses a start %s', (_, start, end, message) => {
    const scope = { mode: 'backfill' as const, start: new Date(start), ...(end ? { end: new Date(end) } : {}) }
    expect(() => planWindows({ now: NOW, scope, windowMs: HOUR_MS, maxWindows: 200 })).toThrow(message)
  })
})

describe('planWindows: limits', () => {
  it('refuses more than max-segments and says how many it would take', () => {
    const attempt = (): Plan => scheduled('1d', '10m', 60)
    expect(attempt).toThrow(PlanError)
    expect(attempt).toThrow(/takes 144 segments, more than 'max-segments' \(60\)/)
  })

  it('accepts exactly max-segments', () => {
    expect(scheduled('1d', '1h', 24).windows).toHaveLength(24)
  })

  it.each(['25h', '2d', '30s'])('refuses a segment of %s', (segment) => {
    const error = (() => {
      try {
        planWindows({
          now: NOW,
          scope: { mode: 'scheduled', lookbackMs: DAY_MS },
          windowMs: parseDuration(segment) ?? 30_000,
          maxWindows: 1000
        })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(PlanError)
    expect((error as PlanError).input).toBe('segment')
  })

  it('allows a 24 h segment', () => {
    expect(scheduled('7d', '24h').windows).toHaveLength(7)
  })
})

describe('planWindows: scheduled runs and coverage', () => {
  it('starts from coverage when earlier than the look-back (a skipped cron run is caught up)', () => {
    const coveredUntil = new Date('2026-11-19T12:00:00Z')
    const plan = planWindows({
      now: NOW,
      scope: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil },
      windowMs: HOUR_MS,
      maxWindows: 200
    })
    expect(plan.from).toEqual(coveredUntil)
    expectContiguous(plan)
  })

  it('re-lists the whole look-back when coverage is recent', () => {
    const plan = planWindows({
      now: NOW,
      scope: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil: new Date(NOW.getTime() - HOUR_MS) },
      windowMs: HOUR_MS,
      maxWindows: 200
    })
    expect(plan.from).toEqual(new Date(NOW.getTime() - DAY_MS))
  })

  it('clamps coverage older than 7 days to inside the API reach, and reports the gap', () => {
    const plan = planWindows({
      now: NOW,
      scope: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil: new Date('2026-11-01T00:00:00Z') },
      windowMs: DAY_MS,
      maxWindows: 200
    })
    expect(plan.from.getTime()).toBe(NOW.getTime() - RETENTION_MS + RETENTION_SAFETY_MS)
    expect(plan.notes.join()).toMatch(/past the API's 7 days.*Purview/)
    expectContiguous(plan)
  })

  it('a 7-day look-back stays inside the reach', () => {
    const plan = scheduled('7d', '1h', 1000)
    expect(plan.from.getTime()).toBeGreaterThan(NOW.getTime() - RETENTION_MS)
    expect(plan.windows).toHaveLength(168)
  })

  it('refuses a look-back over 7 days', () => {
    expect(() => scheduled('8d', '1h')).toThrow(/'lookback'.*at most 7d/)
  })
})

describe('planWindows: UTC throughout', () => {
  it('runs under a zone with DST and a non-zero offset', () => {
    // vitest.config.ts sets TZ for the suite; prove it took, or this file proves nothing.
    expect(new Date('2026-07-01T00:00:00Z').getTimezoneOffset()).not.toBe(0)
    expect(new Date('2026-07-01T00:00:00Z').getTimezoneOffset()).not.toBe(
      new Date('2026-12-01T00:00:00Z').getTimezoneOffset()
    )
  })

  it('a day across the US DST change has 24 one-hour segments on UTC hours', () => {
    // 2026-11-01 06:00 UTC is when New York falls back; local time repeats an hour, UTC does not.
    const plan = planWindows({
      now: new Date('2026-11-02T12:00:00Z'),
      scope: { mode: 'backfill', start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-02T00:00:00Z') },
      windowMs: HOUR_MS,
      maxWindows: 200
    })
    expect(plan.windows).toHaveLength(24)
    expect(plan.windows.map((segment) => segment.start.getUTCHours())).toEqual([...Array(24).keys()])
  })
})

describe('renderPlanTable', () => {
  it('prints one aligned row per segment', () => {
    const table = renderPlanTable(scheduled('3h', '1h', 10, new Date('2026-11-22T12:00:00Z')))
    expect(table.split('\n')).toEqual([
      '#  start (UTC)           end (UTC)             length',
      '1  2026-11-22T09:00:00Z  2026-11-22T10:00:00Z  1h',
      '2  2026-11-22T10:00:00Z  2026-11-22T11:00:00Z  1h',
      '3  2026-11-22T11:00:00Z  2026-11-22T12:00:00Z  1h'
    ])
  })
})

describe('planRun: filters that changed since earlier runs', () => {
  const now = new Date('2026-11-22T04:00:00Z')
  const ledgerWith = (filter?: string): Ledger => {
    const ledger = emptyLedger()
    ledger.contentTypes['Audit.General'] = {
      coveredUntil: '2026-11-22T03:00:00Z',
      fetched: {},
      ...(filter ? { filter } : {}),
      failed: [],
      gaps: []
    }
    return ledger
  }
  const request = (operations: string[], maxWindows = 200) => ({
    contentTypes: ['Audit.General' as const],
    scope: { mode: 'scheduled' as const, lookbackMs: DAY_MS },
    windowMs: HOUR_MS,
    maxWindows,
    filter: { operations, workloads: [], recordTypes: [] }
  })

  it('list the API’s whole reach again, within max-segments, and say why', () => {
    const digest = filterDigest({ operations: ['LaunchPowerApps'], workloads: [], recordTypes: [] })
    const same = planRun(request(['launchpowerapps']), ledgerWith(digest), now)
    expect(same.plan.from.toISOString()).toBe('2026-11-21T04:00:00.000Z')
    expect(same.plan.notes).toEqual([])
    const fixed = planRun(request(['LaunchPowerApp']), ledgerWith(digest), now)
    expect(fixed.plan.from.getTime()).toBe(now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS)
    expect(fixed.plan.notes.join(' ')).toMatch(/filters .* differ .* read again/)
    const dropped = planRun(request([]), ledgerWith(digest), now)
    expect(dropped.plan.windows.length).toBeGreaterThan(160)
    const bounded = planRun(request(['LaunchPowerApp'], 50), ledgerWith(digest), now).plan.windows
    expect(bounded.length).toBeLessThanOrEqual(50)
    expect(bounded.length).toBeGreaterThan(45)
    // A ledger without filters and a run without them: nothing changed.
    expect(planRun(request([]), ledgerWith(), now).plan.notes).toEqual([])
  })
})
