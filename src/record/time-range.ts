/**
 * A span of time `[start, end)`: a listing window on the API's `contentCreated` time, a
 * window that failed, the range a plan covers.
 */
export interface TimeRange {
  start: Date
  end: Date
}

/** Whether two ranges are the same span. */
export function sameRange(a: TimeRange, b: TimeRange): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime()
}
