import type { TypedGap } from '../branch/ledger.js'
import { cell, MAX_TABLE_ROWS } from './markup.js'

/** What the summary and the issue call content the API will not serve any more. */
export const GAPS_TITLE = 'Gaps the API can no longer fill'

/** How to fill a gap. */
export const GAPS_ADVICE =
  'Export the audit log for these times from Microsoft Purview (Audit > Search > Export) and merge it in with the `import` input.'

/** The gaps as table rows (content type, time, reason), the first MAX_TABLE_ROWS of them. */
export function gapRows(gaps: readonly TypedGap[]): string[][] {
  return gaps
    .slice(0, MAX_TABLE_ROWS)
    .map((gap) => [
      cell(gap.type),
      `${cell(gap.start)}${gap.end !== gap.start ? ` – ${cell(gap.end)}` : ''}`,
      cell(gap.reason)
    ])
}

/** The header of a gaps table. */
export const GAP_COLUMNS = ['content type', 'time (UTC)', 'reason']
