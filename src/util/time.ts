import { DAY_MS, MINUTE_MS } from './duration.js'
/**
 * Instants in inputs are ISO 8601 and UTC unless they say otherwise: `2026-11-20`,
 * `2026-11-20T06:00`, `2026-11-20T06:00Z`, `2026-11-20T06:00:00.000+02:00`. A bare date
 * or time is UTC, because the Management API and every file we write speak UTC, and the
 * runner's zone must never change what gets collected.
 */

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i

/** Parses an ISO 8601 instant; undefined when it is not one or names an impossible date. */
export function parseInstant(text: string): Date | undefined {
  const match = ISO_INSTANT.exec(text.trim())
  if (!match) return undefined
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined
  const millis = Math.floor(Number(`0.${fraction || '0'}`) * 1000)
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis)
  // Date.UTC rolls 2026-02-30 over into March; a real calendar date survives the round trip.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined
  return new Date(utc - zoneOffsetMs(zone))
}

function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000
}

/** `2026-11-20T06:00:00Z`: the one way instants are shown to users and the API. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `2026-11-20T06:00:00Z..2026-11-20T07:00:00Z`: a window as the log and errors show it. */
export function formatRange(range: { start: Date; end: Date }): string {
  return `${formatInstant(range.start)}..${formatInstant(range.end)}`
}

/** The UTC day (`YYYY-MM-DD`) of an instant. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** The instant at the start of its minute: plans and ranges are whole minutes. */
export function floorToMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS)
}

/** The start of the UTC day an instant (milliseconds) falls in. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}
