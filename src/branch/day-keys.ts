import { hash } from 'node:crypto'
import { endianness } from 'node:os'

/**
 * The keys of a day's records, for a run that adds rows to a day without reading its files:
 * a record is the day's already when its key is among the day's keys. Copies of a record
 * share its Id and its CreationTime, hence its day. A key is the first 8 bytes of the SHA-256
 * of the record's Id (lower-cased, as rows carry it): with a million records a day on both
 * sides, about one record in 10^13 would be taken for a copy it is not.
 *
 * A key file (state/keys/…, one per day file of a day that is not settled yet) holds its
 * records' keys, sorted, 8 bytes each, big-endian, written as one line of base64 text: a run
 * reads every key file of the days it adds to, and GitHub hands out text files many at a
 * time (see readBlobs in src/github/git-database.ts), binary files one request each.
 */
const KEY_BYTES = 8

/** The key of a record, by the Id its row carries. */
export function recordKey(id: string): bigint {
  // A hex digest and BigInt's parse cost a third of a Buffer digest read as a BigInt: each
  // Buffer is an allocation (docs/benchmarks.md, "Why the code is the way it is").
  return BigInt(`0x${hash('sha256', id, 'hex').slice(0, 2 * KEY_BYTES)}`)
}

/**
 * The keys of rows as they are written, in order, into files cut as the writer cuts them:
 * `files` splits them by the files' row counts into one key file each.
 */
export class KeyLog {
  private keys = new BigUint64Array(1024)
  private count = 0

  add(key: bigint): void {
    if (this.count === this.keys.length) {
      const larger = new BigUint64Array(2 * this.keys.length)
      larger.set(this.keys)
      this.keys = larger
    }
    this.keys[this.count++] = key
  }

  /** The key files of files holding `rows[0]`, `rows[1]`, … of the rows added, in order. */
  files(rows: readonly number[]): Buffer[] {
    const total = rows.reduce((sum, count) => sum + count, 0)
    if (total !== this.count) throw new Error(`${this.count} keys were logged for files of ${total} rows`)
    let at = 0
    return rows.map((count) => {
      const file = encodeKeys(this.keys.slice(at, at + count).sort())
      at += count
      return file
    })
  }
}

/** The keys of a whole day, from its key files: answers whether a record is the day's already. */
export class DayKeys {
  private readonly sorted: BigUint64Array

  constructor(keyFiles: readonly Buffer[]) {
    const decoded = keyFiles.map(decodeKeys)
    this.sorted = new BigUint64Array(decoded.reduce((sum, keys) => sum + keys.length, 0))
    let at = 0
    for (const keys of decoded) {
      this.sorted.set(keys, at)
      at += keys.length
    }
    this.sorted.sort()
  }

  /** How many records the day holds. */
  get size(): number {
    return this.sorted.length
  }

  /** Whether the day holds a record with this key (recordKey of its Id). */
  has(key: bigint): boolean {
    const keys = this.sorted
    let low = 0
    let high = keys.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const found = keys[middle]!
      if (found === key) return true
      if (found < key) low = middle + 1
      else high = middle - 1
    }
    return false
  }
}

const LITTLE_ENDIAN = endianness() === 'LE'

/** A key file of keys the caller no longer needs: their bytes are swapped to big-endian in place. */
function encodeKeys(keys: BigUint64Array): Buffer {
  const bytes = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength)
  if (LITTLE_ENDIAN) bytes.swap64()
  return Buffer.from(`${bytes.toString('base64')}\n`, 'latin1')
}

/** A key file's keys as numbers; the file's big-endian bytes are swapped into an array of them. */
function decodeKeys(file: Buffer): BigUint64Array {
  const text = file.toString('latin1').replace(/\n$/, '')
  // The decoder skips characters that are not base64: fewer bytes than the text's length promises.
  const bytes = Buffer.from(text, 'base64')
  if (
    bytes.length !== Buffer.byteLength(text, 'base64') ||
    bytes.length % KEY_BYTES !== 0 ||
    /[^A-Za-z0-9+/=]/.test(text)
  )
    throw new Error(`a key file of ${file.length} bytes is not a base64 line of ${KEY_BYTES}-byte keys`)
  const keys = new BigUint64Array(bytes.length / KEY_BYTES)
  const view = Buffer.from(keys.buffer)
  bytes.copy(view)
  if (LITTLE_ENDIAN) view.swap64()
  return keys
}
