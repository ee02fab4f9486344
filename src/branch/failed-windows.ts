import type { FailedWindow } from './ledger.js'
import { formatInstant, parseInstant } from '../util/time.js'

/** Whether an entry read from the ledger file is a failed window (a hand may have edited it). */
export function isFailedWindow(entry: Record<string, unknown>): boolean {
  const isInstant = (value: unknown): boolean => typeof value === 'string' && parseInstant(value) !== undefined
  return (
    isInstant(entry.start) &&
    isInstant(entry.end) &&
    typeof entry.code === 'string' &&
    typeof entry.message === 'string' &&
    Number.isSafeInteger(entry.attempts) &&
    // Only shown, never computed with.
    typeof entry.firstFailure === 'string' &&
    typeof entry.lastFailure === 'string'
  )
}

/**
 * Records a window that failed in a list of the ledger's failed windows, or counts one more
 * failed run of it: a Management API listing window or a Graph query window alike.
 */
export function recordFailedWindow(
  failed: FailedWindow[],
  failure: { start: Date; end: Date; code: string; message: string },
  stamp: string
): void {
  const start = formatInstant(failure.start)
  const end = formatInstant(failure.end)
  const known = failed.find((existing) => existing.start === start && existing.end === end)
  if (known)
    Object.assign(known, {
      code: failure.code,
      message: failure.message,
      attempts: known.attempts + 1,
      lastFailure: stamp
    })
  else
    failed.push({
      start,
      end,
      code: failure.code,
      message: failure.message,
      attempts: 1,
      firstFailure: stamp,
      lastFailure: stamp
    })
}
