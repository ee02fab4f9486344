import type { ContentType } from '../record/content-types.js'
import type { TimeRange } from '../record/time-range.js'

/** One listing window of one content type; `retry` marks a window an earlier run failed on. */
export interface ListingWindow {
  type: ContentType
  range: TimeRange
  retry: boolean
}
