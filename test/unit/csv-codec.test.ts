import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { CSV_HEADER, encodeCsvRow, readCsvRows } from '../../src/snapshot/format/csv.js'
import { SNAPSHOT_COLUMNS } from '../../src/record/columns.js'
import type { KeyedRow } from '../../src/record/keyed-row.js'
import { launch, referenceRow } from './fixtures.js'

const rows = [
  referenceRow({ ...launch, Id: 'a', CreationTime: '2026-11-20T09:00:00' }, '2026-11-20T09:00:00Z'),
  referenceRow(
    { Id: 'b,"odd"', CreationTime: '2026-11-20T10:00:00', ObjectId: 'a\nb', UserId: 'c\rd' },
    '2026-11-20T10:00:00Z'
  ),
  referenceRow({ ...launch, Id: 'c' }, '2026-11-20T23:59:59Z')
]
const file = Buffer.concat([CSV_HEADER, ...rows.map(encodeCsvRow)])

async function* chunked(bytes: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length;) {
    const size = Math.max(1, sizes())
    yield bytes.subarray(at, at + size)
    at += size
  }
}

async function readAll(chunks: AsyncIterable<Buffer>, path = 'f.csv'): Promise<KeyedRow[]> {
  const out: KeyedRow[] = []
  // A batch's bytes are good until the next batch is asked for: keep copies.
  for await (const batch of readCsvRows(chunks, path))
    out.push(...batch.map((row) => ({ ...row, payload: Buffer.from(row.payload) })))
  return out
}

describe('CSV day files', () => {
  it('writes RFC 4180 (CRLF, quotes where needed) that csv-parse reads back field for field', () => {
    expect(file.subarray(0, CSV_HEADER.length).toString()).toBe(`${SNAPSHOT_COLUMNS.join(',')}\r\n`)
    expect(parse(file, { bom: true })).toEqual([[...SNAPSHOT_COLUMNS], ...rows])
  })

  it('quotes a value holding a lone LF or CR, which RFC 4180 readers such as DuckDB would split on', () => {
    const line = encodeCsvRow(rows[1]!).toString()
    expect(line).toContain(',"a\nb",')
    expect(line).toContain(',"c\rd",')
    expect(line.startsWith('"b,""odd""",')).toBe(true)
  })

  it('quotes every field exactly when it needs it, the last one too, for any text', () => {
    const alphabet = ['a', 'é', '李', '"', ',', '\r', '\n', '\r\n', ' ', '{', '\\', '😀']
    let seed = 7
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (let trial = 0; trial < 300; trial++) {
      const row = Array.from({ length: SNAPSHOT_COLUMNS.length }, () =>
        Array.from({ length: random(6) }, () => alphabet[random(alphabet.length)]).join('')
      )
      const line = encodeCsvRow(row)
      expect(parse(line)).toEqual([row])
      const quoted = line.toString().endsWith('"\r\n')
      expect(quoted, JSON.stringify(row.at(-1))).toBe(/[",\r\n]/.test(row.at(-1) ?? ''))
    }
    expect(encodeCsvRow(['a', 'plain']).toString()).toBe('a,plain\r\n')
    expect(encodeCsvRow(['a', 'x,y']).toString()).toBe('a,"x,y"\r\n')
  })

  it('splits a file into rows with their exact bytes, Id and time, wherever the chunks break', async () => {
    const expected = rows.map((row) => ({ id: row[0], time: row[1], payload: encodeCsvRow(row) }))
    for (const sizes of [() => file.length, () => 1, () => 7, () => Math.floor(Math.random() * 300)]) {
      const read = await readAll(chunked(file, sizes))
      expect(read.map((row) => ({ id: row.id, time: row.time, payload: Buffer.from(row.payload) }))).toEqual(expected)
    }
    expect(await readAll(chunked(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), file]), () => 5))).toHaveLength(3)
  })

  it('finds where rows end with quotes, CRs and LFs at any byte of a word, in long fields too', async () => {
    const alphabet = ['a', 'é', '"', ',', '\r', '\n', '\r\n', '""', 'xxxxxxx']
    let seed = 11
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    const many = Array.from({ length: 400 }, (_, index) => {
      const row = Array.from({ length: SNAPSHOT_COLUMNS.length }, () =>
        Array.from({ length: random(24) }, () => alphabet[random(alphabet.length)]).join('')
      )
      row[0] = `id-${index}`
      row[1] = '2026-11-20T10:00:00Z'
      return row
    })
    const bytes = Buffer.concat([CSV_HEADER, ...many.map(encodeCsvRow)])
    for (const sizes of [() => bytes.length, () => 1 + random(50), () => 1 + random(5000)]) {
      const read = await readAll(chunked(bytes, sizes))
      expect(read.map((row) => row.payload.toString())).toEqual(many.map((row) => encodeCsvRow(row).toString()))
    }
  })

  it('refuses a file that is not ours, or that ends inside a row, naming it', async () => {
    await expect(
      readAll(
        chunked(Buffer.from('a,b\r\n1,2\r\n'), () => 100),
        'audit/x.csv'
      )
    ).rejects.toThrow(/audit\/x\.csv.*expected header/)
    await expect(
      readAll(
        chunked(file.subarray(0, file.length - 10), () => 100),
        'audit/y.csv'
      )
    ).rejects.toThrow(/audit\/y\.csv.*ends inside a row/)
    expect(await readAll(chunked(Buffer.alloc(0), () => 1))).toEqual([])
  })
})
