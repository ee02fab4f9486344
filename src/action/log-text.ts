/**
 * A line of the log as text, never as a workflow command. The runner reads every line of a
 * step's output that starts with `::` (after blanks) as a command
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands), and
 * the action logs text that comes from outside: API and Graph error bodies, export rows and
 * file names. `@actions/core` escapes what it puts in a command (annotations, debug lines),
 * but `info` writes its text as it is, so a body holding `\n::add-mask::…` would hide log
 * lines and `\n::warning::…` forge annotations. A line that would start a command has a zero
 * width space put between its two colons: it reads the same, and the runner, which trims only
 * blanks, no longer takes it for a command. The legacy `##[` form is broken the same way.
 */
export function asLogText(message: string): string {
  return message.replace(
    COMMAND_LINE,
    (_, lineStart: string, blanks: string, marker: string) =>
      `${lineStart}${blanks}${marker[0]}\u200B${marker.slice(1)}`
  )
}

/** The start of any line that the runner would read as a workflow command. */
const COMMAND_LINE = /(^|[\r\n])([\t\v\f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*)(::|##\[)/g
