import { describe, expect, it } from 'vitest'
import { DAY_MS, HOUR_MS, MINUTE_MS, parseDuration } from '../../src/config/duration.js'
import { PlanError, planSegments, RETENTION_MS, RETENTION_SAFETY_MS, type Plan } from '../../src/plan/segments.js'
import { renderPlanTable } from '../../src/plan/render-plan.js'

const NOW = new Date('2026-11-22T03:57:00Z')

function scheduled(lookback: string, segment: string, maxSegments = 1000, now = NOW): Plan {
  return planSegments({
    now,
    window: { mode: 'scheduled', lookbackMs: parseDuration(lookback) ?? NaN },
    segmentMs: parseDuration(segment) ?? NaN,
    maxSegments
  })
}

function expectContiguous(plan: Plan): void {
  expect(plan.segments[0]?.start).toEqual(plan.from)
  expect(plan.segments.at(-1)?.end).toEqual(plan.to)
  for (let i = 1; i < plan.segments.length; i++) {
    expect(plan.segments[i]?.start).toEqual(plan.segments[i - 1]?.end)
  }
  for (const segment of plan.segments) {
    const length = segment.end.getTime() - segment.start.getTime()
    expect(length).toBeGreaterThan(0)
    expect(length).toBeLessThanOrEqual(plan.segmentMs)
    expect(length).toBeLessThanOrEqual(DAY_MS)
  }
}

describe('planSegments: the CoE documentation examples', () => {
  it.each([
    ['1 day', '1 hour', 24],
    ['1 day', '5 minutes', 288],
    ['1 day', '15 minutes', 96],
    ['2 days', '1 hour', 48],
    ['1d', '1h', 24]
  ])('%s in segments of %s gives %i segments', (lookback, segment, count) => {
    const plan = scheduled(lookback, segment)
    expect(plan.segments).toHaveLength(count)
    expect(plan.to).toEqual(NOW)
    expect(plan.from.getTime()).toBe(NOW.getTime() - (parseDuration(lookback) ?? 0))
    expectContiguous(plan)
  })
})

describe('planSegments: backfill', () => {
  it('covers [start, end) with a partial last segment', () => {
    const plan = planSegments({
      now: NOW,
      window: { mode: 'backfill', start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-21T06:30:00Z') },
      segmentMs: 2 * HOUR_MS,
      maxSegments: 200
    })
    expect(plan.segments).toHaveLength(16)
    expect(plan.segments.at(-1)).toEqual({
      start: new Date('2026-11-21T06:00:00Z'),
      end: new Date('2026-11-21T06:30:00Z')
    })
    expectContiguous(plan)
  })

  it('ends at now when end is left out, floored to the minute', () => {
    const plan = planSegments({
      now: new Date('2026-11-22T03:57:42.123Z'),
      window: { mode: 'backfill', start: new Date('2026-11-22T00:00:00Z') },
      segmentMs: HOUR_MS,
      maxSegments: 200
    })
    expect(plan.to).toEqual(new Date('2026-11-22T03:57:00Z'))
    expect(plan.segments).toHaveLength(4)
  })

  it('stops at now when end is in the future, and says so', () => {
    const plan = planSegments({
      now: NOW,
      window: { mode: 'backfill', start: new Date('2026-11-21T00:00:00Z'), end: new Date('2026-11-25T00:00:00Z') },
      segmentMs: DAY_MS,
      maxSegments: 200
    })
    expect(plan.to).toEqual(NOW)
    expect(plan.notes.join()).toMatch(/in the future/)
  })

  it('accepts a start exactly 7 days back and refuses one a minute older', () => {
    const edge = new Date(NOW.getTime() - RETENTION_MS)
    const plan = planSegments({ now: NOW, window: { mode: 'backfill', start: edge }, segmentMs: DAY_MS, maxSegments: 10 })
    expect(plan.segments).toHaveLength(7)
    expectContiguous(plan)

    const tooOld = new Date(edge.getTime() - MINUTE_MS)
    expect(() =>
      planSegments({ now: NOW, window: { mode: 'backfill', start: tooOld }, segmentMs: DAY_MS, maxSegments: 10 })
    ).toThrow(/keeps content for 7 days.*'import'/s)
  })

  it.each([
    ['after end', '2026-11-21T06:00:00Z', '2026-11-21T05:00:00Z', /must be before 'end'/],
    ['equal to end', '2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z', /must be before 'end'/],
    ['in the future', '2026-11-23T00:00:00Z', undefined, /in the future/]
  ])('refuses a start %s', (_, start, end, message) => {
    const window = { mode: 'backfill' as const, start: new Date(start), ...(end ? { end: new Date(end) } : {}) }
    expect(() => planSegments({ now: NOW, window, segmentMs: HOUR_MS, maxSegments: 200 })).toThrow(message)
  })
})

describe('planSegments: limits', () => {
  it('refuses more than max-segments and says how many it would take', () => {
    const attempt = (): Plan => scheduled('1d', '10m', 60)
    expect(attempt).toThrow(PlanError)
    expect(attempt).toThrow(/takes 144 segments, more than 'max-segments' \(60\)/)
  })

  it('accepts exactly max-segments', () => {
    expect(scheduled('1d', '1h', 24).segments).toHaveLength(24)
  })

  it.each(['25h', '2d', '30s'])('refuses a segment of %s', (segment) => {
    const error = (() => {
      try {
        planSegments({
          now: NOW,
          window: { mode: 'scheduled', lookbackMs: DAY_MS },
          segmentMs: parseDuration(segment) ?? 30_000,
          maxSegments: 1000
        })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(PlanError)
    expect((error as PlanError).input).toBe('segment')
  })

  it('allows a 24 h segment', () => {
    expect(scheduled('7d', '24h').segments).toHaveLength(7)
  })
})

describe('planSegments: scheduled runs and coverage', () => {
  it('starts from coverage when earlier than the look-back (a skipped cron run is caught up)', () => {
    const coveredUntil = new Date('2026-11-19T12:00:00Z')
    const plan = planSegments({
      now: NOW,
      window: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil },
      segmentMs: HOUR_MS,
      maxSegments: 200
    })
    expect(plan.from).toEqual(coveredUntil)
    expectContiguous(plan)
  })

  it('re-lists the whole look-back when coverage is recent', () => {
    const plan = planSegments({
      now: NOW,
      window: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil: new Date(NOW.getTime() - HOUR_MS) },
      segmentMs: HOUR_MS,
      maxSegments: 200
    })
    expect(plan.from).toEqual(new Date(NOW.getTime() - DAY_MS))
  })

  it('clamps coverage older than 7 days to inside the API reach, and reports the gap', () => {
    const plan = planSegments({
      now: NOW,
      window: { mode: 'scheduled', lookbackMs: DAY_MS, coveredUntil: new Date('2026-11-01T00:00:00Z') },
      segmentMs: DAY_MS,
      maxSegments: 200
    })
    expect(plan.from.getTime()).toBe(NOW.getTime() - RETENTION_MS + RETENTION_SAFETY_MS)
    expect(plan.notes.join()).toMatch(/past the API's 7 days.*Purview/)
    expectContiguous(plan)
  })

  it('a 7-day look-back stays inside the reach', () => {
    const plan = scheduled('7d', '1h', 1000)
    expect(plan.from.getTime()).toBeGreaterThan(NOW.getTime() - RETENTION_MS)
    expect(plan.segments).toHaveLength(168)
  })

  it('refuses a look-back over 7 days', () => {
    expect(() => scheduled('8d', '1h')).toThrow(/'lookback'.*at most 7d/)
  })
})

describe('planSegments: UTC throughout', () => {
  it('runs under a zone with DST and a non-zero offset', () => {
    // vitest.config.ts sets TZ for the suite; prove it took, or this file proves nothing.
    expect(new Date('2026-07-01T00:00:00Z').getTimezoneOffset()).not.toBe(0)
    expect(new Date('2026-07-01T00:00:00Z').getTimezoneOffset()).not.toBe(
      new Date('2026-12-01T00:00:00Z').getTimezoneOffset()
    )
  })

  it('a day across the US DST change has 24 one-hour segments on UTC hours', () => {
    // 2026-11-01 06:00 UTC is when New York falls back; local time repeats an hour, UTC does not.
    const plan = planSegments({
      now: new Date('2026-11-02T12:00:00Z'),
      window: { mode: 'backfill', start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-02T00:00:00Z') },
      segmentMs: HOUR_MS,
      maxSegments: 200
    })
    expect(plan.segments).toHaveLength(24)
    expect(plan.segments.map((segment) => segment.start.getUTCHours())).toEqual([...Array(24).keys()])
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
