import { describe, expect, it } from 'vitest'
import {
  compileFilter,
  describeFilter,
  isFiltering,
  KEEP_ALL,
  readRecordTypes,
  splitList,
  type FilterField
} from '../../src/record/filter.js'
import { describeRecordType, parseRecordType, RECORD_TYPES, suggestRecordTypes } from '../../src/record/record-types.js'
import { fieldKeys, scanRecords } from '../../src/record/record-scanner.js'
import { blobRows } from '../../src/collect/blob-rows.js'
import { CSV_FORMAT } from '../../src/snapshot/format/csv.js'
import { SCANNED_COLUMNS } from '../../src/record/columns.js'

const record = (fields: Partial<Record<FilterField, string>>) => (field: FilterField) => fields[field]

describe('the RecordType enum', () => {
  it('reads numbers and member names in any case, spaces ignored', () => {
    expect(parseRecordType('256')).toBe(256)
    expect(parseRecordType(' 45 ')).toBe(45)
    expect(parseRecordType('PowerAppsApp')).toBe(45)
    expect(parseRecordType('powerplatformadministratoractivity')).toBe(256)
    expect(parseRecordType('Viva Goals')).toBe(216)
    expect(parseRecordType('999')).toBe(999)
    expect(parseRecordType('PowerApp')).toBeUndefined()
    expect(parseRecordType('')).toBeUndefined()
  })

  it('holds the documented members the CoE and the content types rely on', () => {
    expect(
      [...RECORD_TYPES.entries()].filter(([value]) => [6, 11, 13, 15, 25, 30, 45, 187, 256].includes(value))
    ).toEqual([
      [6, 'SharePointFileOperation'],
      [11, 'ComplianceDLPSharePoint'],
      [13, 'ComplianceDLPExchange'],
      [15, 'AzureActiveDirectoryStsLogon'],
      [25, 'MicrosoftTeams'],
      [30, 'MicrosoftFlow'],
      [45, 'PowerAppsApp'],
      [187, 'PowerPlatformAdminDlp'],
      [256, 'PowerPlatformAdministratorActivity']
    ])
    expect(new Set(RECORD_TYPES.values()).size).toBe(RECORD_TYPES.size)
    expect(describeRecordType(45)).toBe('PowerAppsApp (45)')
    expect(describeRecordType(999)).toBe('999')
  })

  it('suggests members close to a wrong name, and common ones otherwise', () => {
    expect(suggestRecordTypes('PowerApp')).toEqual([
      'PowerAppsApp (45)',
      'PowerAppsPlan (46)',
      'PowerAppsResource (79)'
    ])
    expect(suggestRecordTypes('teams', 2)).toEqual(['MicrosoftTeams (25)', 'TeamsHealthcare (49)'])
    expect(suggestRecordTypes('zz')).toEqual([
      'PowerAppsApp (45)',
      'PowerPlatformAdministratorActivity (256)',
      'MicrosoftFlow (30)',
      'SharePointFileOperation (6)'
    ])
  })
})

describe('filter inputs', () => {
  it('splits on commas and newlines, trims, and drops empties and repeats whatever their case', () => {
    expect(splitList('LaunchPowerApp,DeletePowerApp')).toEqual(['LaunchPowerApp', 'DeletePowerApp'])
    expect(splitList(' LaunchPowerApp ,\n\nlaunchpowerapp\r\n DeletePowerApp,, ')).toEqual([
      'LaunchPowerApp',
      'DeletePowerApp'
    ])
    expect(splitList('')).toEqual([])
  })

  it('reads record types, reporting each unknown name with suggestions', () => {
    expect(readRecordTypes(['45', 'PowerPlatformAdministratorActivity', 'powerappsapp'])).toEqual({
      types: [45, 256],
      unknown: []
    })
    expect(readRecordTypes(['45', 'PowerApp'])).toEqual({
      types: [45],
      unknown: [
        { name: 'PowerApp', suggestions: ['PowerAppsApp (45)', 'PowerAppsPlan (46)', 'PowerAppsResource (79)'] }
      ]
    })
  })

  it('describes what it keeps, and nothing when it keeps everything', () => {
    expect(describeFilter(KEEP_ALL)).toBeUndefined()
    expect(
      describeFilter({ operations: ['LaunchPowerApp', 'DeletePowerApp'], workloads: [], recordTypes: [45, 256] })
    ).toBe(
      'Keeping only records with operations LaunchPowerApp, DeletePowerApp; and record types PowerAppsApp (45), PowerPlatformAdministratorActivity (256).'
    )
  })
})

describe('matching records', () => {
  it('keeps everything without a condition (no matcher at all)', () => {
    expect(isFiltering(KEEP_ALL)).toBe(false)
    expect(compileFilter(KEEP_ALL)).toBeUndefined()
  })

  it('needs every constrained field to be among its values, names compared without case', () => {
    const matcher = compileFilter({
      operations: ['LaunchPowerApp', 'DeletePowerApp'],
      workloads: ['PowerPlatform', 'powerapps'],
      recordTypes: []
    })!
    expect(matcher.matches(record({ Operation: 'launchpowerapp', Workload: 'PowerApps' }))).toBe(true)
    expect(matcher.matches(record({ Operation: 'DeletePowerApp', Workload: 'POWERPLATFORM' }))).toBe(true)
    expect(matcher.matches(record({ Operation: 'LaunchPowerApp', Workload: 'MicrosoftTeams' }))).toBe(false)
    expect(matcher.matches(record({ Operation: 'CreateFlow', Workload: 'PowerApps' }))).toBe(false)
    expect(matcher.matches(record({ Workload: 'PowerApps' }))).toBe(false)
  })

  it('matches record types written as numbers (the API) or as names (other tools)', () => {
    const matcher = compileFilter({ operations: [], workloads: [], recordTypes: [45, 256] })!
    expect(matcher.matches(record({ RecordType: '256' }))).toBe(true)
    expect(matcher.matches(record({ RecordType: 'PowerAppsApp' }))).toBe(true)
    expect(matcher.matches(record({ RecordType: '30' }))).toBe(false)
    expect(matcher.matches(record({}))).toBe(false)
  })

  it('reads only the fields it constrains', () => {
    const read: FilterField[] = []
    compileFilter({ operations: ['X'], workloads: [], recordTypes: [] })!.matches((field) => (read.push(field), 'X'))
    expect(read).toEqual(['Operation'])
  })
})

describe('filtering a downloaded blob', () => {
  const records = [
    {
      Id: 'A',
      CreationTime: '2026-11-20T10:00:00',
      Operation: 'LaunchPowerApp',
      Workload: 'PowerPlatform',
      RecordType: 256
    },
    {
      Id: 'B',
      CreationTime: '2026-11-20T10:00:01',
      Operation: 'MemberAdded',
      Workload: 'MicrosoftTeams',
      RecordType: 25
    },
    { Id: 'C', Operation: 'DeletePowerApp', Workload: 'PowerPlatform', RecordType: 256 },
    { Id: 'D', Operation: 'NoTime' },
    {
      Id: 'E',
      CreationTime: '2026-11-20T10:00:02',
      Operation: 'Launch\\u0050owerApp',
      Workload: 'PowerApps',
      RecordType: 45
    }
  ]
  const bytes = Buffer.from(JSON.stringify(records).replace('Launch\\\\u0050owerApp', 'Launch\\u0050owerApp'), 'utf8')
  const content = { bytes, records: scanRecords(bytes, fieldKeys(SCANNED_COLUMNS)) }

  it('keeps exactly the matching records, reading their escaped values too, and places no record it drops', () => {
    const placed: string[] = []
    const place = (id: string) => (placed.push(id), '2026-11-20T00:00:00Z')
    const matcher = compileFilter({ operations: ['LaunchPowerApp', 'DeletePowerApp'], workloads: [], recordTypes: [] })
    expect([...blobRows(content, place, CSV_FORMAT.fromBlob, matcher)].map((row) => row.id)).toEqual(['a', 'c', 'e'])
    expect(placed).toEqual(['c'])
    expect([...blobRows(content, place, CSV_FORMAT.fromBlob)].map((row) => row.id)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })
})
