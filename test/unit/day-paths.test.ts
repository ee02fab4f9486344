import { describe, expect, it } from 'vitest'
import {
  additionPath,
  dayFilePath,
  daysWithAdditionsOrKeys,
  findDayFilesByFormat,
  isAddition,
  keyFilePath,
  parseDayPath
} from '../../src/branch/paths.js'

const DAY = '2026-11-20'

describe('the one parser of day file paths', () => {
  it('reads the single file, parts and additions, in either format', () => {
    expect(parseDayPath(dayFilePath('Audit.General', DAY, 'csv'))).toEqual({
      type: 'Audit.General',
      day: DAY,
      format: 'csv'
    })
    expect(parseDayPath(dayFilePath('Audit.Exchange', DAY, 'parquet', 12))).toMatchObject({ part: 12 })
    expect(parseDayPath(additionPath('DLP.All', DAY, 'csv', 3))).toMatchObject({ type: 'DLP.All', addition: 3 })
  })

  it('takes nothing else for a day file: no part or addition 0 or with a leading zero, no other folder or format', () => {
    for (const path of [
      'audit/Audit.General/2026/11/2026-11-20.0.csv',
      'audit/Audit.General/2026/11/2026-11-20.01.csv',
      'audit/Audit.General/2026/11/2026-11-20.added-0.csv',
      'audit/Audit.General/2026/10/2026-11-20.csv',
      'audit/Audit.General/2026/11/2026-11-20.json',
      'audit/Audit.General/2026/11/2026-11-20.csv.keys',
      'usage/power-apps/2026/11/2026-11-20.csv'
    ])
      expect(parseDayPath(path), path).toBeUndefined()
  })

  it('finds a day’s files per format in order, and the days with additions or key files', () => {
    const paths = [
      dayFilePath('Audit.General', DAY, 'csv', 10),
      additionPath('Audit.General', DAY, 'csv', 11),
      dayFilePath('Audit.General', DAY, 'csv', 2),
      additionPath('Audit.General', DAY, 'csv', 2),
      dayFilePath('Audit.General', DAY, 'parquet'),
      dayFilePath('Audit.General', '2026-11-21', 'csv'),
      keyFilePath(dayFilePath('Audit.Exchange', '2026-11-19', 'csv'))
    ]
    expect(Object.fromEntries(findDayFilesByFormat(paths, 'Audit.General', DAY))).toEqual({
      csv: {
        parts: [paths[2], paths[0]],
        additions: [paths[3], paths[1]]
      },
      parquet: { parts: [paths[4]], additions: [] }
    })
    expect(daysWithAdditionsOrKeys(paths)).toEqual([
      { type: 'Audit.General', day: DAY },
      { type: 'Audit.Exchange', day: '2026-11-19' }
    ])
    expect(paths.map(isAddition)).toEqual([false, true, false, true, false, false, false])
  })
})
