import { describe, expect, it } from 'vitest'
import { isApiError } from './errors.js'
import { formatTicks, parseApiTime, resolveWindow, TICKS_PER_MS } from './time-window.js'

const iso = (text: string) => {
  const ticks = parseApiTime(text)
  return ticks === undefined ? undefined : formatTicks(ticks)
}

describe('parseApiTime', () => {
  it.each([
    ['2026-11-20', '2026-11-20T00:00:00.000Z'],
    ['2026-11-20T06:05', '2026-11-20T06:05:00.000Z'],
    ['2026-11-20T06:05:07', '2026-11-20T06:05:07.000Z'],
    ['2026-11-20T06:05:07.5', '2026-11-20T06:05:07.500Z'],
    ['2026-11-20T06:05:07.2372975Z', '2026-11-20T06:05:07.237Z'],
    ['2026-11-20T06:05:07+02:00', '2026-11-20T04:05:07.000Z'],
    ['2026-11-20T06:05:07-0130', '2026-11-20T07:35:07.000Z']
  ])('reads %s as UTC %s', (text, expected) => {
    expect(iso(text)).toBe(expected)
  })

  it('keeps all seven fractional digits', () => {
    expect((parseApiTime('2026-11-20T00:00:00.0000001Z') ?? 0n) - (parseApiTime('2026-11-20') ?? 0n)).toBe(1n)
  })

  it.each([
    '2026-11-31',
    '2026-13-01',
    '2026-11-20T24:00',
    '2026-11-20 06:00',
    '2026-11-20T06:00:00.12345678',
    '20/11/2026',
    '2026-11-20Z',
    ''
  ])('rejects %j', (text) => {
    expect(parseApiTime(text)).toBeUndefined()
  })
})

describe('resolveWindow', () => {
  const rules = {
    now: new Date('2026-11-20T12:00:00Z'),
    maxAgeMs: 7 * 86_400_000 + 3_600_000,
    omittedWindowMode: 'last24h' as const
  }

  it('keeps a 24 h window at tick precision', () => {
    expect(isApiError(resolveWindow('2026-11-19T06:00:00.0000000Z', '2026-11-20T06:00:00.0000000Z', rules))).toBe(false)
    expect(isApiError(resolveWindow('2026-11-19T06:00:00.0000000Z', '2026-11-20T06:00:00.0000001Z', rules))).toBe(true)
  })

  it('resolves omitted times to the last 24 h or to today since UTC midnight', () => {
    const last = resolveWindow(undefined, undefined, rules)
    const today = resolveWindow(undefined, undefined, { ...rules, omittedWindowMode: 'todayUtc' })
    if (isApiError(last) || isApiError(today)) throw new Error('unexpected error')
    expect([formatTicks(last.start), formatTicks(last.end)]).toEqual([
      '2026-11-19T12:00:00.000Z',
      '2026-11-20T12:00:00.000Z'
    ])
    expect(formatTicks(today.start)).toBe('2026-11-20T00:00:00.000Z')
    expect(last.implicit).toBe(true)
  })

  it('treats an empty value as missing (AF20030)', () => {
    expect(resolveWindow('', '2026-11-20', rules)).toMatchObject({ body: { error: { code: 'AF20030' } } })
  })

  it('compares in ticks, not rounded milliseconds', () => {
    const w = resolveWindow('2026-11-20T06:00:00.00005', '2026-11-20T07:00', rules)
    if (isApiError(w)) throw new Error('unexpected error')
    expect(w.start % TICKS_PER_MS).toBe(500n)
  })
})
