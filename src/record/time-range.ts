/**
 * A span of time `[start, end)`: a listing window on the API's `contentCreated` time, a
 * window that failed, the range a plan covers.
 */
export interface TimeRange {
  start: Date
  end: Date
}
