import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterEach, describe, expect, it } from 'vitest'
import { compileFilter } from '../../src/record/filter.js'
import { contentTypeOf } from '../../src/record/content-types.js'
import { detectExportFormat, explainEncoding } from '../../src/import/export-format.js'
import { findExports } from '../../src/import/find-exports.js'
import { ExportImport, prepareImport } from '../../src/import/import-exports.js'
import { importRecord } from '../../src/import/import-record.js'
import { lineBreaks, MAX_EXPORT_RECORD_CHARS, openExport } from '../../src/import/read-export.js'
import { decodeFieldFrame } from '../../src/snapshot/format/field-frame.js'
import { CSV_FORMAT } from '../../src/snapshot/format/csv.js'
import { PARQUET_FORMAT } from '../../src/snapshot/format/parquet.js'
import { Spool } from '../../src/snapshot/spool.js'
import type { KeyedRow } from '../../src/record/keyed-row.js'
import { launch, referenceRow } from './fixtures.js'

const CLASSIC = 'CreationDate,UserIds,Operations,AuditData'
const SEARCH =
  'RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames'
/** A CSV field as Purview writes AuditData: quoted, quotes doubled. */
const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})
async function folder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-import-unit-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), content)
  }
  return dir
}

describe('export headers', () => {
  it('tells the classic and the audit search layouts apart, in any case and column order', () => {
    expect(detectExportFormat(CLASSIC.split(','))).toEqual({ format: 'classic', auditData: 3, columns: 4 })
    expect(detectExportFormat(SEARCH.split(','))).toEqual({ format: 'search', auditData: 5, columns: 8 })
    expect(
      detectExportFormat(['RecordId', 'CreationDate', 'RecordType', 'Operation', 'UserId', 'AuditData'])
    ).toMatchObject({ format: 'search', columns: 6 })
    const powershell = [
      'RunspaceId',
      'RecordType',
      'CreationDate',
      'UserIds',
      'Operations',
      'AuditData',
      'ResultIndex',
      'ResultCount',
      'Identity'
    ]
    expect(detectExportFormat(powershell)).toEqual({ format: 'classic', auditData: 5, columns: 9 })
    expect(detectExportFormat([' auditdata ', 'OPERATIONS', 'userids', 'creationdate'])).toEqual({
      format: 'classic',
      auditData: 0,
      columns: 4
    })
  })

  it('refuses any other header', () => {
    expect(detectExportFormat(['Id', 'CreationTime', 'AuditData'])).toBeUndefined()
    expect(detectExportFormat(['CreationDate', 'UserIds', 'Operations'])).toBeUndefined()
    expect(detectExportFormat(['name', 'value'])).toBeUndefined()
  })

  it('recognises files saved in an encoding or format we cannot read', () => {
    expect(explainEncoding(Buffer.from([0xff, 0xfe, 0x43, 0x00]))).toMatch(/UTF-16/)
    expect(explainEncoding(Buffer.from('C\0r\0', 'latin1'))).toMatch(/UTF-16/)
    expect(explainEncoding(Buffer.from('PK\x03\x04', 'latin1'))).toMatch(/xlsx/)
    expect(explainEncoding(Buffer.from('\ufeffCre', 'utf8'))).toBeUndefined()
  })
})

describe('content type of a record', () => {
  it.each([
    ['Exchange', 2, 'Audit.Exchange'],
    ['exchange', undefined, 'Audit.Exchange'],
    ['SharePoint', 6, 'Audit.SharePoint'],
    ['OneDrive', 6, 'Audit.SharePoint'],
    ['AzureActiveDirectory', 15, 'Audit.AzureActiveDirectory'],
    ['SharePoint', 11, 'DLP.All'],
    ['Exchange', 13, 'DLP.All'],
    ['PowerPlatform', 256, 'Audit.General'],
    ['PowerApps', 45, 'Audit.General'],
    ['MicrosoftTeams', 25, 'Audit.General'],
    [undefined, undefined, 'Audit.General']
  ] as const)('%s / %s → %s', (workload, recordType, type) => {
    expect(contentTypeOf(workload, recordType)).toBe(type)
  })
})

describe('one AuditData value', () => {
  it('becomes the row the API copy of the record makes, with the record re-serialised compactly', () => {
    const pretty = JSON.stringify(launch, null, 2).replace(/\n/g, '\r\n')
    const outcome = importRecord(pretty, CSV_FORMAT.fromFields)
    expect(outcome).toMatchObject({ kind: 'row', type: 'Audit.General' })
    if (outcome.kind !== 'row') throw new Error('expected a row')
    expect(outcome.row.id).toBe('e2a84675-8952-4d91-a2ea-4d89f310f1a7')
    expect(outcome.row.time).toBe('2026-11-20T23:59:59Z')
    expect(parse(outcome.row.payload)).toEqual([referenceRow(launch, '2026-11-20T23:59:59Z')])
    // For Parquet day files the same row travels as a field frame.
    const framed = importRecord(pretty, PARQUET_FORMAT.fromFields)
    if (framed.kind !== 'row') throw new Error('expected a row')
    expect(decodeFieldFrame(framed.row.payload).map((field) => field.toString('utf8'))).toEqual(
      referenceRow(launch, '2026-11-20T23:59:59Z')
    )
  })

  it('takes the day from CreationTime (UTC, a zone honoured)', () => {
    const outcome = importRecord(
      JSON.stringify({ Id: 'X', CreationTime: '2026-11-20T23:30:00-02:00', Workload: 'Exchange' }),
      CSV_FORMAT.fromFields
    )
    expect(outcome).toMatchObject({
      kind: 'row',
      type: 'Audit.Exchange',
      row: { id: 'x', time: '2026-11-21T01:30:00Z' }
    })
  })

  it('says why a value is not a record', () => {
    expect(importRecord('', CSV_FORMAT.fromFields)).toEqual({ kind: 'bad', reason: 'AuditData is empty' })
    expect(importRecord('{"Id": "x",', CSV_FORMAT.fromFields)).toMatchObject({
      kind: 'bad',
      reason: expect.stringMatching(/^AuditData is not JSON \((its 11 characters end early|11 characters)\)$/)
    })
    // The reason says where, never what: a record's text (here, lines the runner would obey) stays out of the log.
    const hostile = importRecord('x\n::warning::pwned\n::add-mask::Audit', CSV_FORMAT.fromFields)
    expect(hostile).toMatchObject({ kind: 'bad' })
    expect(JSON.stringify(hostile)).not.toMatch(/pwned|add-mask/)
    expect(importRecord('[1]', CSV_FORMAT.fromFields)).toEqual({
      kind: 'bad',
      reason: 'AuditData is not a JSON object'
    })
    expect(importRecord('{"Id":"x"}', CSV_FORMAT.fromFields)).toEqual({
      kind: 'bad',
      reason: 'AuditData has no CreationTime'
    })
    expect(importRecord('{"Id":"x","CreationTime":"6/26/2022 5:40:02 AM"}', CSV_FORMAT.fromFields)).toEqual({
      kind: 'bad',
      reason: 'AuditData has CreationTime "6/26/2022 5:40:02 AM", not a time'
    })
  })

  it('goes through the same filter as collected records', () => {
    const keep = compileFilter({ operations: ['DeletePowerApp'], workloads: [], recordTypes: [] })
    expect(importRecord(JSON.stringify(launch), CSV_FORMAT.fromFields, keep)).toEqual({ kind: 'filtered' })
    const types = compileFilter({ operations: [], workloads: [], recordTypes: [256] })
    expect(importRecord(JSON.stringify(launch), CSV_FORMAT.fromFields, types).kind).toBe('row')
  })
})

describe('reading an export', () => {
  it('counts CRLF, LF and lone CR line breaks from a row raw text', () => {
    expect(lineBreaks('a,b\r')).toBe(1)
    expect(lineBreaks('1,"x\r\ny\nz"\r')).toBe(3)
    expect(lineBreaks('1,"x\ry"\n')).toBe(2)
    expect(lineBreaks('4,5')).toBe(0)
  })

  it('streams rows with their line numbers through a BOM, mixed line endings, multi-line and doubled-quote fields', async () => {
    const records = [launch, { ...launch, Id: 'second' }, { ...launch, Id: 'third' }]
    const text =
      `\ufeff${CLASSIC}\r\n` +
      `11/20/2026 11:59:59 PM,a@contoso.com,LaunchPowerApp,${quoted(JSON.stringify(records[0], null, 1).replace(/\n/g, '\r\n'))}\r\n` +
      `\r\n` +
      `20.11.2026 23:59:59,b@contoso.com,LaunchPowerApp,${quoted(JSON.stringify(records[1], null, 1))}\n` +
      `2026-11-20T23:59:59,c@contoso.com,LaunchPowerApp,${quoted(JSON.stringify(records[2]))}`
    const dir = await folder({ 'export.csv': text })
    const { layout, rows } = await openExport(join(dir, 'export.csv'), 'export.csv')
    expect(layout.format).toBe('classic')
    const read = []
    for await (const row of rows) read.push(row)
    const lines = JSON.stringify(records[0], null, 1).split('\n').length
    expect(read.map((row) => row.line)).toEqual([2, 2 + lines, 3 + lines, 3 + 2 * lines])
    expect(read[1]?.fields).toEqual([''])
    expect(read.filter((row) => row.fields.length === 4).map((row) => JSON.parse(row.fields[3]!))).toEqual(records)
    expect(read[2]?.fields[0]).toBe('20.11.2026 23:59:59')
  })

  it('skips the #TYPE line PowerShell writes before the header', async () => {
    const dir = await folder({
      'ps.csv': `#TYPE Deserialized.Microsoft.Exchange.Management.UnifiedAuditLog\r\n${CLASSIC}\r\nx,y,z,${quoted('{}')}\r\n`
    })
    const { rows } = await openExport(join(dir, 'ps.csv'), 'ps.csv')
    const read = []
    for await (const row of rows) read.push(row)
    expect(read).toEqual([{ line: 3, fields: ['x', 'y', 'z', '{}'] }])
  })

  it.each([
    [
      'a CSV of something else',
      'Id,Name\r\n1,x\r\n',
      /other\.csv is not a Microsoft Purview audit log export: its header is 'Id,Name'; expected 'CreationDate,UserIds,Operations,AuditData'/
    ],
    ['an empty file', '', /other\.csv is empty/],
    ['a header only line', '\ufeff', /other\.csv is not a Microsoft Purview audit log export: it has no header row/],
    ['UTF-16 text', Buffer.from(`\ufeff${CLASSIC}\r\n`, 'utf16le'), /other\.csv cannot be imported: it is UTF-16 text/]
  ])('refuses %s with what it expected', async (_what, content, message) => {
    const dir = await folder({ 'other.csv': content })
    await expect(openExport(join(dir, 'other.csv'), 'other.csv')).rejects.toThrow(message)
  })

  it('fails a file that is not valid CSV with the line the broken row starts on', async () => {
    const dir = await folder({ 'cut.csv': `${SEARCH}\n1,d,6,Op,u,${quoted('{}')},,\n2,d,6,Op,u,"{""Id"":\n` })
    const { rows } = await openExport(join(dir, 'cut.csv'), 'cut.csv')
    const read = async () => {
      for await (const _row of rows);
    }
    await expect(read()).rejects.toThrow(/^cut\.csv:3: not valid CSV \(.*Quote Not Closed.*\)\. Was the file cut off/)
  })

  it('stops at a row past the record size bound instead of holding the rest of the file', async () => {
    const rest = 'x'.repeat(MAX_EXPORT_RECORD_CHARS + 1024)
    const dir = await folder({
      'open.csv': `${SEARCH}\n1,d,6,Op,u,${quoted('{}')},,\n2,d,6,Op,u,"{${rest}\n3,d,6,Op,u,{},,\n`
    })
    const { rows } = await openExport(join(dir, 'open.csv'), 'open.csv')
    const read = async () => {
      for await (const _row of rows);
    }
    await expect(read()).rejects.toThrow(/^open\.csv:3: a row runs past 8 MiB, far beyond any audit record/)
  })
})

describe('importing exports', () => {
  const row = (record: object, extra = '') => `x,u,op,${quoted(JSON.stringify(record))}${extra}\r\n`

  async function importInto(
    files: Record<string, string>,
    filter = compileFilter({ operations: [], workloads: [], recordTypes: [] })
  ) {
    const dir = await folder(files)
    const spool = await Spool.create(join(dir, 'spool'))
    const exports = await prepareImport(['*.csv'], dir)
    const logged: string[] = []
    const importing = new ExportImport(exports, {
      encode: CSV_FORMAT.fromFields,
      filter,
      log: (line) => logged.push(line)
    })
    await importing.fill(spool)
    const report = importing.report
    const held: Record<string, KeyedRow[]> = {}
    for (const { type, day } of spool.entries()) {
      for await (const batch of spool.read(type, day))
        for (const spooled of batch)
          (held[`${type} ${day}`] ??= []).push({ ...spooled, payload: Buffer.from(spooled.payload) })
    }
    await spool.remove()
    return { report, held, logged }
  }

  it('puts each record in its content type and UTC day, counts and reports bad rows with file and line, and drops nothing silently', async () => {
    const { report, held, logged } = await importInto({
      'a.csv':
        `${CLASSIC}\r\n` +
        row({ Id: 'E1', CreationTime: '2026-11-20T23:59:59', Workload: 'Exchange', Operation: 'Send' }) +
        row({ Id: 'S1', CreationTime: '2026-11-21T00:00:00', Workload: 'OneDrive', Operation: 'FileAccessed' }) +
        'x,u,op,"not json"\r\n' +
        row(
          {
            Id: 'G1',
            CreationTime: '2026-11-21T00:00:01',
            Workload: 'PowerApps',
            Operation: 'LaunchPowerApp',
            RecordType: 45
          },
          ',extra'
        ),
      'b.csv':
        `${CLASSIC}\n` +
        row({ Id: 'D1', CreationTime: '2026-11-21T08:00:00', Workload: 'SharePoint', RecordType: 11 }) +
        row({ Id: 'N' })
    })
    expect(
      Object.fromEntries(Object.entries(held).map(([key, rows]) => [key, rows.map((spooled) => spooled.id)]))
    ).toEqual({
      'Audit.Exchange 2026-11-20': ['e1'],
      'Audit.SharePoint 2026-11-21': ['s1'],
      'DLP.All 2026-11-21': ['d1']
    })
    expect(report).toMatchObject({
      rows: 6,
      records: 3,
      filtered: 0,
      badRows: 3,
      byType: { 'Audit.Exchange': 1, 'Audit.SharePoint': 1, 'DLP.All': 1 }
    })
    expect(report.bad).toEqual([
      { file: 'a.csv', line: 4, reason: expect.stringMatching(/^AuditData is not JSON/) },
      { file: 'a.csv', line: 5, reason: '5 fields where the header has 4' },
      { file: 'b.csv', line: 3, reason: 'AuditData has no CreationTime' }
    ])
    expect(report.files).toEqual([
      { file: 'a.csv', format: 'classic', rows: 4, records: 2, filtered: 0, bad: 2 },
      { file: 'b.csv', format: 'classic', rows: 2, records: 1, filtered: 0, bad: 1 }
    ])
    expect(logged).toContain('a.csv:5: bad row, not imported: 5 fields where the header has 4.')
  })

  it('leaves out what the filters leave out, and counts it', async () => {
    const { report, held } = await importInto(
      {
        'a.csv':
          `${CLASSIC}\r\n` +
          row({
            Id: 'L',
            CreationTime: '2026-11-20T10:00:00',
            Workload: 'PowerPlatform',
            Operation: 'LaunchPowerApp'
          }) +
          row({ Id: 'T', CreationTime: '2026-11-20T10:00:00', Workload: 'MicrosoftTeams', Operation: 'MemberAdded' })
      },
      compileFilter({ operations: ['launchpowerapp'], workloads: [], recordTypes: [] })
    )
    expect(
      Object.values(held)
        .flat()
        .map((spooled) => spooled.id)
    ).toEqual(['l'])
    expect(report).toMatchObject({ rows: 2, records: 1, filtered: 1, badRows: 0 })
  })

  it('stops once a spool holds enough records for a commit, and goes on from the next row into the next spool', async () => {
    const records = Array.from({ length: 25 }, (_, n) => ({
      Id: `R${n}`,
      CreationTime: `2026-11-20T10:00:${String(n).padStart(2, '0')}`,
      Workload: 'Exchange'
    }))
    const dir = await folder({
      'a.csv': `${CLASSIC}\r\n${records
        .slice(0, 12)
        .map((record) => row(record))
        .join('')}`,
      'b.csv': `${CLASSIC}\n${records
        .slice(12)
        .map((record) => row(record))
        .join('')}x,u,op,"{}"\n`
    })
    const importing = new ExportImport(await prepareImport(['*.csv'], dir), { encode: CSV_FORMAT.fromFields })
    const ids: string[][] = []
    for (let pass = 0; !importing.done; pass++) {
      const spool = await Spool.create(join(dir, `spool-${pass}`))
      expect(await importing.fill(spool, 10)).toBe(importing.done)
      const held: string[] = []
      for await (const batch of spool.read('Audit.Exchange', '2026-11-20'))
        held.push(...batch.map((spooled) => spooled.id))
      ids.push(held)
      await spool.remove()
    }
    expect(ids.map((held) => held.length)).toEqual([10, 10, 5])
    expect(ids.flat().sort()).toEqual(records.map((record) => record.Id.toLowerCase()).sort())
    expect(importing.report).toMatchObject({
      rows: 26,
      records: 25,
      badRows: 1,
      bad: [{ file: 'b.csv', line: 15, reason: 'AuditData has no CreationTime' }]
    })
    expect(importing.report.files.map((file) => [file.file, file.records])).toEqual([
      ['a.csv', 12],
      ['b.csv', 13]
    ])
  })

  it('fails before reading any row when one of the files is not an export', async () => {
    const dir = await folder({ 'a.csv': `${CLASSIC}\r\n`, 'notes.csv': 'name,value\r\n' })
    await expect(prepareImport(['*.csv'], dir)).rejects.toThrow(
      /^notes\.csv is not a Microsoft Purview audit log export/
    )
  })
})

describe('finding the exports', () => {
  it('matches patterns relative to the workspace, files only, each once, in a stable order', async () => {
    const dir = await folder({
      'exports/b.csv': '',
      'exports/a.csv': '',
      'exports/old/c.csv': '',
      'exports/dir.csv/x': '',
      'other.txt': ''
    })
    const found = await findExports(['exports/**/*.csv', 'exports/a.csv'], dir)
    expect(found.map((file) => file.shown)).toEqual(['exports/a.csv', 'exports/b.csv', 'exports/old/c.csv'])
    expect(found[0]?.path).toBe(join(dir, 'exports/a.csv'))
  })

  it('refuses a file outside the workspace, by a pattern or through a link, naming it', async () => {
    const outside = await folder({ 'secret.csv': 'not an export' })
    const dir = await folder({ 'exports/a.csv': '' })
    await symlink(join(outside, 'secret.csv'), join(dir, 'exports', 'link.csv'))
    await expect(findExports(['exports/*.csv'], dir)).rejects.toThrow(
      /Input 'import': 'exports\/\*\.csv' matches "exports\/link\.csv", which is outside the workspace \(or a link out of it\)/
    )
    await expect(findExports([`../${basename(outside)}/*.csv`], dir)).rejects.toThrow(/outside the workspace/)
    await expect(findExports([join(outside, '*.csv')], dir)).rejects.toThrow(/outside the workspace/)
    // A link that stays inside is a file of the repository like any other.
    await symlink(join(dir, 'exports', 'a.csv'), join(dir, 'exports', 'b.csv'))
    await rm(join(dir, 'exports', 'link.csv'))
    expect((await findExports(['exports/*.csv'], dir)).map((file) => file.shown)).toEqual([
      'exports/a.csv',
      'exports/b.csv'
    ])
  })

  it('fails on a pattern that matches nothing, saying where it looked', async () => {
    const dir = await folder({ 'exports/a.csv': '' })
    await expect(findExports(['exports/*.csv', 'history/*.csv'], dir)).rejects.toThrow(
      `Input 'import': 'history/*.csv' matches no file under ${dir}.`
    )
  })
})
