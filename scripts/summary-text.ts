/**
 * A job summary as @actions/core writes it (HTML headings, tables, lists and links among
 * text lines), as plain text for a terminal: headings as `##`, tables as aligned columns,
 * links as `text (address)`.
 */
export function summaryAsText(summary: string): string {
  return decode(
    summary
      .replace(/<a href="([^"]*)">(.*?)<\/a>/g, (_, href: string, text: string) => `${text} (${href})`)
      .replace(/<table>(.*?)<\/table>/gs, (_, body: string) => table(body))
      .replace(/<h(\d)>(.*?)<\/h\d>/g, (_, level: string, text: string) => `${'#'.repeat(Number(level))} ${text}`)
      .replace(/<li>(.*?)<\/li>/g, '- $1\n')
      .replace(/<\/?(?:ul|ol|p|br)\s*\/?>/g, '')
  ).trimEnd()
}

function table(body: string): string {
  const rows = [...body.matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((cell) => cell[1]!)
  )
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  const line = (row: readonly string[]): string =>
    `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd()
  const [header = [], ...rest] = rows
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rest.map(line)].join('\n')
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}
