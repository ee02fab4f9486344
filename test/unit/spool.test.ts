import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { mergeSorted } from '../../src/snapshot/sorted-merge.js'
import { Spool } from '../../src/snapshot/spool.js'
import type { KeyedRow } from '../../src/record/keyed-row.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-spool-test-'))
  dirs.push(dir)
  return dir
}

const row = (second: number, id: string, payload = `${id} at ${second}`): KeyedRow => ({
  time: `2026-11-20T10:00:${String(second).padStart(2, '0')}Z`,
  id,
  payload: Buffer.from(payload)
})

async function all(batches: AsyncIterable<KeyedRow[]>): Promise<string[]> {
  const out: string[] = []
  for await (const batch of batches)
    for (const entry of batch) out.push(`${entry.time.slice(17, 19)} ${entry.id} ${entry.payload.toString()}`)
  return out
}

async function* batches(...groups: KeyedRow[][]): AsyncGenerator<KeyedRow[]> {
  for (const group of groups) yield group
}

describe('merging sorted rows', () => {
  it('orders by time then Id, keeps one row per key, and lets an earlier source win', async () => {
    const existing = batches([row(1, 'a', 'old a'), row(3, 'c', 'old c')])
    const incoming = batches([row(1, 'a', 'new a'), row(2, 'b')], [row(3, 'c', 'new c'), row(4, 'd')])
    const kept: number[] = []
    expect(await all(mergeSorted([existing, incoming], { onKept: (source) => kept.push(source) }))).toEqual([
      '01 a old a',
      '02 b b at 2',
      '03 c old c',
      '04 d d at 4'
    ])
    expect(kept).toEqual([0, 1, 0, 1])
  })

  it('keeps the same copy of a record whichever order the copies arrive in', async () => {
    const copies = [row(5, 'x', '{"b":1,"a":2}'), row(5, 'x', '{"a":2,"b":1}')]
    const one = await all(mergeSorted([batches([copies[0]!]), batches([copies[1]!])], { rank: () => 0 }))
    const two = await all(mergeSorted([batches([copies[1]!]), batches([copies[0]!])], { rank: () => 0 }))
    expect(one).toEqual(['05 x {"a":2,"b":1}'])
    expect(two).toEqual(one)
  })

  it('hands on rows before asking a source for its next batch, so that a source may reuse its memory', async () => {
    // Each source overwrites its previous batch's bytes when asked for the next, as run files do.
    async function* reusing(groups: KeyedRow[][]): AsyncGenerator<KeyedRow[]> {
      let previous: KeyedRow[] = []
      for (const group of groups) {
        for (const stale of previous) stale.payload.fill(0x21)
        previous = group
        yield group
      }
      for (const stale of previous) stale.payload.fill(0x21)
    }
    const groups = (offset: number): KeyedRow[][] =>
      Array.from({ length: 20 }, (_, batch) =>
        Array.from({ length: 3 }, (_, at) =>
          row((batch * 3 + at) % 60, `id${(batch * 3 + at + offset) % 7}`, `p${batch}-${at}-${offset}`)
        )
      )
    const plain = await all(
      mergeSorted([batches(...groups(0)), batches(...groups(1)), batches(...groups(2))], {
        rank: () => 0,
        batchRows: 4
      })
    )
    const reused = await all(
      mergeSorted([reusing(groups(0)), reusing(groups(1)), reusing(groups(2))], { rank: () => 0, batchRows: 4 })
    )
    expect(reused).toEqual(plain)
    expect(plain.length).toBeGreaterThan(50)
    expect(reused.join('\n')).not.toContain('!')
  })

  it('hands copies across batch boundaries to the same decision', async () => {
    const sources = [batches([row(1, 'a', 'zz')]), batches([row(1, 'a', 'aa'), row(2, 'b')])]
    expect(await all(mergeSorted(sources, { rank: () => 0, batchRows: 1 }))).toEqual(['01 a aa', '02 b b at 2'])
  })
  it('closes every source however it ends: a source failing, or the reader stopping early', async () => {
    const closed: string[] = []
    async function* source(name: string, fail = false): AsyncGenerator<KeyedRow[]> {
      try {
        yield [row(1, `${name}1`)]
        if (fail) throw new Error(`${name} does not read`)
        yield [row(3, `${name}3`)]
      } finally {
        closed.push(name)
      }
    }
    await expect(all(mergeSorted([source('a'), source('b', true)], { batchRows: 1 }))).rejects.toThrow(
      'b does not read'
    )
    expect(closed.sort()).toEqual(['a', 'b'])

    closed.length = 0
    for await (const _batch of mergeSorted([source('c'), source('d')], { batchRows: 1 })) break
    expect(closed.sort()).toEqual(['c', 'd'])
  })
})

describe('the spool', () => {
  it('sorts a day of rows by time to the second, then by Id, in memory and in run files alike', async () => {
    const dir = await tempDir()
    let seed = 7
    const random = (below: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % below
    const two = (value: number): string => String(value).padStart(2, '0')
    // Few distinct seconds, so that many rows share one and are told apart by Id alone.
    const rows = Array.from({ length: 3000 }, () => {
      const time = `2026-11-20T${two(random(24))}:${two(random(2) * 59)}:${two(random(3) * 29)}Z`
      return { time, id: `${['a', 'B', 'é', '李', '0'][random(5)]}${random(400)}`, payload: Buffer.from('x') }
    })
    const expected = [...new Set(rows.map((entry) => `${entry.time} ${entry.id}`))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0
    )
    for (const budget of [1_000_000_000, 20_000]) {
      const spool = await Spool.create(join(dir, `spool-${budget}`), budget)
      for (const entry of rows) {
        spool.add('Audit.General', '2026-11-20', entry)
        await spool.spillIfFull()
      }
      const read: string[] = []
      for await (const batch of spool.read('Audit.General', '2026-11-20'))
        for (const entry of batch) read.push(`${entry.time} ${entry.id}`)
      expect(read).toEqual(expected)
      await spool.remove()
    }
  })

  it('spills to sorted run files beyond its memory budget and reads each day back sorted and without copies', async () => {
    const dir = await tempDir()
    const spool = await Spool.create(join(dir, 'spool'), 1_000)
    const seconds = [9, 3, 7, 1, 5, 3, 8, 2, 6, 4, 0, 9]
    for (const [index, second] of seconds.entries()) {
      spool.add('Audit.General', '2026-11-20', row(second, `id${second}`))
      if (index % 3 === 2) await spool.spillIfFull()
      spool.add('Audit.SharePoint', '2026-11-21', row(second, `sp${second}`))
    }
    await spool.spillIfFull()
    expect((await readdir(join(dir, 'spool'))).length).toBeGreaterThan(1)
    expect(spool.rows).toBe(24)
    expect(spool.entries()).toEqual([
      { type: 'Audit.General', day: '2026-11-20', rows: 12, firstTime: '2026-11-20T10:00:00Z' },
      { type: 'Audit.SharePoint', day: '2026-11-21', rows: 12, firstTime: '2026-11-20T10:00:00Z' }
    ])
    const expected = Array.from({ length: 10 }, (_, second) => `0${second} id${second} id${second} at ${second}`)
    expect(await all(spool.read('Audit.General', '2026-11-20'))).toEqual(expected)
    // A commit rebuilt on a moved branch reads the same rows again.
    expect(await all(spool.read('Audit.General', '2026-11-20'))).toEqual(expected)
    expect(await all(spool.read('Audit.Exchange', '2026-11-20'))).toEqual([])

    await spool.remove()
    expect(await readdir(dir)).toEqual([])
  })

  it('absorbs another spool whole (its run files moved, its buffered rows spilled), leaving it empty', async () => {
    const dir = await tempDir()
    const spool = await Spool.create(join(dir, 'spool'), 1_000)
    const window = await Spool.create(join(dir, 'window'), 1_000)
    for (const second of [5, 1, 3]) spool.add('Audit.General', '2026-11-20', row(second, `a${second}`))
    for (const second of [4, 0, 2, 1]) window.add('Audit.General', '2026-11-20', row(second, `b${second}`))
    await window.spill()
    window.add('Audit.General', '2026-11-20', row(6, 'b6'))
    window.add('Audit.Exchange', '2026-11-21', row(9, 'x9'))
    await spool.absorb(window)
    expect(window.rows).toBe(0)
    expect(await readdir(join(dir, 'window'))).toEqual([])
    expect(spool.entries()).toEqual([
      { type: 'Audit.Exchange', day: '2026-11-21', rows: 1, firstTime: '2026-11-20T10:00:09Z' },
      { type: 'Audit.General', day: '2026-11-20', rows: 8, firstTime: '2026-11-20T10:00:00Z' }
    ])
    expect((await all(spool.read('Audit.General', '2026-11-20'))).map((line) => line.split(' ')[1])).toEqual([
      'b0',
      'a1',
      'b1',
      'b2',
      'a3',
      'b4',
      'a5',
      'b6'
    ])
    expect(await all(spool.read('Audit.Exchange', '2026-11-21'))).toEqual(['09 x9 x9 at 9'])
    await window.remove()
    await spool.remove()
    expect(await readdir(dir)).toEqual([])
  })

  it('loses no row that arrives while a spill is being written (downloads go on meanwhile)', async () => {
    const spool = await Spool.create(join(await tempDir(), 'spool'), 2_000)
    const writes: Promise<void>[] = []
    for (let second = 0; second < 60; second++) {
      spool.add('Audit.General', '2026-11-20', row(second, `id${String(second).padStart(2, '0')}`, 'x'.repeat(100)))
      // Spills started but not awaited, as concurrent downloads do.
      writes.push(spool.spillIfFull())
    }
    await Promise.all(writes)
    const read = await all(spool.read('Audit.General', '2026-11-20'))
    expect(read).toHaveLength(60)
    expect(read.map((line) => line.split(' ')[1])).toEqual(
      Array.from({ length: 60 }, (_, second) => `id${String(second).padStart(2, '0')}`)
    )
    await spool.remove()
  })

  it('reads back megabytes of rows through its reused buffers exactly, a row larger than a read among them', async () => {
    const spool = await Spool.create(join(await tempDir(), 'spool'), 1_500_000)
    const payloadOf = (index: number): Buffer =>
      Buffer.from(
        `${index}:`.padEnd(index === 777 ? 700_000 : 200 + (index % 1_000), String.fromCharCode(97 + (index % 26)))
      )
    const expected: string[] = []
    for (let index = 0; index < 12_000; index++) {
      const second = (index * 7919) % 60
      spool.add(
        'Audit.General',
        '2026-11-20',
        row(second, `id${String(index).padStart(5, '0')}`, payloadOf(index).toString())
      )
      expected.push(`${String(second).padStart(2, '0')} id${String(index).padStart(5, '0')}`)
      if (index % 100 === 99) await spool.spillIfFull()
    }
    const read: string[] = []
    let payloadsIntact = true
    for await (const batch of spool.read('Audit.General', '2026-11-20')) {
      for (const entry of batch) {
        read.push(`${entry.time.slice(17, 19)} ${entry.id}`)
        if (!entry.payload.equals(payloadOf(Number(entry.id.slice(2))))) payloadsIntact = false
      }
    }
    expect(read).toEqual(expected.sort())
    expect(payloadsIntact).toBe(true)
    await spool.remove()
  })

  it('carries binary payloads and non-ASCII Ids through run files unchanged', async () => {
    const spool = await Spool.create(join(await tempDir(), 'spool'), 0)
    const payload = Buffer.from([0, 255, 13, 10, 34, 44, 0xe6, 0x9d, 0x8e])
    spool.add('Audit.General', '2026-11-20', { time: '2026-11-20T00:00:00Z', id: 'ñandú-李', payload })
    await spool.spillIfFull()
    const read: KeyedRow[] = []
    for await (const batch of spool.read('Audit.General', '2026-11-20')) read.push(...batch)
    expect(read.map((entry) => entry.id)).toEqual(['ñandú-李'])
    expect(Buffer.from(read[0]!.payload).equals(payload)).toBe(true)
    await spool.remove()
  })
})
