import type { ContentType } from '../config/content-types.js'
import type { ContentGap, FailedSegment } from '../state/ledger.js'

/** A failed window with its content type. */
export type OpenFailure = FailedSegment & { type: ContentType }
/** A gap with its content type. */
export type TypedGap = ContentGap & { type: ContentType }

/** GitHub refuses issue bodies over 65,536 characters; stay well below. */
export const MAX_ISSUE_TEXT = 60_000
const MAX_ROWS = 50
const MAX_CELL = 240

/** The hidden line that marks our issue, per data branch, so reruns find it again. */
export function issueMarker(branch: string): string {
  return `<!-- m365-audit-sync:failures branch=${branch.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`
}

/** Where the run is and how to backfill, for the text. */
export interface IssueContext {
  branch: string
  runUrl?: string
  /** `owner/name` of the repository that runs the workflow. */
  repository?: string
  /** The workflow file name, for the backfill command. */
  workflowFile?: string
  now: Date
}

/** Title of the failure issue. */
export function issueTitle(failures: readonly OpenFailure[]): string {
  return `m365-audit-sync: ${failures.length} audit log window${failures.length === 1 ? '' : 's'} failed to sync`
}

/** Body of the failure issue: what failed, since when, and the command to backfill it. */
export function renderIssueBody(failures: readonly OpenFailure[], gaps: readonly TypedGap[], context: IssueContext): string {
  const lines = [
    issueMarker(context.branch),
    `The audit log sync to branch \`${cell(context.branch)}\` could not collect these listing windows, even after retries.`,
    'Every run retries them first (within the API\'s 7 days); this issue closes itself when they recover.',
    '',
    ...failureTable(failures),
    '',
    ...backfillHint(failures, context),
    ...gapSection(gaps),
    ...(context.runUrl ? ['', `Last failing run: ${context.runUrl}`] : [])
  ]
  return fit(lines.join('\n'))
}

/** Comment for a run that still fails. */
export function renderStillFailingComment(failures: readonly OpenFailure[], gaps: readonly TypedGap[], context: IssueContext): string {
  return fit(
    [
      `Still failing after the run of ${context.now.toISOString().replace(/\.\d{3}Z$/, 'Z')}: ${failures.length} window${failures.length === 1 ? '' : 's'}.`,
      '',
      ...failureTable(failures),
      ...gapSection(gaps),
      ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n')
  )
}

/** Comment that closes the issue. */
export function renderRecoveredComment(recovered: readonly OpenFailure[], context: IssueContext): string {
  const rows = recovered.slice(0, MAX_ROWS).map((failure) => `| ${cell(failure.type)} | ${cell(failure.start)} – ${cell(failure.end)} | ${failure.attempts} |`)
  return fit(
    [
      `All failed windows have recovered${recovered.length > 0 ? `; these were collected by the run of ${context.now.toISOString().replace(/\.\d{3}Z$/, 'Z')}` : ''}.`,
      ...(rows.length > 0 ? ['', '| content type | window (UTC) | failed runs |', '|---|---|---|', ...rows] : []),
      ...(recovered.length > MAX_ROWS ? [`…and ${recovered.length - MAX_ROWS} more.`] : []),
      ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n')
  )
}

function failureTable(failures: readonly OpenFailure[]): string[] {
  const rows = failures
    .slice(0, MAX_ROWS)
    .map(
      (failure) =>
        `| ${cell(failure.type)} | ${cell(failure.start)} – ${cell(failure.end)} | ${cell(failure.code)} | ${cell(failure.message)} | ${cell(failure.firstFailure)} | ${cell(failure.lastFailure)} | ${failure.attempts} |`
    )
  return [
    '| content type | window (UTC) | error | message | first failure | last failure | failed runs |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...(failures.length > MAX_ROWS ? [`…and ${failures.length - MAX_ROWS} more windows (see \`state/ledger.json\` on the branch).`] : [])
  ]
}

function backfillHint(failures: readonly OpenFailure[], context: IssueContext): string[] {
  if (failures.length === 0) return []
  const start = failures.map((failure) => failure.start).sort()[0]
  const end = failures.map((failure) => failure.end).sort().at(-1)
  const workflow = context.workflowFile ?? '<workflow file>'
  const repo = context.repository ? ` --repo ${context.repository}` : ''
  return [
    'To retry now rather than at the next scheduled run, dispatch a backfill of the failed range:',
    '',
    '```sh',
    `gh workflow run ${shellWord(workflow)}${repo} -f start=${start} -f end=${end}`,
    '```'
  ]
}

function gapSection(gaps: readonly TypedGap[]): string[] {
  if (gaps.length === 0) return []
  return [
    '',
    `**Gaps the API can no longer fill** (${gaps.length}): content that expired or aged past 7 days before it could be collected.`,
    'Export the audit log for these times from Microsoft Purview (Audit > Search > Export) and merge it in with the `import` input.',
    '',
    '| content type | time (UTC) | reason |',
    '|---|---|---|',
    ...gaps.slice(0, MAX_ROWS).map((gap) => `| ${cell(gap.type)} | ${cell(gap.start)}${gap.end !== gap.start ? ` – ${cell(gap.end)}` : ''} | ${cell(gap.reason)} |`)
  ]
}

/**
 * Error messages come from the network: untrusted. In a table cell they must not break the
 * table, open HTML, ping people or run long.
 */
export function cell(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').trim()
  const short = flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat
  return short
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'")
    .replace(/@/g, '@\u200b')
}

function shellWord(text: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

function fit(text: string): string {
  return text.length <= MAX_ISSUE_TEXT ? text : `${text.slice(0, MAX_ISSUE_TEXT - 40)}\n\n…(truncated to fit GitHub's limit)`
}
