import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { normalizeCreationTime, recordId } from '../../src/record/audit-record.js'
import { fieldKeys, scanRecords } from '../../src/record/record-scanner.js'
import { blobRows } from '../../src/collect/blob-rows.js'
import { CSV_FORMAT } from '../../src/snapshot/format/csv.js'
import { Column, dayOf, SCANNED_COLUMNS, SNAPSHOT_COLUMNS } from '../../src/record/columns.js'
import { launch } from './fixtures.js'

/** The rows a downloaded blob serving `records` gives, each with its CSV line parsed. */
function rowsOf(records: readonly object[], placeUntimed: (id: string) => string = () => 'unused') {
  const bytes = Buffer.from(JSON.stringify(records), 'utf8')
  return [
    ...blobRows({ bytes, records: scanRecords(bytes, fieldKeys(SCANNED_COLUMNS)) }, placeUntimed, CSV_FORMAT.fromBlob)
  ].map((row) => ({
    id: row.id,
    time: row.time,
    columns: (parse(Buffer.from(row.payload)) as string[][])[0]!
  }))
}

describe('audit records as snapshot rows', () => {
  it.each([
    ['2026-11-20T13:17:34', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34.2372975', '2026-11-20T13:17:34Z'],
    ['2026-11-20T13:17:34Z', '2026-11-20T13:17:34Z'],
    ['2026-11-20T15:17:34+02:00', '2026-11-20T13:17:34Z'],
    ['2024-02-29T08:00:00', '2024-02-29T08:00:00Z'],
    ['2000-02-29T08:00:00', '2000-02-29T08:00:00Z'],
    ['2026-02-29T08:00:00', undefined],
    ['2100-02-29T08:00:00', undefined],
    ['2026-11-31T08:00:00', undefined],
    ['2026-12-31T23:59:59', '2026-12-31T23:59:59Z'],
    ['2026-00-10T08:00:00', undefined],
    ['2026-11-00T08:00:00', undefined],
    ['2026-11-20T24:00:00', undefined],
    ['2026-11-20T23:60:00', undefined],
    ['2026-11-20T23:59:60', undefined],
    ['not a time', undefined],
    [42, undefined]
  ])('CreationTime %j is %j (UTC, whatever TZ says)', (value, expected) => {
    expect(normalizeCreationTime(value)).toBe(expected)
  })

  it('maps a record to the snapshot columns, with the whole record as the JSON the API served', () => {
    const [row] = rowsOf([launch])
    expect(row!.id).toBe('e2a84675-8952-4d91-a2ea-4d89f310f1a7')
    expect(row!.time).toBe('2026-11-20T23:59:59Z')
    expect(row!.columns).toHaveLength(SNAPSHOT_COLUMNS.length)
    expect(row!.columns[Column.Id]).toBe(row!.id)
    expect(row!.columns[Column.CreationTime]).toBe('2026-11-20T23:59:59Z')
    expect(row!.columns[Column.RecordType]).toBe('256')
    expect(row!.columns[Column.UserType]).toBe('0')
    expect(row!.columns[Column.UserId]).toBe('José.Müller@contoso.com')
    expect(row!.columns[Column.ObjectId]).toBe('')
    expect(row!.columns[Column.AuditData]).toBe(JSON.stringify(launch))
    expect(dayOf(row!.time)).toBe('2026-11-20')
  })

  it('keys a record without an Id by the hash of its content, and places one without a time where it is told', () => {
    const odd = { Operation: 'Odd', Workload: 'X' }
    expect(recordId(odd)).toMatch(/^sha256-[0-9a-f]{32}$/)
    expect(recordId({ Workload: 'X', Operation: 'Odd' })).toBe(recordId(odd))
    const asked: string[] = []
    const rows = rowsOf([odd, launch], (id) => (asked.push(id), '2026-11-21T05:00:00Z'))
    expect(rows.map((row) => [row.id, row.time])).toEqual([
      [recordId(odd), '2026-11-21T05:00:00Z'],
      ['e2a84675-8952-4d91-a2ea-4d89f310f1a7', '2026-11-20T23:59:59Z']
    ])
    expect(asked).toEqual([recordId(odd)])
  })
})
