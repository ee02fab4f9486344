import { describe, expect, it } from 'vitest'
import { asLogText } from '../../src/action/log-text.js'

/** The lines of a text as the runner reads them, and those it would take for a workflow command. */
function commandLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/).filter((line) => /^\s*(::|##\[)/.test(line))
}

describe('text in the log', () => {
  it('never starts a workflow command, on any line, after any blanks, whatever the line breaks', () => {
    const hostile =
      'HTTP 500 AF50000 bad\n::warning title=x::forged\r\n  ::add-mask::Audit\r::stop-commands::token\n\t##[error]old form'
    const text = asLogText(hostile)
    expect(commandLines(hostile)).toHaveLength(4)
    expect(commandLines(text)).toEqual([])
    // It reads the same: only zero-width spaces were added, one a line.
    expect(text.replace(/\u200B/g, '')).toBe(hostile)
    expect(text.match(/\u200B/g)).toHaveLength(4)
  })

  it('leaves text that starts no command as it is', () => {
    const plain = 'Listed 3 windows: a::b, time 10::20 and ## heading [x]\nsecond line'
    expect(asLogText(plain)).toBe(plain)
    expect(asLogText('::warning::x')).toBe(':\u200B:warning::x')
  })
})
