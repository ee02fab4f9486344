import { describe, expect, it } from 'vitest'
import { DayKeys, KeyLog, recordKey } from '../../src/branch/day-keys.js'

describe('key files', () => {
  const ids = Array.from(
    { length: 1000 },
    (_, index) => `0000${index}-aaaa-bbbb-cccc-${String(index).padStart(12, '0')}`
  )

  it('hold each file its rows’ keys as one base64 line, and say which records a day holds', () => {
    const log = new KeyLog()
    for (const id of ids.slice(0, 700)) log.add(recordKey(id))
    const files = log.files([400, 300])
    for (const file of files) expect(file.toString('latin1')).toMatch(/^[A-Za-z0-9+/]+=*\n$/)
    expect(Buffer.from(files[1]!.toString('latin1'), 'base64')).toHaveLength(300 * 8)
    const day = new DayKeys(files)
    expect(day.size).toBe(700)
    expect(ids.map((id) => day.has(recordKey(id)))).toEqual(ids.map((_, index) => index < 700))
  })

  it('tell a key file that is not one, and a log that does not match its files', () => {
    expect(() => new DayKeys([Buffer.from([0, 1, 2, 3, 4, 5, 6, 7])])).toThrow(/not a base64 line of 8-byte keys/)
    expect(() => new DayKeys([Buffer.from('AAAA\n')])).toThrow(/not a base64 line/)
    const log = new KeyLog()
    log.add(1n)
    expect(() => log.files([2])).toThrow(/1 keys were logged for files of 2 rows/)
    expect(new DayKeys([Buffer.from('\n'), log.files([1])[0]!]).has(1n)).toBe(true)
  })
})
