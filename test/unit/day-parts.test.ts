import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterEach, describe, expect, it } from 'vitest'
import type { BranchFiles, FileChanges } from '../../src/branch/branch-files.js'
import { buildCommit } from '../../src/commit/build-commit.js'
import type { CommitReport } from '../../src/commit/commit-report.js'
import { CSV_FORMAT, CSV_HEADER, encodeCsvRow } from '../../src/snapshot/format/csv.js'
import { powerAppsUsageObserver } from '../../src/usage/power-apps-observer.js'
import { SETTLE_AFTER_MS } from '../../src/commit/day-plan.js'
import { keyFilePath } from '../../src/branch/paths.js'
import { PARQUET_FORMAT, readParquetRows } from '../../src/snapshot/format/parquet.js'
import { convertPayload, type SnapshotFormat } from '../../src/snapshot/format/snapshot-format.js'
import { DAY_MS } from '../../src/util/duration.js'
import { dayFilePath, dayFilePaths, findDayFiles, MANIFEST_PATH } from '../../src/branch/paths.js'
import type { SnapshotRow } from '../../src/record/columns.js'
import { Spool } from '../../src/snapshot/spool.js'
import { parseManifest } from '../../src/branch/manifest.js'
import { memoryTip, referenceRow } from './fixtures.js'

const DAY = '2026-11-20'
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

function rows(count: number, from = 0): SnapshotRow[] {
  return Array.from({ length: count }, (_, index) => {
    const n = from + index
    const second = String(n % 60).padStart(2, '0')
    const minute = String(Math.floor(n / 60) % 60).padStart(2, '0')
    const time = `${DAY}T10:${minute}:${second}`
    return referenceRow(
      {
        Id: `id-${String(n).padStart(5, '0')}`,
        CreationTime: time,
        Operation: 'LaunchPowerApp',
        Note: `row ${n}, "quoted"\nline`
      },
      `${time}Z`
    )
  })
}

const fileOf = (day: SnapshotRow[]): Buffer => Buffer.concat([CSV_HEADER, ...day.map(encodeCsvRow)])
const readRows = (bytes: Buffer | undefined): string[][] => (parse(bytes ?? Buffer.alloc(0)) as string[][]).slice(1)

/** A branch tip's day files are streamed in small chunks, as a download arrives. */
const CHUNK = 997

/** Merges `batch` into the branch tip, spilling the spool often and in reverse order, as a real run might. */
async function buildWith(
  files: BranchFiles,
  batch: SnapshotRow[],
  maxFileBytes: number,
  usage = true,
  settled = true,
  format: SnapshotFormat = CSV_FORMAT
): Promise<{ changes: FileChanges | undefined; report: CommitReport }> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-day-parts-'))
  dirs.push(dir)
  const spool = await Spool.create(join(dir, 'spool'), 4_096)
  for (const row of [...batch].reverse()) {
    spool.add('Audit.General', DAY, {
      id: row[0]!,
      time: row[1]!,
      payload: convertPayload(encodeCsvRow(row), CSV_FORMAT, format)
    })
    await spool.spillIfFull()
  }
  let report: CommitReport | undefined
  const observers = usage ? [powerAppsUsageObserver()] : []
  const changes = await buildCommit(
    files,
    {
      updates: [],
      spool,
      dir: join(dir, 'build'),
      branch: 'audit-data',
      format,
      observers,
      now: new Date(`${DAY}T12:00:00Z`),
      // The day is settled (its rows are merged into its parts) unless a test says otherwise.
      settleAfterMs: settled ? -DAY_MS : SETTLE_AFTER_MS,
      coverageSlackMs: 0,
      maxFileBytes
    },
    (built) => (report = built)
  )
  if (!report) throw new Error('expected a report')
  return { changes, report }
}

const build = (branch: Map<string, Buffer>, batch: SnapshotRow[], maxFileBytes: number) =>
  buildWith(memoryTip(branch, CHUNK), batch, maxFileBytes)

/** Applies changes to the in-memory branch, reading staged files from disk. */
function apply(branch: Map<string, Buffer>, changes: FileChanges | undefined): void {
  for (const [path, content] of changes?.files ?? []) {
    if (content === null) branch.delete(path)
    else if (typeof content === 'string') branch.set(path, Buffer.from(content))
    else if (Buffer.isBuffer(content)) branch.set(path, content)
    else branch.set(path, readFileSync(content.file))
  }
}

const dayPaths = (branch: Map<string, Buffer>): string[] => findDayFiles(branch.keys(), 'Audit.General', DAY, 'csv')

describe('day file paths', () => {
  it('names the single file and numbered parts', () => {
    expect(dayFilePath('Audit.General', DAY, 'csv')).toBe('audit/Audit.General/2026/11/2026-11-20.csv')
    expect(dayFilePaths('Audit.General', DAY, 'csv', 1)).toEqual(['audit/Audit.General/2026/11/2026-11-20.csv'])
    expect(dayFilePaths('Audit.General', DAY, 'csv', 3)).toEqual([
      'audit/Audit.General/2026/11/2026-11-20.1.csv',
      'audit/Audit.General/2026/11/2026-11-20.2.csv',
      'audit/Audit.General/2026/11/2026-11-20.3.csv'
    ])
  })

  it('finds every file of a day, whatever layout is there, single first then parts in number order', () => {
    const base = 'audit/Audit.General/2026/11/'
    const branch = [
      `${base}2026-11-20.10.csv`,
      `${base}2026-11-20.2.csv`,
      `${base}2026-11-20.csv`,
      `${base}2026-11-20.1.csv`,
      `${base}2026-11-21.csv`,
      `${base}2026-11-20.0.csv`,
      `${base}2026-11-20.x.csv`,
      `${base}2026-11-20.1.csv.bak`,
      'audit/Audit.SharePoint/2026/11/2026-11-20.csv',
      'manifest.json'
    ]
    expect(findDayFiles(branch, 'Audit.General', DAY, 'csv')).toEqual([
      `${base}2026-11-20.csv`,
      `${base}2026-11-20.1.csv`,
      `${base}2026-11-20.2.csv`,
      `${base}2026-11-20.10.csv`
    ])
    expect(findDayFiles(branch, 'Audit.Exchange', DAY, 'csv')).toEqual([])
  })
})

describe('merging new rows into a settled day (its canonical parts)', () => {
  const single = dayFilePath('Audit.General', DAY, 'csv')
  const cap = fileOf(rows(100)).byteLength + 100

  it('keeps one file while the day fits, sorted, every record once, whatever order they arrived in', async () => {
    const branch = new Map<string, Buffer>()
    const { report, changes } = await build(branch, [...rows(50), ...rows(20, 10)], cap)
    apply(branch, changes)
    expect(dayPaths(branch)).toEqual([single])
    expect(branch.get(single)?.equals(fileOf(rows(50)))).toBe(true)
    expect(report.recordsAdded).toBe(50)
  })

  it('splits in row order into full parts within the cap, each with the header, losing and doubling nothing', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(400), cap)).changes)
    const paths = dayPaths(branch)
    expect(paths).toEqual(dayFilePaths('Audit.General', DAY, 'csv', paths.length))
    expect(paths.length).toBeGreaterThanOrEqual(4)
    const parts = paths.map((path) => branch.get(path)!)
    for (const part of parts) {
      expect(part.byteLength).toBeLessThanOrEqual(cap)
      expect(part.subarray(0, CSV_HEADER.length).equals(CSV_HEADER)).toBe(true)
    }
    expect(parts.flatMap(readRows)).toEqual(rows(400))
    // Parts are full: the next row of a part would not have fitted in it.
    for (const [index, part] of parts.slice(0, -1).entries()) {
      const next = readRows(parts[index + 1])[0]!
      expect(part.byteLength + encodeCsvRow(next).byteLength).toBeGreaterThan(cap)
    }
  })

  it('gives a row larger than the cap a part of its own rather than dropping it', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(3), 10)).changes)
    expect(dayPaths(branch).map((path) => readRows(branch.get(path)).length)).toEqual([1, 1, 1])
  })

  it('turns a day that outgrows the cap into parts, removes the single file, and keeps the manifest in step', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(80), cap)).changes)
    expect(dayPaths(branch)).toEqual([single])

    const { changes, report } = await build(branch, rows(120, 60), cap)
    apply(branch, changes)
    const paths = dayPaths(branch)
    expect(paths).toEqual(dayFilePaths('Audit.General', DAY, 'csv', paths.length))
    expect(paths.length).toBeGreaterThanOrEqual(2)
    expect(changes?.files.get(single)).toBeNull()
    expect(report.recordsAdded).toBe(100)
    expect(report.filesChanged).toBe(paths.length + 1)
    expect(report.added).toEqual([{ type: 'Audit.General', day: DAY, records: 100, paths }])
    expect(changes?.message).toContain(`Audit.General ${DAY} (${paths.length} parts): +100`)

    expect(paths.flatMap((path) => readRows(branch.get(path)))).toEqual(rows(180))
    const manifest = parseManifest(branch.get(MANIFEST_PATH)?.toString())
    expect(Object.keys(manifest.files).sort()).toEqual([...paths].sort())
    for (const path of paths) {
      const rowsOfPart = readRows(branch.get(path))
      expect(manifest.files[path]).toMatchObject({
        rows: rowsOfPart.length,
        bytes: branch.get(path)?.byteLength,
        firstCreationTime: rowsOfPart[0]?.[1],
        lastCreationTime: rowsOfPart.at(-1)?.[1]
      })
    }
  })

  it('reads no part before the first new row, and rewrites only the parts from there on', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(300), cap)).changes)
    const paths = dayPaths(branch)
    expect(paths.length).toBeGreaterThanOrEqual(3)
    const before = new Map(branch)

    const streamed: string[] = []
    const watched = memoryTip(branch, CHUNK)
    const stream = watched.stream.bind(watched)
    const { changes, report } = await buildWith(
      { ...watched, stream: (path) => (streamed.push(path), stream(path)) },
      rows(1, 300),
      cap,
      false
    )
    expect(streamed).toEqual([paths.at(-1)])
    expect([...(changes?.files.keys() ?? [])].filter((path) => path.startsWith('audit/'))).toEqual([paths.at(-1)])
    expect(report.filesChanged).toBe(1)
    apply(branch, changes)
    for (const path of paths.slice(0, -1)) expect(branch.get(path)?.equals(before.get(path)!)).toBe(true)
    expect(dayPaths(branch).flatMap((path) => readRows(branch.get(path)))).toEqual(rows(301))
  })

  it('reads the parts it keeps once more for the Power Apps usage of the whole day, and still rewrites only the last', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(300), cap)).changes)
    const paths = dayPaths(branch)
    const usage = 'usage/power-apps/2026/11/2026-11-20.csv'
    expect(readRows(branch.get(usage))).toEqual([[DAY, '', '', '', '', '300', '0']])

    const streamed: string[] = []
    const watched = memoryTip(branch, CHUNK)
    const stream = watched.stream.bind(watched)
    const { changes, report } = await buildWith(
      { ...watched, stream: (path) => (streamed.push(path), stream(path)) },
      rows(1, 300),
      cap
    )
    expect([...streamed].sort()).toEqual([...paths].sort())
    expect(streamed.filter((path) => path === paths.at(-1))).toHaveLength(1)
    expect([...(changes?.files.keys() ?? [])].filter((path) => path.startsWith('audit/'))).toEqual([paths.at(-1)])
    expect(report.derived).toEqual([{ title: 'Power Apps usage', folder: 'usage/power-apps/', days: [DAY] }])
    apply(branch, changes)
    expect(readRows(branch.get(usage))).toEqual([[DAY, '', '', '', '', '301', '0']])
    expect(changes?.message).toContain(`Power Apps usage recomputed: ${DAY}`)
  })

  it('gives a day written before usage existed its usage file when known records come again, then nothing more', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(300), cap)).changes)
    const usage = 'usage/power-apps/2026/11/2026-11-20.csv'
    branch.delete(usage)
    const before = new Map(branch)

    const { changes, report } = await build(branch, rows(5, 100), cap)
    // The branch README and its chart ride along with the commit (unchanged here: same day, same coverage).
    expect([...(changes?.files.keys() ?? [])].filter((path) => !changes?.alongside?.has(path))).toEqual([usage])
    expect(report).toMatchObject({ recordsAdded: 0, derived: [{ days: [DAY] }] })
    expect(changes?.message).toMatch(/^audit-sync: Power Apps usage of 1 day\n/)
    apply(branch, changes)
    expect(readRows(branch.get(usage))).toEqual([[DAY, '', '', '', '', '300', '0']])
    for (const [path, bytes] of before) expect(branch.get(path)?.equals(bytes), path).toBe(true)

    expect((await build(branch, rows(5, 100), cap)).changes).toBeUndefined()
  })

  it('does not write again a part that comes out as the branch has it', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(300), cap)).changes)
    const paths = dayPaths(branch)
    const manifest = parseManifest(branch.get(MANIFEST_PATH)!.toString('utf8'))
    // A new record at the first part's last second, sorting after its rows: the first part is
    // rewritten (a new row may fall into it) and comes out the same.
    const last = manifest.files[paths[0]!]!.lastCreationTime
    const late = referenceRow({ Id: 'id-99999', CreationTime: last.slice(0, 19), Operation: 'LaunchPowerApp' }, last)
    const { changes } = await build(branch, [late], cap)
    const written = [...(changes?.files.keys() ?? [])].filter((path) => path.startsWith('audit/'))
    expect(written).not.toContain(paths[0])
    expect(written).toContain(paths[1])
    apply(branch, changes)
    expect(
      dayPaths(branch)
        .flatMap((path) => readRows(branch.get(path)))
        .map((row) => row[0])
    ).toEqual(
      [...rows(300), late]
        .sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : a[0]! < b[0]! ? -1 : 1))
        .map((row) => row[0])
    )
  })

  it('adds nothing, and changes nothing, for records the day already holds', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await build(branch, rows(150), cap)).changes)
    const again = await build(branch, rows(150), cap)
    expect(again.changes).toBeUndefined()
    expect(again.report.recordsAdded).toBe(0)
  })
})

describe('adding to a day that can still grow, and compacting it when it settles', () => {
  const cap = fileOf(rows(100)).byteLength + 100
  const usagePath = 'usage/power-apps/2026/11/2026-11-20.csv'
  const statePath = 'state/usage/power-apps/2026/11/2026-11-20.json'
  const audit = (branch: Map<string, Buffer>) => [...branch.keys()].filter((path) => path.startsWith('audit/')).sort()
  const keys = (branch: Map<string, Buffer>) =>
    [...branch.keys()].filter((path) => path.startsWith('state/keys/')).sort()

  it('writes new rows beside the day, reading and rewriting none of its files, and leaves out the rows it holds', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await buildWith(memoryTip(branch, CHUNK), rows(300), cap, true, false)).changes)
    const parts = audit(branch)
    expect(parts.length).toBeGreaterThanOrEqual(3)
    expect(keys(branch)).toEqual(parts.map(keyFilePath).sort())
    const before = new Map(branch)

    const streamed: string[] = []
    const watched = memoryTip(branch, CHUNK)
    const stream = watched.stream.bind(watched)
    const read = watched.read.bind(watched)
    const readMany = watched.readMany.bind(watched)
    // 20 rows the day holds, 30 new ones, some of them in hours its parts cover.
    const late = rows(30, 400).map((row, index) =>
      referenceRow(
        { Id: row[0], CreationTime: `${DAY}T10:0${index % 5}:3${index % 10}`, Operation: 'LaunchPowerApp' },
        `${DAY}T10:0${index % 5}:3${index % 10}Z`
      )
    )
    const { changes, report } = await buildWith(
      {
        ...watched,
        stream: (path) => (streamed.push(path), stream(path)),
        read: (path) => (streamed.push(path), read(path)),
        readMany: (paths) => (streamed.push(...paths), readMany(paths))
      },
      [...rows(20, 280), ...late],
      cap,
      true,
      false
    )
    // Its key files and the usage state, never an audit file.
    expect(streamed.filter((path) => path.startsWith('audit/'))).toEqual([])
    expect(streamed.filter((path) => path.startsWith('state/keys/')).sort()).toEqual(parts.map(keyFilePath).sort())
    expect(report.recordsAdded).toBe(30)
    const added = 'audit/Audit.General/2026/11/2026-11-20.added-1.csv'
    expect(report.added).toEqual([{ type: 'Audit.General', day: DAY, records: 30, paths: [added] }])
    expect(changes?.message).toContain(`- ${added}: +30`)
    apply(branch, changes)
    for (const path of parts) expect(branch.get(path)?.equals(before.get(path)!)).toBe(true)
    expect(readRows(branch.get(added))).toEqual(
      [...late].sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : a[0]! < b[0]! ? -1 : 1))
    )
    expect(keys(branch)).toEqual([...parts, added].map(keyFilePath).sort())
    // Usage counted from its state and the new rows alone.
    expect(readRows(branch.get(usagePath))).toEqual([[DAY, '', '', '', '', '330', '0']])
    expect(branch.has(statePath)).toBe(true)
    // The same rows again: nothing to add.
    expect((await buildWith(memoryTip(branch, CHUNK), [...late, ...rows(5)], cap, true, false)).changes).toBeUndefined()
  })

  it.each([
    ['CSV', CSV_FORMAT],
    ['Parquet', PARQUET_FORMAT]
  ] as const)(
    'compacts a settled %s day into the bytes one build of its rows writes, and lets its keys and usage state go',
    async (_, format) => {
      const branch = new Map<string, Buffer>()
      const first = rows(200)
      const later = [rows(40, 150).slice(0, 10), rows(60, 200), rows(30, 260)]
      apply(branch, (await buildWith(memoryTip(branch, CHUNK), first, cap, true, false, format)).changes)
      for (const batch of later)
        apply(branch, (await buildWith(memoryTip(branch, CHUNK), batch, cap, true, false, format)).changes)
      expect(audit(branch).filter((path) => path.includes('.added-'))).toHaveLength(2)

      // A run on a later day (no row of this one): the day has settled and is compacted.
      const { changes, report } = await buildWith(memoryTip(branch, CHUNK), [], cap, true, true, format)
      expect(report).toMatchObject({ recordsAdded: 0, compacted: [`Audit.General ${DAY}`], settled: [] })
      expect(changes?.message).toMatch(/^audit-sync: compact 1 day\n/)
      apply(branch, changes)
      const once = new Map<string, Buffer>()
      apply(once, (await buildWith(memoryTip(once, CHUNK), rows(290), cap, true, true, format)).changes)
      expect(audit(branch)).toEqual(audit(once))
      for (const path of audit(once)) expect(branch.get(path)?.equals(once.get(path)!), path).toBe(true)
      expect(keys(branch)).toEqual([])
      expect(branch.has(statePath)).toBe(false)
      expect(branch.get(usagePath)?.equals(once.get(usagePath)!)).toBe(true)
      const manifest = parseManifest(branch.get(MANIFEST_PATH)?.toString())
      expect(Object.keys(manifest.files).sort()).toEqual(audit(once))
      if (format === PARQUET_FORMAT) {
        const dir = await mkdtemp(join(tmpdir(), 'm365-day-parts-'))
        dirs.push(dir)
        const file = join(dir, 'day.parquet')
        await writeFile(file, branch.get(audit(branch)[0]!)!)
        let count = 0
        for await (const batch of readParquetRows(file, 'day.parquet')) count += batch.length
        expect(count).toBe(290)
      }
    }
  )

  it('lets a settled day without additions keep its files and drops its keys and usage state', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await buildWith(memoryTip(branch, CHUNK), rows(200), cap, true, false)).changes)
    expect(keys(branch).length).toBeGreaterThan(0)
    expect(branch.has(statePath)).toBe(true)
    const before = new Map(branch)

    const { changes, report } = await buildWith(memoryTip(branch, CHUNK), [], cap, true, true)
    expect(report).toMatchObject({ recordsAdded: 0, compacted: [], settled: [`Audit.General ${DAY}`] })
    expect(changes?.message).toMatch(/^audit-sync: settle 1 day\n/)
    apply(branch, changes)
    expect(keys(branch)).toEqual([])
    expect(branch.has(statePath)).toBe(false)
    for (const path of [...audit(branch), usagePath])
      expect(branch.get(path)?.equals(before.get(path)!), path).toBe(true)
    expect((await buildWith(memoryTip(branch, CHUNK), [], cap, true, true)).changes).toBeUndefined()
  })

  it('gives a day written before key files existed its keys by compacting it once, then adds to it', async () => {
    const branch = new Map<string, Buffer>()
    apply(branch, (await buildWith(memoryTip(branch, CHUNK), rows(150), cap, false, false)).changes)
    for (const path of keys(branch)) branch.delete(path)
    apply(branch, (await buildWith(memoryTip(branch, CHUNK), rows(10, 150), cap, false, false)).changes)
    expect(audit(branch).some((path) => path.includes('.added-'))).toBe(false)
    expect(keys(branch)).toEqual(audit(branch).map(keyFilePath).sort())
    apply(branch, (await buildWith(memoryTip(branch, CHUNK), rows(10, 160), cap, false, false)).changes)
    expect(audit(branch).filter((path) => path.includes('.added-'))).toEqual([
      'audit/Audit.General/2026/11/2026-11-20.added-1.csv'
    ])
    expect(
      audit(branch)
        .flatMap((path) => readRows(branch.get(path)))
        .map((row) => row[0])
        .sort()
    ).toEqual(rows(170).map((row) => row[0]))
  })
})
