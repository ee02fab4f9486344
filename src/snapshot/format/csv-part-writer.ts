import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { KeyedRow } from '../../record/keyed-row.js'
import type { PartWriter, WrittenPart } from './snapshot-format.js'

const CHUNK_BYTES = 1024 * 1024

/**
 * Writes sorted rows into consecutive part files of at most `maxBytes` each (a row larger
 * than that gets a part of its own), each starting with `header`. Filling parts in row order
 * keeps the split a function of the rows alone: the same records always give the same parts.
 */
export class CsvPartWriter implements PartWriter {
  private readonly parts: WrittenPart[] = []
  private current:
    { fd: number; file: string; bytes: number; rows: number; sha256: Hash; first: string; last: string } | undefined
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  private used = 0

  constructor(
    private readonly dir: string,
    private readonly header: Buffer,
    private readonly maxBytes: number
  ) {}

  write(row: KeyedRow): void {
    const size = row.payload.byteLength
    if (this.current && this.current.rows > 0 && this.current.bytes + size > this.maxBytes) this.closePart()
    const part = this.current ?? this.openPart()
    this.append(part, row.payload)
    part.rows++
    if (part.rows === 1) part.first = row.time
    part.last = row.time
  }

  /** Closes the last part and returns every part written, in order. */
  finish(): WrittenPart[] {
    if (this.current) this.closePart()
    return this.parts
  }

  private openPart(): NonNullable<CsvPartWriter['current']> {
    const file = join(this.dir, `part-${this.parts.length + 1}`)
    const part = { fd: openSync(file, 'w'), file, bytes: 0, rows: 0, sha256: createHash('sha256'), first: '', last: '' }
    this.current = part
    this.append(part, this.header)
    return part
  }

  private append(part: NonNullable<CsvPartWriter['current']>, bytes: Buffer): void {
    part.bytes += bytes.byteLength
    if (this.used + bytes.byteLength > this.chunk.length) this.flush(part)
    if (bytes.byteLength > this.chunk.length) {
      part.sha256.update(bytes)
      writeSync(part.fd, bytes)
      return
    }
    this.used += bytes.copy(this.chunk, this.used)
  }

  /** Writes the chunk out, hashing it on the way: a hash call per chunk, not per row. */
  private flush(part: NonNullable<CsvPartWriter['current']>): void {
    if (this.used > 0) {
      const filled = this.chunk.subarray(0, this.used)
      part.sha256.update(filled)
      writeSync(part.fd, filled)
    }
    this.used = 0
  }

  private closePart(): void {
    const part = this.current
    if (!part) return
    this.flush(part)
    closeSync(part.fd)
    this.current = undefined
    this.parts.push({
      file: part.file,
      bytes: part.bytes,
      rows: part.rows,
      sha256: part.sha256.digest('hex'),
      firstCreationTime: part.first,
      lastCreationTime: part.last
    })
  }
}
