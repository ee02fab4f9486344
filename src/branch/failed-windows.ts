import type { FailedWindow } from './ledger.js'
import { formatInstant } from '../util/time.js'

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
