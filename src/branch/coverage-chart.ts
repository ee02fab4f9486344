import { countText } from '../util/count-text.js'
import type { TypeCoverage } from './coverage.js'

const BAR = 14
const GAP = 2
const ROW_HEIGHT = 64
const LEFT = 190
const TOP = 28

/**
 * A bar chart: a row per content type, a bar per day scaled to that type's busiest day, a red
 * mark under days with a failing window and a grey one under days with a gap. Plain SVG that
 * GitHub shows in a README, no script or external font.
 */
export function renderCoverageSvg(types: readonly TypeCoverage[]): string {
  const days = types[0]?.days.length ?? 0
  const width = LEFT + days * (BAR + GAP) + 10
  const height = TOP + Math.max(1, types.length) * ROW_HEIGHT + 24
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="17" font-size="13" font-weight="bold" fill="#24292f">Records per UTC day${days > 0 ? `, ${types[0]!.days[0]!.day} to ${types[0]!.days.at(-1)!.day}` : ''}</text>`
  ]
  types.forEach((entry, row) => {
    const base = TOP + row * ROW_HEIGHT
    const busiest = Math.max(1, ...entry.days.map((day) => day.records))
    const total = entry.days.reduce((sum, day) => sum + day.records, 0)
    parts.push(`<text x="8" y="${base + 26}" fill="#24292f">${entry.type}</text>`)
    parts.push(
      `<text x="8" y="${base + 41}" fill="#57606a">${countText(total)} records, max ${countText(busiest)}/day</text>`
    )
    entry.days.forEach((day, index) => {
      const x = LEFT + index * (BAR + GAP)
      const barHeight = day.records === 0 ? 0 : Math.max(1, Math.round((day.records / busiest) * (ROW_HEIGHT - 20)))
      const y = base + ROW_HEIGHT - 14 - barHeight
      parts.push(
        `<rect x="${x}" y="${y}" width="${BAR}" height="${barHeight}" fill="#2da44e"><title>${entry.type} ${day.day}: ${day.records} records</title></rect>`
      )
      if (day.failedWindows > 0)
        parts.push(
          `<rect x="${x}" y="${base + ROW_HEIGHT - 11}" width="${BAR}" height="5" fill="#cf222e"><title>${day.day}: ${day.failedWindows} failing window(s)</title></rect>`
        )
      if (day.gaps > 0)
        parts.push(
          `<rect x="${x}" y="${base + ROW_HEIGHT - 5}" width="${BAR}" height="4" fill="#8c959f"><title>${day.day}: ${day.gaps} gap(s)</title></rect>`
        )
    })
  })
  const axis = TOP + Math.max(1, types.length) * ROW_HEIGHT + 14
  types[0]?.days.forEach((day, index) => {
    if (index % 7 === 0 || index === days - 1)
      parts.push(`<text x="${LEFT + index * (BAR + GAP)}" y="${axis}" fill="#57606a">${day.day.slice(5)}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
