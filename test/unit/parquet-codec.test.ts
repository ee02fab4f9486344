import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet'
import { afterEach, describe, expect, it } from 'vitest'
import { DayContentError } from '../../src/snapshot/day-content-error.js'
import { decodeCsvLine, encodeCsvRow } from '../../src/snapshot/format/csv.js'
import { decodeFieldFrame, encodeFieldFrame } from '../../src/snapshot/format/field-frame.js'
import {
  ADDITION_PACKED_ROWS,
  ParquetPartWriter,
  readParquetRows,
  ROW_GROUP_ROWS
} from '../../src/snapshot/format/parquet.js'
import type { SnapshotRow } from '../../src/record/columns.js'
import type { KeyedRow } from '../../src/record/keyed-row.js'
import { referenceRow } from './fixtures.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-parquet-test-'))
  dirs.push(dir)
  return dir
}

/** Records whose values break naive writers: commas, quotes, CR/LF, non-ASCII, absent fields. */
function records(count: number): SnapshotRow[] {
  return Array.from({ length: count }, (_, n) => {
    const time = `2026-11-20T${String(Math.floor(n / 3600) % 24).padStart(2, '0')}:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`
    const record = {
      CreationTime: time,
      Id: `id-${String(n).padStart(6, '0')}`,
      Operation: n % 3 === 0 ? 'LaunchPowerApp' : 'MemberAdded',
      RecordType: n % 2 === 0 ? 256 : 45,
      Workload: 'PowerPlatform',
      UserId: n % 5 === 0 ? undefined : 'José.Müller@contoso.com',
      UserType: 0,
      AppName: `Expenses, "Q${n % 4}"\r\nreview 李小龙 ☕`,
      Nested: { list: [1, 'two', { three: '"3"' }], escaped: 'tab\there \\ back' }
    }
    return referenceRow(record, `${time}Z`, record.Id)
  })
}

const spooled = (row: SnapshotRow): KeyedRow => ({
  id: row[0]!,
  time: row[1]!,
  payload: encodeFieldFrame(row.map((value) => Buffer.from(value, 'utf8')))
})

describe('Parquet day files', () => {
  it('decodes our CSV lines back into their fields', () => {
    for (const row of records(30)) {
      const line = encodeCsvRow(row)
      const fields = decodeCsvLine(Buffer.from(line))
      expect(fields.map((field) => field.toString('utf8'))).toEqual(row)
    }
  })

  it('writes typed columns that read back to the same rows, through hyparquet and through DuckDB', async () => {
    const dir = await tempDir()
    const rows = records(ROW_GROUP_ROWS + 500)
    const writer = new ParquetPartWriter(dir, 64 * 1024 * 1024)
    for (const row of rows) writer.write(spooled(row))
    const [part, ...more] = writer.finish()
    expect(more).toEqual([])
    expect(part!.rows).toBe(rows.length)
    expect(part!.firstCreationTime).toBe(rows[0]![1])
    expect(part!.lastCreationTime).toBe(rows.at(-1)![1])

    const read: KeyedRow[] = []
    // A batch is good until the next is read: keep copies.
    for await (const batch of readParquetRows(part!.file, 'day.parquet'))
      read.push(...batch.map((row) => ({ ...row, payload: Buffer.from(row.payload) })))
    expect(read.length).toBe(rows.length)
    for (const [index, row] of read.entries()) {
      expect(row.id).toBe(rows[index]![0])
      expect(row.time).toBe(rows[index]![1])
      expect(decodeFieldFrame(row.payload).map((field) => field.toString('utf8'))).toEqual(rows[index])
    }

    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    try {
      const types = await connection.runAndReadAll(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${part!.file}'))`
      )
      expect(Object.fromEntries(types.getRows().map(([name, type]) => [name, type]))).toMatchObject({
        Id: 'VARCHAR',
        CreationTime: 'TIMESTAMP WITH TIME ZONE',
        RecordType: 'INTEGER',
        UserType: 'INTEGER',
        UserId: 'VARCHAR',
        AuditData: 'VARCHAR'
      })
      const result = await connection.runAndReadAll(
        `SELECT Id, strftime(CreationTime AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS t, RecordType, UserId, AuditData::VARCHAR AS audit FROM read_parquet('${part!.file}') ORDER BY CreationTime, Id`
      )
      const back = result.getRowObjects() as {
        Id: string
        t: string
        RecordType: number
        UserId: string | null
        audit: string
      }[]
      expect(back.length).toBe(rows.length)
      for (const [index, row] of back.entries()) {
        const expected = rows[index]!
        expect([row.Id, row.t, String(row.RecordType), row.UserId ?? '', row.audit]).toEqual([
          expected[0],
          expected[1],
          expected[2],
          expected[5],
          expected[12]
        ])
      }
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })

  it('keeps every byte of pages too large to share a buffer, whose memory is given back as soon as each is done with', async () => {
    // Random AuditData does not compress: its pages and their compressed forms each fill a
    // buffer of their own, the ones the writer and the reader free early (release-buffer.ts).
    const dir = await tempDir()
    const rows = records(3000).map((row) => {
      const copy = [...row]
      copy[12] = JSON.stringify({ Id: row[0], blob: randomBytes(1100).toString('base64') })
      return copy
    })
    const writer = new ParquetPartWriter(dir, 64 * 1024 * 1024)
    for (const row of rows) writer.write(spooled(row))
    const [part] = writer.finish()
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(part!.file))
    const auditData = metadata.row_groups[0]!.columns.at(-1)!.meta_data!
    expect(Number(auditData.total_compressed_size)).toBeGreaterThan(512 * 1024)

    const read: string[][] = []
    for await (const batch of readParquetRows(part!.file, 'day.parquet'))
      for (const row of batch) read.push(decodeFieldFrame(row.payload).map((field) => field.toString('utf8')))
    expect(read).toEqual(rows)
  })

  it('writes RecordType and UserType as 32-bit integers, and refuses one out of range as the day’s fault, without its value', async () => {
    const dir = await tempDir()
    const rows = records(4).map((row, index) => {
      const copy = [...row]
      copy[2] = ['-2147483648', '2147483647', '0', '-7'][index]!
      copy[6] = ['15', '', '3', '-1'][index]!
      return copy
    })
    const writer = new ParquetPartWriter(dir, 64 * 1024 * 1024)
    for (const row of rows) writer.write(spooled(row))
    const [part] = writer.finish()
    const read: string[][] = []
    for await (const batch of readParquetRows(part!.file, 'day.parquet'))
      for (const row of batch) read.push(decodeFieldFrame(row.payload).map((field) => field.toString('utf8')))
    expect(read.map((row) => [row[2], row[6]])).toEqual(rows.map((row) => [row[2], row[6]]))

    const outOfRange = [...records(1)[0]!]
    outOfRange[2] = '2147483648'
    const refusal = (() => {
      try {
        new ParquetPartWriter(dir, 1024).write(spooled(outOfRange))
      } catch (error) {
        return error
      }
    })()
    expect(refusal).toBeInstanceOf(DayContentError)
    expect((refusal as Error).message).toMatch(
      /^a record's RecordType is not a 32-bit integer, so it cannot be written as Parquet/
    )
    expect((refusal as Error).message).not.toContain('2147483648')
  })

  it('names the day file and what to do when a page of it cannot be read', async () => {
    const dir = await tempDir()
    const writer = new ParquetPartWriter(dir, 64 * 1024 * 1024)
    for (const row of records(2000)) writer.write(spooled(row))
    const [part] = writer.finish()
    const bytes = await readFile(part!.file)
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(part!.file))
    // Overwrite the middle of the first row group's AuditData column chunk (its ZSTD pages).
    const chunk = metadata.row_groups[0]!.columns.at(-1)!.meta_data!
    const middle = Number(chunk.data_page_offset) + Math.floor(Number(chunk.total_compressed_size) / 2)
    bytes.fill(0xff, middle, middle + 64)
    await writeFile(part!.file, bytes)
    const reading = (async () => {
      for await (const batch of readParquetRows(part!.file, 'audit/Audit.General/2026/11/2026-11-20.parquet'))
        expect(batch.length).toBeGreaterThan(0)
    })()
    await expect(reading).rejects.toThrow(
      /audit\/Audit\.General\/2026\/11\/2026-11-20\.parquet on the data branch cannot be read as Parquet, rows 1-\d+ \(.+\); move or delete it/
    )
  })

  it('cuts parts at the size cap, after whole row groups, and each part reads back on its own', async () => {
    const dir = await tempDir()
    const rows = records(3 * ROW_GROUP_ROWS)
    const writer = new ParquetPartWriter(dir, 1)
    for (const row of rows) writer.write(spooled(row))
    const parts = writer.finish()
    // A cap of 1 byte cuts after every group (ROW_GROUP_ROWS rows or ROW_GROUP_BYTES of them).
    expect(parts.length).toBeGreaterThan(3)
    for (const part of parts) {
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(part.file))
      expect(metadata.row_groups.map((group) => Number(group.num_rows))).toEqual([part.rows])
      expect(part.rows).toBeLessThanOrEqual(ROW_GROUP_ROWS)
    }
    let total = 0
    for (const part of parts)
      for await (const batch of readParquetRows(part.file, 'part.parquet')) total += batch.length
    expect(total).toBe(rows.length)
  })

  it('packs a run’s first rows of additions harder than parts, the rest alike, and both read back the same', async () => {
    const rows = records(2 * ADDITION_PACKED_ROWS)
    const write = async (use: 'parts' | 'additions') => {
      const writer = new ParquetPartWriter(await tempDir(), Number.MAX_SAFE_INTEGER, use)
      for (const row of rows) writer.write(spooled(row))
      const [part] = writer.finish()
      const back: string[][] = []
      for await (const batch of readParquetRows(part!.file, 'day.parquet'))
        for (const row of batch) back.push(decodeFieldFrame(row.payload).map((field) => field.toString('utf8')))
      // Each row group: the rows before it, and its compressed bytes.
      let before = 0
      const groups = (await parquetMetadataAsync(await asyncBufferFromFile(part!.file))).row_groups.map((group) => {
        const bytes = group.columns.reduce((sum, column) => sum + Number(column.meta_data!.total_compressed_size), 0)
        const entry = { before, bytes }
        before += Number(group.num_rows)
        return entry
      })
      return { back, groups }
    }
    const [parts, additions] = [await write('parts'), await write('additions')]
    expect(additions.back).toEqual(parts.back)
    expect(additions.back).toHaveLength(rows.length)
    expect(additions.groups.map((group) => group.before)).toEqual(parts.groups.map((group) => group.before))
    const sum = (groups: { before: number; bytes: number }[], first: boolean): number =>
      groups
        .filter((group) => group.before < ADDITION_PACKED_ROWS === first)
        .reduce((total, group) => total + group.bytes, 0)
    expect(sum(additions.groups, true)).toBeLessThan(0.95 * sum(parts.groups, true))
    expect(sum(additions.groups, false)).toBe(sum(parts.groups, false))
  })
})
