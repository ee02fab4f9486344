import { GRAPH_QUERIES, type OpenFailure, type TypedGap } from '../branch/ledger.js'
import { HELD_DAY_CODE } from '../branch/held-days.js'
import { formatInstant, parseInstant } from '../util/time.js'
import { GAP_COLUMNS, gapRows, GAPS_ADVICE, GAPS_TITLE } from './gaps.js'
import { cell, MAX_TABLE_ROWS as MAX_ROWS } from './markup.js'
import { countNoun } from '../util/count-text.js'

/** GitHub refuses issue bodies over 65,536 characters; stay well below. */
export const MAX_ISSUE_TEXT = 60_000

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
  /** Replaces every value the run masked: an issue is saved on GitHub as it is written. */
  redact?: (text: string) => string
}

/** Title of the failure issue. */
export function issueTitle(failures: readonly OpenFailure[]): string {
  return `m365-audit-sync: ${countNoun(failures.length, 'audit log window')} failed to sync`
}

/** Body of the failure issue: what failed, since when, and the command to backfill it. */
export function renderIssueBody(
  failures: readonly OpenFailure[],
  gaps: readonly TypedGap[],
  context: IssueContext
): string {
  const lines = [
    issueMarker(context.branch),
    `The audit log sync to branch \`${cell(context.branch)}\` could not collect these windows, even after retries.`,
    failures.some((failure) => failure.type === GRAPH_QUERIES)
      ? "Every run retries the Management API's windows first (within its 7 days), and every run with `source: auto` or `graph` the Graph audit log query windows; this issue closes itself when they recover."
      : "Every run retries them first (within the API's 7 days); this issue closes itself when they recover.",
    ...(failures.some((failure) => failure.code === HELD_DAY_CODE)
      ? [
          '',
          `Rows marked \`${HELD_DAY_CODE}\` were collected, but their day could not be merged because of the file named: they wait in \`state/held/\` on the branch, and every other day was committed. ` +
            "Fix that file, or restore it from the branch's history (`git log -- <file>`); the next run merges the day and closes this issue."
        ]
      : []),
    '',
    ...failureTable(failures),
    '',
    ...backfillHint(failures, context),
    ...gapSection(gaps),
    ...(context.runUrl ? ['', `Last failing run: ${context.runUrl}`] : [])
  ]
  return fit(lines.join('\n'), context)
}

/** Comment for a run that still fails. */
export function renderStillFailingComment(
  failures: readonly OpenFailure[],
  gaps: readonly TypedGap[],
  context: IssueContext
): string {
  return fit(
    [
      `Still failing after the run of ${formatInstant(context.now)}: ${countNoun(failures.length, 'window')}.`,
      '',
      ...failureTable(failures),
      ...gapSection(gaps),
      ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'),
    context
  )
}

/** Title of an issue opened by a run that stopped before it could collect. */
export const STOPPED_TITLE = 'm365-audit-sync: a run stopped before collecting'

/**
 * Body of the issue a stopped run opens, or the comment it adds to the open one: why it stopped
 * (the error as the step reported it, secrets redacted, as text) and that the next run that
 * completes closes it.
 */
export function renderStoppedText(reason: string, context: IssueContext, opening: boolean): string {
  return fit(
    [
      ...(opening ? [issueMarker(context.branch)] : []),
      `The audit log sync to branch \`${cell(context.branch)}\` stopped at ${formatInstant(context.now)} before it committed anything:`,
      '',
      `> ${cell(reason)}`,
      '',
      'Nothing was lost that the next runs cannot collect while the API still serves it (7 days). ' +
        'The first run that completes closes this issue.',
      ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'),
    context
  )
}

/** Comment that closes the issue. */
export function renderRecoveredComment(recovered: readonly OpenFailure[], context: IssueContext): string {
  const rows = recovered
    .slice(0, MAX_ROWS)
    .map((failure) => `| ${cell(failure.type)} | ${cell(failure.start)} – ${cell(failure.end)} | ${failure.attempts} |`)
  return fit(
    [
      recovered.length > 0
        ? `All failed windows have recovered; these were collected by the run of ${formatInstant(context.now)}.`
        : `The run of ${formatInstant(context.now)} completed, and no window is failing.`,
      ...(rows.length > 0 ? ['', '| content type | window (UTC) | failed runs |', '|---|---|---|', ...rows] : []),
      ...(recovered.length > MAX_ROWS ? [`…and ${recovered.length - MAX_ROWS} more.`] : []),
      ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'),
    context
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
    ...(failures.length > MAX_ROWS
      ? [`…and ${failures.length - MAX_ROWS} more windows (see \`state/ledger.json\` on the branch).`]
      : [])
  ]
}

function backfillHint(failures: readonly OpenFailure[], context: IssueContext): string[] {
  if (failures.length === 0) return []
  const workflow = context.workflowFile ?? '<workflow file>'
  const repo = context.repository ? ` --repo ${context.repository}` : ''
  // The Management API's windows and Graph's are retried by different runs: a command each.
  // Built from instants read back as instants: the ledger is text a hand may have edited, and
  // the command sits in a shell fence someone copies.
  const command = (group: readonly OpenFailure[], extra: string): string => {
    const start = group.map((failure) => parseInstant(failure.start)!.getTime()).sort((a, b) => a - b)[0]!
    const end = group
      .map((failure) => parseInstant(failure.end)!.getTime())
      .sort((a, b) => a - b)
      .at(-1)!
    return `gh workflow run ${shellWord(workflow)}${repo} -f start=${formatInstant(new Date(start))} -f end=${formatInstant(new Date(end))}${extra}`
  }
  // A held day is not collected again: its rows are on the branch already.
  const readable = failures.filter(
    (failure) => failure.code !== HELD_DAY_CODE && parseInstant(failure.start) && parseInstant(failure.end)
  )
  if (readable.length === 0) return []
  const graph = readable.filter((failure) => failure.type === GRAPH_QUERIES)
  const listing = readable.filter((failure) => failure.type !== GRAPH_QUERIES)
  return [
    'To retry now rather than at the next scheduled run, dispatch a backfill of the failed range:',
    '',
    '```sh',
    ...(listing.length > 0 ? [command(listing, '')] : []),
    ...(graph.length > 0 ? [command(graph, ' -f source=auto')] : []),
    '```',
    ...(graph.length > 0
      ? [
          '',
          'The Graph windows need a workflow whose `source` input reaches the step (as in `examples/history-backfill.yml`).'
        ]
      : [])
  ]
}

function gapSection(gaps: readonly TypedGap[]): string[] {
  if (gaps.length === 0) return []
  return [
    '',
    `**${GAPS_TITLE}** (${gaps.length}): content that expired or aged past 7 days before it could be collected.`,
    GAPS_ADVICE,
    '',
    `| ${GAP_COLUMNS.join(' | ')} |`,
    '|---|---|---|',
    ...gapRows(gaps).map((row) => `| ${row.join(' | ')} |`)
  ]
}

function shellWord(text: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/**
 * The text within GitHub's limit, redacted: a second net, since escaping a cell can hide a
 * masked value from the redaction. The first is where text comes from: the ledger's free text
 * and a stop's reason are redacted before they reach the issue.
 */
function fit(full: string, context: IssueContext): string {
  const text = context.redact ? context.redact(full) : full
  return text.length <= MAX_ISSUE_TEXT
    ? text
    : `${text.slice(0, MAX_ISSUE_TEXT - 40)}\n\n…(truncated to fit GitHub's limit)`
}
