import { describe, expect, it } from 'vitest'
import { normalizeCreationTime, recordId } from '../../src/m365/audit-record.js'
import { Column, dayOf, recordTime, SNAPSHOT_COLUMNS, toSnapshotRow } from '../../src/snapshot/row.js'
import { launch } from './fixtures.js'


describe('audit records as snapshot rows', () => {
  it.each([
    ['2026-11-20T13:17:34', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34.2372975', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34Z', '2026-11-20T13:17:34Z'],
    ['2026-11-20T15:17:34+02:00', '2026-11-20T13:17:34Z'],
    ['not a time', undefined],
    [42, undefined]
  ])('CreationTime %j is %j (UTC, whatever TZ says)', (value, expected) => {
    expect(normalizeCreationTime(value)).toBe(expected)
    expect(recordTime({ CreationTime: value })).toBe(expected)
  })

  it('maps a record to the snapshot columns, with the whole record as the JSON the API served', () => {
    const row = toSnapshotRow(launch, '2026-11-20T23:59:59Z')
    expect(row).toHaveLength(SNAPSHOT_COLUMNS.length)
    expect(row[Column.Id]).toBe('e2a84675-8952-4d91-a2ea-4d89f310f1a7')
    expect(row[Column.CreationTime]).toBe('2026-11-20T23:59:59Z')
    expect(row[Column.RecordType]).toBe('256')
    expect(row[Column.UserType]).toBe('0')
    expect(row[Column.ObjectId]).toBe('')
    expect(row[Column.AuditData]).toBe(JSON.stringify(launch))
    expect(Object.keys(JSON.parse(row[Column.AuditData] ?? ''))).toEqual(Object.keys(launch))
    expect(dayOf(row[Column.CreationTime] ?? '')).toBe('2026-11-20')
  })

  it('keys a record without an Id by the hash of its content, the same for any key order', () => {
    const odd = { Operation: 'Odd', Workload: 'X' }
    expect(recordId(odd)).toMatch(/^sha256-[0-9a-f]{32}$/)
    expect(recordId({ Workload: 'X', Operation: 'Odd' })).toBe(recordId(odd))
    expect(toSnapshotRow(odd, '2026-11-21T05:00:00Z')[Column.Id]).toBe(recordId(odd))
  })
})
