import { DuckDBInstance } from '@duckdb/node-api'

/** One cell of a coverage table: the records of a content type on a day, and its marks. */
export interface CoverageCell {
  records: number
  /** The rest of the cell after the number: `⚠ 1 failed`, `✖ 2 gaps`, or ''. */
  marks: string
}

/**
 * The coverage table of the branch README (Markdown, `| Day (UTC) | <type> | … |`):
 * content type → day → cell. Fails on a README without one.
 */
export function parseCoverageTable(markdown: string): Map<string, Map<string, CoverageCell>> {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => line.startsWith('| Day (UTC) |'))
  if (start < 0) throw new Error('The README has no coverage table (a line starting "| Day (UTC) |").')
  const types = cells(lines[start]!).slice(1)
  const table = new Map(types.map((type) => [type, new Map<string, CoverageCell>()]))
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    const [day = '', ...values] = cells(line)
    values.forEach((value, index) => {
      const match = /^([\d,]+)\s*(.*)$/.exec(value)
      if (!match) throw new Error(`Coverage cell '${value}' of ${day} does not start with a number.`)
      table.get(types[index]!)!.set(day, { records: Number(match[1]!.replace(/,/g, '')), marks: match[2]! })
    })
  }
  return table
}

/** The job summary's coverage table (HTML, as @actions/core writes it): content type → day → cell. */
export function parseSummaryCoverage(summary: string): Map<string, Map<string, CoverageCell>> {
  const start = summary.indexOf('<table><tr><th>Day (UTC)</th>')
  if (start < 0) throw new Error('The job summary has no coverage table.')
  const html = summary.slice(start, summary.indexOf('</table>', start))
  const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((cell) => cell[1]!)
  )
  const [header = [], ...body] = rows
  const markdown = [`| ${header.join(' | ')} |`, '|---|', ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n')
  return parseCoverageTable(markdown)
}

function cells(line: string): string[] {
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim())
}

/**
 * Why a chart is not a well-formed SVG document, or [] when it is: one root `<svg>` with the
 * SVG namespace, every tag closed in order, no stray `<` or unescaped `&` in text or
 * attributes. A minimal check: enough for a chart of rects, text and titles.
 */
export function svgProblems(svg: string): string[] {
  const problems: string[] = []
  const stack: string[] = []
  let roots = 0
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g
  let at = 0
  for (let match = tag.exec(svg); match; match = tag.exec(svg)) {
    checkText(svg.slice(at, match.index), problems)
    at = match.index + match[0].length
    const [, closing, name = '', attributes = '', selfClosing] = match
    checkText(attributes, problems)
    if (closing) {
      const open = stack.pop()
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`)
    } else {
      if (stack.length === 0) {
        roots++
        if (name !== 'svg') problems.push(`the root element is <${name}>, not <svg>`)
        if (!attributes.includes('xmlns="http://www.w3.org/2000/svg"')) problems.push('the root has no SVG namespace')
      }
      if (!selfClosing) stack.push(name)
    }
  }
  checkText(svg.slice(at), problems)
  if (roots !== 1) problems.push(`${roots} root elements`)
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`)
  return problems
}

function checkText(text: string, problems: string[]): void {
  if (text.includes('<') || text.includes('>')) problems.push(`a stray angle bracket in '${text.trim().slice(0, 60)}'`)
  for (const match of text.matchAll(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g))
    problems.push(`an unescaped & at '${text.slice(match.index, match.index + 20)}'`)
}

/**
 * Rows per content type and UTC day of the CSV day files under `dir` (a checkout of the
 * branch), as DuckDB counts them: type → day → rows.
 */
export async function duckdbRowsPerDay(
  dir: string,
  types: readonly string[]
): Promise<Map<string, Map<string, number>>> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const counts = new Map<string, Map<string, number>>()
    for (const type of types) {
      const result = await connection.runAndReadAll(
        `SELECT left(CreationTime, 10) AS day, count(*) AS n FROM read_csv('${dir}/audit/${type}/*/*/*.csv', header = true, all_varchar = true) GROUP BY 1 ORDER BY 1`
      )
      counts.set(
        type,
        new Map((result.getRowObjects() as { day: string; n: bigint }[]).map((row) => [row.day, Number(row.n)]))
      )
    }
    return counts
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
