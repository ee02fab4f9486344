import { describe, expect, it } from 'vitest'
import { graphFailure } from '../../src/graph/audit-query-client.js'
import { auditDataOf } from '../../src/graph/graph-record.js'
import {
  dailyQueryWindows,
  halveQueryWindow,
  isQueryWindowSettled,
  queryDisplayName,
  windowOfDisplayName
} from '../../src/graph/query-windows.js'
import { importRecord } from '../../src/import/import-record.js'
import { auditRecordRow } from '../../src/record/record-row.js'
import { CSV_FORMAT } from '../../src/snapshot/format/csv.js'
import { HOUR_MS } from '../../src/util/duration.js'

const at = (text: string): Date => new Date(text)
const range = (start: string, end: string) => ({ start: at(start), end: at(end) })
const shown = (windows: { start: Date; end: Date }[]) =>
  windows.map((window) => `${window.start.toISOString()}/${window.end.toISOString()}`)

/** A record as the Management API serves it, and the same record as a Graph audit log query returns it. */
const MANAGEMENT = {
  CreationTime: '2026-07-17T08:28:17',
  Id: 'd87d2977-96b6-4c65-aa44-032f7e314400',
  Operation: 'LaunchPowerApp',
  OrganizationId: '4b8c18bd-0000-4000-8000-000000000001',
  RecordType: 256,
  UserKey: 'bbcfc3c5-0000-4000-8000-000000000002',
  UserType: 0,
  Workload: 'PowerApps',
  ClientIP: '2001:db8::1038',
  UserId: 'rob@contoso.example',
  ExtendedProperties: [{ Name: 'UserAgent', Value: 'Mozilla/5.0 "quoted", line\nbreak' }]
}
const GRAPH = {
  id: MANAGEMENT.Id,
  createdDateTime: '2026-07-17T08:28:17Z',
  auditLogRecordType: 'PowerPlatformAdministratorActivity',
  operation: 'LaunchPowerApp',
  organizationId: MANAGEMENT.OrganizationId,
  userType: 'Regular',
  // The envelope's user fields are crossed, and its clientIp is null.
  userId: MANAGEMENT.UserKey,
  userPrincipalName: MANAGEMENT.UserId,
  clientIp: null,
  administrativeUnits: [''],
  auditData: {
    '@odata.type': '#microsoft.graph.security.defaultAuditData',
    CreationTime: '2026-07-17T08:28:17Z',
    Id: MANAGEMENT.Id,
    Operation: 'LaunchPowerApp',
    OrganizationId: MANAGEMENT.OrganizationId,
    'RecordType@odata.type': '#Int64',
    RecordType: 256,
    UserKey: MANAGEMENT.UserKey,
    'UserType@odata.type': '#Int64',
    UserType: 0,
    Workload: 'PowerApps',
    ClientIP: MANAGEMENT.ClientIP,
    UserId: MANAGEMENT.UserId,
    'ExtendedProperties@odata.type': '#Collection(microsoft.graph.security.defaultAuditData)',
    ExtendedProperties: [
      {
        '@odata.type': '#microsoft.graph.security.defaultAuditData',
        Name: 'UserAgent',
        Value: MANAGEMENT.ExtendedProperties[0]!.Value
      }
    ]
  }
}

describe('a Graph audit log record as the Management API writes it', () => {
  it('drops OData annotations at any depth and the Z of CreationTime, and takes nothing from the envelope', () => {
    const result = auditDataOf(GRAPH)
    expect(result).toEqual({ record: MANAGEMENT })
  })

  it('lands as the same row as the Management API record would through import', () => {
    const result = auditDataOf(GRAPH)
    if (!('record' in result)) throw new Error(result.bad)
    const fromGraph = auditRecordRow(result.record, CSV_FORMAT.fromFields)
    const fromExport = importRecord(JSON.stringify(MANAGEMENT), CSV_FORMAT.fromFields)
    expect(fromGraph).toEqual(fromExport)
    expect(fromGraph).toMatchObject({ kind: 'row', type: 'Audit.General', row: { time: '2026-07-17T08:28:17Z' } })
  })

  it('keeps times that are not Graph’s UTC form as they are, and says what is wrong with a record it cannot use', () => {
    const zoned = auditDataOf({ auditData: { ...GRAPH.auditData, CreationTime: '2026-07-17T08:28:17+02:00' } })
    expect(zoned).toMatchObject({ record: { CreationTime: '2026-07-17T08:28:17+02:00' } })
    expect(auditDataOf({ ...GRAPH, auditData: null })).toEqual({
      bad: `record "${GRAPH.id}" has no auditData object`
    })
    expect(auditDataOf([GRAPH])).toEqual({ bad: 'the record is not a JSON object' })
    expect(auditDataOf({ auditData: 'text' })).toEqual({ bad: 'record without an id has no auditData object' })
  })
})

describe('the windows of Graph audit log queries', () => {
  it('are UTC days, cut at the range’s ends', () => {
    expect(shown(dailyQueryWindows(range('2026-11-18T06:30:00Z', '2026-11-20T03:00:00Z')))).toEqual([
      '2026-11-18T06:30:00.000Z/2026-11-19T00:00:00.000Z',
      '2026-11-19T00:00:00.000Z/2026-11-20T00:00:00.000Z',
      '2026-11-20T00:00:00.000Z/2026-11-20T03:00:00.000Z'
    ])
    expect(dailyQueryWindows(range('2026-11-18T00:00:00Z', '2026-11-18T00:00:00Z'))).toEqual([])
  })

  it('halve at a whole hour down to an hour, then no more', () => {
    const day = range('2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z')
    expect(shown(halveQueryWindow(day)!)).toEqual([
      '2026-11-18T00:00:00.000Z/2026-11-18T12:00:00.000Z',
      '2026-11-18T12:00:00.000Z/2026-11-19T00:00:00.000Z'
    ])
    // Three hours: cut at an hour, not at 1.5.
    const three = halveQueryWindow(range('2026-11-18T00:00:00Z', '2026-11-18T03:00:00Z'))!
    expect(three.map((half) => half.end.getTime() - half.start.getTime()).sort()).toEqual([HOUR_MS, 2 * HOUR_MS])
    // A window that does not start on the hour is cut at the hour inside it.
    expect(shown(halveQueryWindow(range('2026-11-18T06:30:00Z', '2026-11-18T08:00:00Z'))!)).toEqual([
      '2026-11-18T06:30:00.000Z/2026-11-18T07:00:00.000Z',
      '2026-11-18T07:00:00.000Z/2026-11-18T08:00:00.000Z'
    ])
    expect(halveQueryWindow(range('2026-11-18T06:00:00Z', '2026-11-18T07:00:00Z'))).toBeUndefined()
    expect(halveQueryWindow(range('2026-11-18T06:10:00Z', '2026-11-18T06:50:00Z'))).toBeUndefined()
    // However often a day is halved, it ends in windows of an hour or two that cover it exactly.
    const pieces: { start: Date; end: Date }[] = []
    const split = (window: { start: Date; end: Date }): void => {
      const halves = halveQueryWindow(window)
      if (halves) halves.forEach(split)
      else pieces.push(window)
    }
    split(day)
    expect(
      pieces.every((piece, index) => index === 0 || piece.start.getTime() === pieces[index - 1]!.end.getTime())
    ).toBe(true)
    expect([pieces[0]!.start, pieces.at(-1)!.end]).toEqual([day.start, day.end])
    expect(pieces.every((piece) => piece.end.getTime() - piece.start.getTime() === HOUR_MS)).toBe(true)
  })

  it('are named so that a run finds its own queries again, and only for the same filters', () => {
    const window = range('2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z')
    const filters = { operationFilters: ['LaunchPowerApp', 'DeletePowerApp'] }
    const name = queryDisplayName(window, filters)
    expect(name).toMatch(/^m365-audit-sync 2026-11-18T00:00:00Z\/2026-11-19T00:00:00Z [0-9a-f]{8}$/)
    expect(windowOfDisplayName(name, { operationFilters: ['deletepowerapp', 'LaunchPowerApp'] })).toEqual(window)
    expect(windowOfDisplayName(name, {})).toBeUndefined()
    expect(windowOfDisplayName(name, { operationFilters: ['LaunchPowerApp'] })).toBeUndefined()
    expect(windowOfDisplayName('Purview search 2026-11-18', filters)).toBeUndefined()
    expect(windowOfDisplayName(name.replace('2026-11-19', '2026-11-17'), filters)).toBeUndefined()
  })

  it('settle once Graph has ingested what they hold', () => {
    const window = range('2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z')
    expect(isQueryWindowSettled(window, at('2026-11-19T23:59:00Z'), 24 * HOUR_MS)).toBe(false)
    expect(isQueryWindowSettled(window, at('2026-11-20T00:00:00Z'), 24 * HOUR_MS)).toBe(true)
  })
})

describe('a failed Graph call, explained by what it is', () => {
  const body = (code: string, message: string) => JSON.stringify({ error: { code, message } })

  it('retries throttling, server errors and a status poll answered 400, and gives them no advice', () => {
    for (const [status, text, polling] of [
      [429, body('TooManyRequests', 'Too many requests'), false],
      [503, '<html><title>Service Unavailable</title></html>', false],
      [400, body('BadRequest', 'Invalid request data'), true]
    ] as const) {
      const error = graphFailure('read a page', status, text, undefined, polling)
      expect(error, text).toMatchObject({ status, retryable: true })
      expect(error.message).not.toMatch(/permission|consent|audit logging|window or filters/i)
    }
    expect(graphFailure('submit', 429, '', '7').retryAfterMs).toBe(7000)
  })

  it('says what to do about a refusal', () => {
    const cases: [number, string, RegExp][] = [
      [
        403,
        body('UnknownError', '{"message":"App:1 dont have any permissions"}'),
        /AuditLogsQuery\.Read\.All.*admin consent/
      ],
      [400, body('UnknownError', '{"Status":"AuditingDisabledTenant"}'), /Audit logging is off in the tenant/],
      [400, body('BadRequest', 'Invalid request data'), /refused the query’s window or filters/],
      [401, body('InvalidAuthenticationToken', 'Invalid audience.'), /graph-url/],
      [404, body('UnknownError', ''), /commercial and GCC clouds only/]
    ]
    for (const [status, text, advice] of cases) {
      const error = graphFailure('submit the audit log query', status, text)
      expect(error.retryable, text).toBe(false)
      expect(error.message).toMatch(advice)
    }
  })
})
