import { DAY_MS, MINUTE_MS } from '../util/duration.js'

/**
 * How long the Management Activity API serves content: it lists no window that starts more
 * than 7 days back (AF20055), and no blob created earlier.
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference
 */
export const RETENTION_MS = 7 * DAY_MS

/**
 * Scheduled runs stay this far inside the 7 days: listing happens minutes after planning,
 * and a window that has aged past the limit by then fails (Elastic clamps to 167h55m).
 */
export const RETENTION_SAFETY_MS = 5 * MINUTE_MS

/**
 * How long a blob may still be listed after the UTC day it was created: the 7 days, and a
 * day's margin for the listing's own clock. Past it, the ledger forgets the blob.
 */
export const LISTABLE_MS = RETENTION_MS + DAY_MS

/** The API lists at most 24 hours per request. */
export const MAX_WINDOW_MS = DAY_MS
