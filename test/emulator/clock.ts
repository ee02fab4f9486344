/** A clock tests can set and move; pass `clock.now` as the emulator's `now` option. */
export interface ManualClock {
  now: () => Date
  set: (at: Date) => void
  advance: (ms: number) => void
}

/** Creates a {@link ManualClock} standing still at `start` until moved. */
export function createManualClock(start: Date): ManualClock {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime()
    },
    advance: (ms) => {
      current += ms
    }
  }
}

/** Minutes/hours/days in milliseconds, for readable arithmetic. */
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
