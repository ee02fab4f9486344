import { EOL } from 'node:os'

/** A table cell: text, or a header cell. */
export type Cell = string | { data: string; header: true }

/**
 * The job summary's HTML, written as @actions/core's summary writes it: a heading, a table or
 * a list is one line, and a line of text is added as it is (the summary mixes HTML tables and
 * text lines, and Markdown is not read right after an HTML block). Text is escaped by the
 * caller (escapeHtml) where it comes from outside.
 */
export class SummaryText {
  private text = ''

  heading(text: string, level: 2 | 3): this {
    return this.line(`<h${level}>${text}</h${level}>`)
  }

  line(html: string): this {
    this.text += html + EOL
    return this
  }

  table(rows: readonly (readonly Cell[])[]): this {
    const cells = (row: readonly Cell[]): string =>
      row.map((cell) => (typeof cell === 'string' ? `<td>${cell}</td>` : `<th>${cell.data}</th>`)).join('')
    return this.line(`<table>${rows.map((row) => `<tr>${cells(row)}</tr>`).join('')}</table>`)
  }

  list(items: readonly string[]): this {
    return this.line(`<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`)
  }

  toString(): string {
    return this.text
  }
}

/** A header row of a table. */
export function headerRow(...names: string[]): Cell[] {
  return names.map((data) => ({ data, header: true }))
}

/** Text (an error message, a name) safe to put among HTML, in an element or an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** An HTML link, or the text alone without an address. */
export function link(text: string, url: string | undefined): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text)
}

/** Table rows the summary and the issue show at most; a count says how many more there are. */
export const MAX_TABLE_ROWS = 50

/** Characters a table cell of untrusted text keeps at most. */
const MAX_CELL = 240

/**
 * Text from the network (error messages, names) for a table cell of the issue or the summary:
 * untrusted, so on one line, short, and unable to break the table, open HTML, ping people
 * or start code.
 */
export function cell(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').trim()
  const short = flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat
  // `#12` links an issue on GitHub: broken before escaping, which writes entities such as `&#39;`.
  return escapeHtml(short.replace(/#(?=\d)/g, '#\u200b'))
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'")
    .replace(/@/g, '@\u200b')
}
