import { describe, expect, it } from 'vitest'
import { parse } from 'csv-parse/sync'
import {
  canonicalJson,
  Column,
  normalizeCreationTime,
  recordId,
  rowDay,
  SNAPSHOT_COLUMNS,
  toSnapshotRow,
  type AuditRecord
} from '../../src/m365/audit-record.js'
import { mergeRows, parseDayFile, renderDayFile } from '../../src/snapshot/day-file.js'
import { dayFilePath } from '../../src/snapshot/paths.js'

const launch: AuditRecord = {
  Id: 'E2A84675-8952-4D91-A2EA-4D89F310F1A7',
  CreationTime: '2026-11-20T23:59:59',
  RecordType: 256,
  Operation: 'LaunchPowerApp',
  Workload: 'PowerPlatform',
  UserId: 'José.Müller@contoso.com',
  UserType: 0,
  UserKey: '7ff1e0f1-e2a4-48a0-874e-34db43893df1',
  OrganizationId: '33333333-3333-3333-3333-333333333333',
  ResultStatus: 'Succeeded',
  ClientIP: '[fdfd::555]:12346',
  PropertyCollection: [{ Name: 'powerplatform.analytics.resource.power_app.display_name', Value: 'Ñandú, "Pérez"\r\nline 2 李小龙' }]
}

describe('audit records', () => {
  it.each([
    ['2026-11-20T13:17:34', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34.2372975', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34Z', '2026-11-20T13:17:34Z'],
    ['2026-11-20T15:17:34+02:00', '2026-11-20T13:17:34Z'],
    ['not a time', undefined],
    [42, undefined]
  ])('CreationTime %j is %j (UTC, whatever TZ says)', (value, expected) => {
    expect(normalizeCreationTime(value)).toBe(expected)
  })

  it('maps a record to the columns of DESIGN.md §2, with the whole record as canonical JSON', () => {
    const row = toSnapshotRow(launch, '2026-11-21T00:00:00Z')
    expect(row).toHaveLength(SNAPSHOT_COLUMNS.length)
    expect(row[Column.Id]).toBe('e2a84675-8952-4d91-a2ea-4d89f310f1a7')
    expect(row[Column.CreationTime]).toBe('2026-11-20T23:59:59Z')
    expect(row[Column.RecordType]).toBe('256')
    expect(row[Column.UserType]).toBe('0')
    expect(row[Column.ObjectId]).toBe('')
    expect(JSON.parse(row[Column.AuditData] ?? '')).toEqual(launch)
    expect(rowDay(row)).toBe('2026-11-20')
  })

  it('gives a duplicate with its keys in another order the same bytes', () => {
    const reordered = Object.fromEntries(Object.entries(launch).reverse())
    expect(canonicalJson(reordered)).toBe(canonicalJson(launch))
    expect(toSnapshotRow(reordered, 'x')).toEqual(toSnapshotRow(launch, 'x'))
  })

  it('keeps a record without Id or time rather than dropping it', () => {
    const odd = { Operation: 'Odd', Workload: 'X' }
    const row = toSnapshotRow(odd, '2026-11-21T05:00:00Z')
    expect(row[Column.Id]).toMatch(/^sha256-[0-9a-f]{32}$/)
    expect(recordId(odd)).toBe(row[Column.Id])
    expect(rowDay(row)).toBe('2026-11-21')
  })
})

describe('day files', () => {
  const a = toSnapshotRow({ ...launch, Id: 'a', CreationTime: '2026-11-20T10:00:00' }, 'x')
  const b = toSnapshotRow({ ...launch, Id: 'b', CreationTime: '2026-11-20T09:00:00' }, 'x')
  const c = toSnapshotRow({ ...launch, Id: 'c', CreationTime: '2026-11-20T10:00:00' }, 'x')

  it('merges by Id, keeps the first copy, sorts by CreationTime then Id', () => {
    const changedCopy = [...a]
    changedCopy[Column.Operation] = 'Changed'
    const { rows, added } = mergeRows([a], [c, b, changedCopy, b])
    expect(added).toBe(2)
    expect(rows.map((row) => row[Column.Id])).toEqual(['b', 'a', 'c'])
    expect(rows[1]?.[Column.Operation]).toBe('LaunchPowerApp')
  })

  it('gives the same bytes for the same records in any arrival order', () => {
    const one = renderDayFile(mergeRows([], [a, b, c]).rows).toString()
    const two = renderDayFile(mergeRows([c], [b, a]).rows).toString()
    expect(two).toBe(one)
  })

  it('writes RFC 4180 that a CSV parser reads back exactly, JSON intact', () => {
    const text = renderDayFile(mergeRows([], [a, b]).rows).toString()
    expect(text.startsWith(`${SNAPSHOT_COLUMNS.join(',')}\r\n`)).toBe(true)
    const parsed = parse(text, { columns: true }) as Record<string, string>[]
    expect(parsed).toHaveLength(2)
    expect(JSON.parse(parsed[0]?.AuditData ?? '')).toMatchObject({ Id: 'b', PropertyCollection: launch.PropertyCollection })
    expect(parseDayFile(text, 'f.csv')).toEqual(mergeRows([], [a, b]).rows)
  })

  it('quotes a value holding a lone LF or CR, as RFC 4180 requires', () => {
    const odd = toSnapshotRow({ Id: 'n', CreationTime: '2026-11-20T01:00:00', ObjectId: 'a\nb', UserId: 'c\rd' }, 'x')
    const text = renderDayFile([odd]).toString()
    expect(text).toContain(',"a\nb",')
    expect(text).toContain(',"c\rd",')
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(2)
    expect(parseDayFile(text, 'f.csv')).toEqual([odd])
  })

  it('refuses to rewrite a file that is not ours', () => {
    expect(() => parseDayFile('a,b\r\n1,2\r\n', 'audit/x.csv')).toThrow(/audit\/x\.csv.*expected header/)
  })

  it('names files by content type and UTC day', () => {
    expect(dayFilePath('Audit.General', '2026-11-20')).toBe('audit/Audit.General/2026/11/2026-11-20.csv')
  })
})
