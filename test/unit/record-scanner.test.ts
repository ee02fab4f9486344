import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlobFormatError, fieldKeys, scanRecords, valueText } from '../../src/record/record-scanner.js'
import { CSV_FORMAT, encodeBlobRecord } from '../../src/snapshot/format/csv.js'
import { decodeFieldFrame, encodeBlobRecordFrame } from '../../src/snapshot/format/field-frame.js'
import { PARQUET_FORMAT } from '../../src/snapshot/format/parquet.js'
import { convertPayload } from '../../src/snapshot/format/snapshot-format.js'
import { SCANNED_COLUMNS } from '../../src/record/columns.js'
import { startEmulator, type Emulator } from '../emulator/index.js'
import { launch, referenceRow } from './fixtures.js'

const KEYS = fieldKeys(SCANNED_COLUMNS)

/** A random JSON value: nested objects and arrays, escapes, non-ASCII, numbers, literals. */
function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 4 : 7))
  const text = (): string =>
    Array.from(
      { length: Math.floor(random() * 8) },
      () => ['a', '"', '\\', '\n', 'é', '李', '😀', '{', ']', ',', ':', '\u0001'][Math.floor(random() * 12)]
    ).join('')
  switch (pick) {
    case 0:
      return text()
    case 1:
      return Math.round((random() - 0.5) * 1e6) / (random() < 0.5 ? 1 : 1000)
    case 2:
      return [true, false, null][Math.floor(random() * 3)]
    case 3:
      return ''
    case 4:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1))
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [text(), randomValue(random, depth + 1)])
      )
  }
}

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

/** What the scanner must agree with: JSON.parse of the record, field by field, and its CSV escape. */
function expectAgreesWithJsonParse(text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  const parsed = JSON.parse(text) as Record<string, unknown>[]
  const scanned = scanRecords(bytes, KEYS)
  expect(scanned.count).toBe(parsed.length)
  parsed.forEach((expected, index) => {
    const [start, end, escapedStart, escapedEnd] = scanned.bounds.subarray(4 * index, 4 * index + 4)
    const own = bytes.toString('utf8', start, end)
    expect(JSON.parse(own)).toEqual(expected)
    expect(scanned.escaped.toString('utf8', escapedStart, escapedEnd)).toBe(own.replaceAll('"', '""'))
    SCANNED_COLUMNS.forEach((column, field) => {
      const base = 2 * KEYS.keys.length * index
      const value = expected[column]
      const text = valueText(bytes, scanned.spans[base + 2 * field]!, scanned.spans[base + 2 * field + 1]!)
      if (value === undefined || value === null) expect(text, column).toBeUndefined()
      else if (typeof value === 'string') expect(text, column).toBe(value)
      else expect(JSON.parse(text ?? 'null'), column).toEqual(value)
    })
  })
}

describe('reading content blobs without JSON.parse', () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 12 })
  })
  afterAll(() => emulator.close())

  it('finds every record and field of generated blobs, as JSON.parse reads them', () => {
    const now = Date.now()
    emulator.generate({
      contentTypes: ['Audit.General', 'Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'DLP.All'],
      from: new Date(now - 6 * 3_600_000),
      to: new Date(now),
      blobsPerHour: 2
    })
    for (const blob of emulator.blobs()) expectAgreesWithJsonParse(JSON.stringify(blob.records))
    // More records than the first allocation holds.
    expectAgreesWithJsonParse(
      JSON.stringify(Array.from({ length: 150 }, (_, index) => ({ ...launch, Id: `id-${index}` })))
    )
  })

  it('agrees with JSON.parse on random records, with the wanted fields holding any kind of value, compact or spaced out', () => {
    const random = seeded(42)
    for (let trial = 0; trial < 300; trial++) {
      const records = Array.from({ length: Math.floor(random() * 4) }, () => {
        const record: Record<string, unknown> = {}
        for (const column of SCANNED_COLUMNS)
          if (random() < 0.7) record[random() < 0.1 ? `${column}x` : column] = randomValue(random, 1)
        Object.assign(record, randomValue(random, 3) as object)
        return record
      })
      expectAgreesWithJsonParse(JSON.stringify(records))
      expectAgreesWithJsonParse(JSON.stringify(records, null, trial % 3))
    }
  })

  it('copies long strings a block at a time and stops at a quote or a backslash in any byte of a block, wherever the blob starts in memory', () => {
    const specials = [',', '"', '\\', '\n', 'é', '😀', '\u0000', '\u00ff']
    const records: Record<string, unknown>[] = []
    // Two blocks of 16 bytes and some: a special at every place of either block.
    for (let length = 0; length <= 35; length++)
      for (let place = 0; place < Math.max(length, 1); place++)
        for (const special of specials) {
          const text = 'x'.repeat(length).split('')
          if (length > 0) text[place] = special
          const value = text.join('')
          records.push({
            Id: value,
            [`k${value}`]: [value, { [value]: value }],
            Operation: value.repeat(3),
            UserId: `${value}"${value}`
          })
        }
    const text = JSON.stringify(records)
    expectAgreesWithJsonParse(text)
    // The columns are copied a word at a time too, and quoted or decoded when they must be.
    const bytes = Buffer.from(text, 'utf8')
    const scanned = scanRecords(bytes, KEYS)
    const lines = records.map((_, index) =>
      (parse(encodeBlobRecord(bytes, scanned, index, 'the-id', '2026-11-20T01:02:03Z')) as string[][])[0]!.slice(0, -1)
    )
    expect(lines).toEqual(records.map((record) => referenceRow(record, '2026-11-20T01:02:03Z', 'the-id').slice(0, -1)))
    const frames = records.map((_, index) =>
      decodeFieldFrame(Buffer.from(encodeBlobRecordFrame(bytes, scanned, index, 'the-id', '2026-11-20T01:02:03Z')))
        .map((field) => field.toString('utf8'))
        .slice(0, -1)
    )
    expect(frames).toEqual(lines)
    // Blobs arrive as views into larger buffers, at any alignment.
    for (let shift = 1; shift < 8; shift++) {
      const padded = Buffer.alloc(shift + Buffer.byteLength(text) + shift, 0x22)
      padded.write(text, shift, 'utf8')
      const view = padded.subarray(shift, padded.length - shift)
      const scanned = scanRecords(view, KEYS)
      expect(scanned.count).toBe(records.length)
      const read = records.map((_, index) => {
        const [start, end, escapedStart, escapedEnd] = scanned.bounds.subarray(4 * index, 4 * index + 4)
        const own = view.toString('utf8', start, end)
        return {
          record: JSON.parse(own) as unknown,
          escapedRight: scanned.escaped.toString('utf8', escapedStart, escapedEnd) === own.replaceAll('"', '""')
        }
      })
      expect(read).toEqual(records.map((record) => ({ record, escapedRight: true })))
    }
  })

  it('reads blobs of any number of records and any size, one after another, each whole', () => {
    // More records than a scan first has room for (it scans again with more), tiny ones...
    const tiny = Array.from({ length: 5000 }, (_, index) => (index % 3 === 0 ? {} : { Id: `i${index}` }))
    // ...then a blob larger than the memory so far, then small ones again.
    const large = Array.from({ length: 800 }, (_, index) => ({
      ...launch,
      Id: `large-${index}`,
      Padding: 'é"'.repeat(1500 + (index % 17))
    }))
    const small = [{ ...launch, Id: 'small' }]
    for (const records of [small, tiny, large, small, tiny]) expectAgreesWithJsonParse(JSON.stringify(records))
  })

  it('tells a cut-off download from bytes that are not an array of records', () => {
    const text = JSON.stringify([launch, launch])
    for (let cut = 0; cut < text.length - 1; cut++) {
      const error = (() => {
        try {
          scanRecords(Buffer.from(text.slice(0, cut)), KEYS)
        } catch (caught) {
          return caught
        }
      })()
      expect(error, `cut at ${cut}`).toBeInstanceOf(BlobFormatError)
      expect((error as BlobFormatError).truncated, `cut at ${cut}`).toBe(true)
    }
    for (const body of ['{"error":{"code":"AF50000"}}', '[1,2]', '[{"a":1}] x', '[{"a":1}{"b":2}]', 'null']) {
      expect(() => scanRecords(Buffer.from(body), KEYS), body).toThrow(BlobFormatError)
      try {
        scanRecords(Buffer.from(body), KEYS)
      } catch (error) {
        expect((error as BlobFormatError).truncated, body).toBe(false)
      }
    }
    expect(scanRecords(Buffer.from(' [ ] '), KEYS).count).toBe(0)
  })

  it('writes the CSV line and the field frame of a record from its bytes: the same columns as from the parsed record, AuditData exactly as served', () => {
    const served = `[${JSON.stringify(launch)}, {"Id":"X-1","CreationTime":"2026-11-20T01:02:03","ObjectId":"a,\\"b\\"\\nc","UserType":7,"ClientIP":null,"RecordType":{"n":[1,"2"]},"Extra":"\\u00e9"}]`
    const bytes = Buffer.from(served, 'utf8')
    const parsed = JSON.parse(served) as Record<string, unknown>[]
    const records = scanRecords(bytes, KEYS)
    expect(records.count).toBe(2)
    parsed.forEach((record, index) => {
      const line = encodeBlobRecord(bytes, records, index, 'the-id', '2026-11-20T01:02:03Z')
      const [fields] = parse(line) as string[][]
      const expected = referenceRow(record, '2026-11-20T01:02:03Z', 'the-id')
      expect(fields!.slice(0, -1)).toEqual(expected.slice(0, -1))
      expect(fields!.at(-1)).toBe(bytes.toString('utf8', records.bounds[4 * index], records.bounds[4 * index + 1]))
      // The same record as a field frame (Parquet's payload): the same fields, unquoted.
      const frame = Buffer.from(encodeBlobRecordFrame(bytes, records, index, 'the-id', '2026-11-20T01:02:03Z'))
      expect(decodeFieldFrame(frame).map((field) => field.toString('utf8'))).toEqual(fields)
      expect(convertPayload(frame, PARQUET_FORMAT, CSV_FORMAT).equals(line)).toBe(true)
      expect(convertPayload(line, CSV_FORMAT, PARQUET_FORMAT).equals(frame)).toBe(true)
    })
  })
})
