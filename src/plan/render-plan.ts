import { formatDuration } from '../util/duration.js'
import { formatInstant } from '../util/time.js'
import type { Plan } from './windows.js'
import { countNoun } from '../util/count-text.js'

/** One line that says what a plan covers, for logs and the job summary. */
export function describePlan(plan: Plan, contentTypes: readonly string[]): string {
  if (contentTypes.length === 0) return 'Import only: nothing is listed from the Management API.'
  const listings = plan.windows.length * contentTypes.length
  return (
    `${plan.mode === 'backfill' ? 'Backfill' : 'Scheduled run'}: ${formatInstant(plan.from)} to ${formatInstant(plan.to)}, ` +
    `${countNoun(plan.windows.length, 'segment')} of ${formatDuration(plan.windowMs)} ` +
    `for ${contentTypes.join(', ')} (${countNoun(listings, 'listing')}).`
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
