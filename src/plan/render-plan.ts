import { formatDuration } from '../util/duration.js'
import { formatInstant } from '../util/time.js'
import type { Plan } from './windows.js'
import { countNoun } from '../util/count-text.js'
import type { TimeRange } from '../record/time-range.js'
import type { SourceName } from './sources.js'

/** One line that says what a plan covers, for logs and the job summary. */
export function describePlan(
  plan: Plan,
  contentTypes: readonly string[],
  source: SourceName = 'management-api'
): string {
  if (contentTypes.length === 0) return 'Import only: nothing is listed from the Management API.'
  if (plan.windows.length === 0 && source !== 'management-api')
    return `${plan.mode === 'backfill' ? 'Backfill' : 'Scheduled run'} through Microsoft Graph audit log queries (source: ${source}): nothing is listed from the Management API; for ${contentTypes.join(', ')}.`
  const listings = plan.windows.length * contentTypes.length
  return (
    `${plan.mode === 'backfill' ? 'Backfill' : 'Scheduled run'}: ${formatInstant(plan.from)} to ${formatInstant(plan.to)}, ` +
    `${countNoun(plan.windows.length, 'segment')} of ${formatDuration(plan.windowMs)} ` +
    `for ${contentTypes.join(', ')} (${countNoun(listings, 'listing')}).`
  )
}

/** One line that says what a run asks of Graph. */
export function describeGraphPlan(plan: {
  windows: readonly TimeRange[]
  pending: readonly unknown[]
  range: TimeRange | undefined
  carried: number
}): string {
  const asked = plan.range ? `${formatInstant(plan.range.start)} to ${formatInstant(plan.range.end)}` : 'nothing new'
  return (
    `Graph audit log queries: ${asked}; ${countNoun(plan.windows.length, 'window')} to query` +
    `${plan.carried > 0 ? ` (${plan.carried} left waiting or failed by earlier runs, first)` : ''}, ` +
    `${plan.pending.length} ${plan.pending.length === 1 ? 'query' : 'queries'} of earlier runs to adopt.`
  )
}

/** The plan as a fixed-width text table, one row per listing window. */
export function renderPlanTable(plan: Plan): string {
  const rows = planTableRows(plan)
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd()
  return rows.map(line).join('\n')
}

/** The plan as rows for a Markdown table (header first). */
export function planTableRows(plan: Plan): string[][] {
  return [
    ['#', 'start (UTC)', 'end (UTC)', 'length'],
    ...plan.windows.map((window, index) => [
      String(index + 1),
      formatInstant(window.start),
      formatInstant(window.end),
      formatDuration(window.end.getTime() - window.start.getTime())
    ])
  ]
}
