import { isAddition } from '../branch/paths.js'
import type { CommitReport } from './commit-report.js'
import { countNoun } from '../util/count-text.js'

/** The commit's message: what it adds per content type, the days it touches, what changed about failures. */
export function commitMessage(report: CommitReport, runUrl: string | undefined): string {
  const { recordsAdded, added, compacted, settled, derived, failures } = report
  const perType = new Map<string, number>()
  for (const entry of added) perType.set(entry.type, (perType.get(entry.type) ?? 0) + entry.records)
  const days = [...new Set(added.map((entry) => entry.day))].sort()
  const firstDerived = derived.find((entry) => entry.days.length > 0)
  const title =
    recordsAdded > 0
      ? `audit-sync: +${countNoun(recordsAdded, 'record')} (${[...perType].map(([type, n]) => `${type} ${n}`).join(', ')})`
      : compacted.length > 0
        ? `audit-sync: compact ${countNoun(compacted.length, 'day')}`
        : firstDerived
          ? `audit-sync: ${firstDerived.title} of ${countNoun(firstDerived.days.length, 'day')}`
          : settled.length > 0
            ? `audit-sync: settle ${countNoun(settled.length, 'day')}`
            : 'audit-sync: update coverage ledger'
  const lines = [title, '']
  if (days.length > 0) lines.push(`Days: ${days.join(', ')}`)
  for (const entry of added) {
    const files = entry.paths.every(isAddition) ? 'additions' : 'parts'
    const where =
      entry.paths.length === 1 ? entry.paths[0] : `${entry.type} ${entry.day} (${entry.paths.length} ${files})`
    lines.push(`- ${where}: +${entry.records}`)
  }
  if (compacted.length > 0) lines.push(`Compacted (additions merged into the day's parts): ${compacted.join(', ')}`)
  if (settled.length > 0) lines.push(`Settled (record keys no longer kept): ${settled.join(', ')}`)
  for (const entry of derived)
    if (entry.days.length > 0) lines.push(`${entry.title} recomputed: ${entry.days.join(', ')}`)
  if (failures.recovered.length > 0) lines.push(`Recovered ${failures.recovered.length} failed window(s).`)
  if (failures.open.length > 0)
    lines.push(`Failed windows still open: ${failures.open.length} (retried by the next run).`)
  if (failures.newGaps.length > 0)
    lines.push(`New gaps (content the API no longer serves): ${failures.newGaps.length}.`)
  if (runUrl) lines.push('', `Run: ${runUrl}`)
  return `${lines.join('\n').trimEnd()}\n`
}
