/**
 * Durations as users write them in workflow inputs: compact (`15m`, `1h`, `1d`, `1h30m`),
 * spelled out the way the CoE Starter Kit's environment variables are (`1 hour`, `5 minutes`,
 * `2 Day`), or ISO 8601 (`PT1H`, `P1D`) as Power Automate shows them.
 */

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

const UNIT_MS: Readonly<Record<string, number>> = {
  m: MINUTE_MS,
  min: MINUTE_MS,
  mins: MINUTE_MS,
  minute: MINUTE_MS,
  minutes: MINUTE_MS,
  h: HOUR_MS,
  hr: HOUR_MS,
  hrs: HOUR_MS,
  hour: HOUR_MS,
  hours: HOUR_MS,
  d: DAY_MS,
  day: DAY_MS,
  days: DAY_MS
}

const WHOLE = /^(?:\d+(?:\.\d+)?\s*[a-z]+\s*)+$/
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/g
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/

/**
 * Parses a duration into milliseconds, or returns undefined when the text is not one.
 * Units are minutes, hours and days: the API's windows are minutes apart at the finest.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  const iso = ISO_DURATION.exec(trimmed.toUpperCase())
  if (iso) {
    const [, days, hours, minutes] = iso
    if (days === undefined && hours === undefined && minutes === undefined) return undefined
    return positive(Number(days ?? 0) * DAY_MS + Number(hours ?? 0) * HOUR_MS + Number(minutes ?? 0) * MINUTE_MS)
  }

  const spelled = trimmed.toLowerCase()
  if (!WHOLE.test(spelled)) return undefined
  let total = 0
  for (const [, amount, unit] of spelled.matchAll(PART)) {
    const unitMs = unit === undefined ? undefined : UNIT_MS[unit]
    if (unitMs === undefined) return undefined
    total += Number(amount) * unitMs
  }
  return positive(Math.round(total))
}

function positive(ms: number): number | undefined {
  return ms > 0 ? ms : undefined
}

/** Renders milliseconds the compact way (`1d`, `1h30m`, `5m`) for messages and tables. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0m'
  const parts: string[] = []
  let rest = ms
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', HOUR_MS],
    ['m', MINUTE_MS]
  ] as const) {
    const count = Math.floor(rest / size)
    if (count > 0) parts.push(`${count}${unit}`)
    rest -= count * size
  }
  if (rest > 0) parts.push(`${Math.round(rest / 1000)}s`)
  return parts.join('')
}
