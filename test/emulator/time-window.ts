/**
 * `startTime`/`endTime` parsing and the listing window rules of "List available content" in the
 * Management Activity API reference (see this folder's README.md).
 *
 * Times are kept as 100-ns ticks since the Unix epoch (bigint) because clients send up to
 * seven fractional digits and the 24-hour rule must not round them away.
 */
import { af, type ApiError } from './errors.js'

/** 100-ns ticks per millisecond (.NET's tick). */
export const TICKS_PER_MS = 10_000n

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, optional 1–7 fractional
 * digits, optional `Z` or `±HH:MM`/`±HHMM`. No zone means UTC (the service's rule).
 * @returns ticks since the epoch, or undefined when the text is not such a time.
 */
export function parseApiTime(text: string): bigint | undefined {
  const m = TIME_PATTERN.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 31 February over to March; the service would reject it.
  if (new Date(ms).getUTCDate() !== day) return undefined
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)))
  }
  const fractionTicks = BigInt(frac.padEnd(7, '0'))
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * TICKS_PER_MS + fractionTicks
}

/** Ticks for a Date. */
export function ticksOf(date: Date): bigint {
  return BigInt(date.getTime()) * TICKS_PER_MS
}

/** A resolved listing window `[start, end)` in ticks, plus the texts to echo in NextPageUri. */
export interface ListingWindow {
  start: bigint
  end: bigint
  startText: string
  endText: string
  /** True when the client sent no times and the emulator chose the window. */
  implicit: boolean
}

/** Rules that depend on the emulator's configuration. */
export interface WindowRules {
  now: Date
  /** How far back a start may lie: the retention (7 days) plus a grace period. */
  maxAgeMs: number
  /** What an omitted window means; Microsoft's reference and troubleshooting guide disagree. */
  omittedWindowMode: 'last24h' | 'todayUtc'
}

const DAY_TICKS = 24n * 3_600_000n * TICKS_PER_MS

/**
 * Validates the raw `startTime`/`endTime` query values and resolves the window.
 * @returns the window, or the AF error the service would answer.
 */
export function resolveWindow(
  rawStart: string | undefined,
  rawEnd: string | undefined,
  rules: WindowRules
): ListingWindow | ApiError {
  const now = ticksOf(rules.now)
  if (rawStart === undefined && rawEnd === undefined) {
    const start =
      rules.omittedWindowMode === 'todayUtc'
        ? ticksOf(new Date(Date.UTC(rules.now.getUTCFullYear(), rules.now.getUTCMonth(), rules.now.getUTCDate())))
        : now - DAY_TICKS
    return { start, end: now, startText: formatTicks(start), endText: formatTicks(now), implicit: true }
  }
  if (rawStart === undefined || rawEnd === undefined || rawStart === '' || rawEnd === '') {
    return af.windowBothOrNeither()
  }
  const start = parseApiTime(rawStart)
  if (start === undefined) return af.invalidParameterType('startTime', 'DateTime')
  const end = parseApiTime(rawEnd)
  if (end === undefined) return af.invalidParameterType('endTime', 'DateTime')
  const oldest = now - BigInt(rules.maxAgeMs) * TICKS_PER_MS
  // A future end is fine (elastic/beats relies on it); only these three rules fail.
  if (start >= end || end - start > DAY_TICKS || start < oldest) return af.invalidWindow(rawStart, rawEnd)
  return { start, end, startText: rawStart, endText: rawEnd, implicit: false }
}

/** `2026-11-20T13:17:34.123Z` for a tick count (millisecond precision). */
export function formatTicks(ticks: bigint): string {
  return new Date(Number(ticks / TICKS_PER_MS)).toISOString()
}
