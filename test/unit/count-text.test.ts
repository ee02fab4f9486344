import { describe, expect, it } from 'vitest'
import { countText } from '../../src/util/count-text.js'

describe('countText', () => {
  it('writes counts as toLocaleString("en-US") does', () => {
    const counts = [
      0,
      7,
      12,
      999,
      1000,
      1001,
      12_345,
      999_999,
      1_000_000,
      259_116,
      1_234_567_890,
      Number.MAX_SAFE_INTEGER,
      -1,
      -1000,
      -987_654
    ]
    for (let power = 1; power < 1e15; power *= 10) counts.push(power - 1, power, power + 1)
    for (const count of counts) expect(countText(count), String(count)).toBe(count.toLocaleString('en-US'))
  })

  it('leaves what is not a safe integer to String', () => {
    expect(countText(1.5)).toBe('1.5')
    expect(countText(Number.NaN)).toBe('NaN')
  })
})
