import { describe, expect, it } from 'vitest'
import type { Collection, DayBatch } from '../../src/collect/collect.js'
import { gitBlobSha, type BranchFiles, type FileChanges } from '../../src/github/commit-files.js'
import { Column, toSnapshotRow, type SnapshotRow } from '../../src/m365/audit-record.js'
import { buildSnapshotChanges, type SnapshotReport } from '../../src/snapshot/build-changes.js'
import { mergeRows, parseDayFile, renderDayFile, renderDayFileParts } from '../../src/snapshot/day-file.js'
import { dayFilePath, dayFilePaths, findDayFiles, MANIFEST_PATH } from '../../src/snapshot/paths.js'
import { parseManifest } from '../../src/state/manifest.js'

const DAY = '2026-11-20'

function rows(count: number, from = 0): SnapshotRow[] {
  return Array.from({ length: count }, (_, index) => {
    const n = from + index
    const second = String(n % 60).padStart(2, '0')
    const minute = String(Math.floor(n / 60) % 60).padStart(2, '0')
    return toSnapshotRow(
      { Id: `id-${String(n).padStart(5, '0')}`, CreationTime: `${DAY}T10:${minute}:${second}`, Operation: 'LaunchPowerApp', Note: `row ${n}, "quoted"\nline` },
      'x'
    )
  })
}

describe('day file paths', () => {
  it('names the single file and numbered parts', () => {
    expect(dayFilePath('Audit.General', DAY)).toBe('audit/Audit.General/2026/11/2026-11-20.csv')
    expect(dayFilePaths('Audit.General', DAY, 1)).toEqual(['audit/Audit.General/2026/11/2026-11-20.csv'])
    expect(dayFilePaths('Audit.General', DAY, 3)).toEqual([
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
    expect(findDayFiles(branch, 'Audit.General', DAY)).toEqual([
      `${base}2026-11-20.csv`,
      `${base}2026-11-20.1.csv`,
      `${base}2026-11-20.2.csv`,
      `${base}2026-11-20.10.csv`
    ])
    expect(findDayFiles(branch, 'Audit.Exchange', DAY)).toEqual([])
  })
})

describe('splitting a large day into parts', () => {
  const day = rows(200)
  const whole = renderDayFile(day)

  it('keeps one file while the day fits', () => {
    expect(renderDayFileParts(day, whole.byteLength)).toEqual([{ bytes: whole, rows: day }])
  })

  it('splits in row order into parts within the cap, each with the header, losing and doubling nothing', () => {
    const cap = Math.ceil(whole.byteLength / 4)
    const parts = renderDayFileParts(day, cap)
    expect(parts.length).toBeGreaterThanOrEqual(4)
    expect(parts.length).toBeLessThanOrEqual(6)
    const header = whole.subarray(0, whole.indexOf('\r\n') + 2)
    for (const part of parts) {
      expect(part.bytes.byteLength).toBeLessThanOrEqual(cap)
      expect(part.bytes.subarray(0, header.byteLength).equals(header)).toBe(true)
      expect(parseDayFile(part.bytes, 'part.csv')).toEqual(part.rows)
      expect(part.bytes.equals(renderDayFile(part.rows))).toBe(true)
    }
    expect(parts.flatMap((part) => part.rows)).toEqual(day)
    // Parts are full: the next row of a part would not have fitted in it.
    for (const [index, part] of parts.slice(0, -1).entries()) {
      const next = parts[index + 1]?.rows[0]
      expect(renderDayFile([...part.rows, next!]).byteLength).toBeGreaterThan(cap)
    }
  })

  it('gives a row larger than the cap a part of its own rather than dropping it', () => {
    const parts = renderDayFileParts(day.slice(0, 3), 10)
    expect(parts.map((part) => part.rows.length)).toEqual([1, 1, 1])
  })

  it('splits the same records the same way whatever order they arrived in', () => {
    const cap = Math.ceil(whole.byteLength / 3)
    const shuffled = [...day].reverse()
    expect(renderDayFileParts(mergeRows([], shuffled).rows, cap)).toEqual(renderDayFileParts(mergeRows([], day).rows, cap))
  })
})

/** A branch tip in memory. */
function tip(files: Map<string, string>): BranchFiles {
  return {
    has: (path) => files.has(path),
    paths: () => files.keys(),
    blobSha: (path) => (files.has(path) ? gitBlobSha(files.get(path) ?? '') : undefined),
    read: async (path) => files.get(path)
  }
}

function collectionOf(batch: SnapshotRow[]): Collection {
  const days = new Map<string, DayBatch>()
  days.set(`Audit.General|${DAY}`, { type: 'Audit.General', day: DAY, rows: new Map(batch.map((row) => [row[Column.Id] ?? '', row])) })
  return {
    days,
    updates: [],
    failures: [],
    remaining: [],
    stats: { tasks: 0, pages: 0, blobsListed: 0, blobsDownloaded: 0, blobsSkipped: 0, blobsExpired: 0, recordsReceived: batch.length, distinctRecords: {} }
  }
}

async function build(branch: Map<string, string>, batch: SnapshotRow[], maxFileBytes: number): Promise<{ changes: FileChanges; report: SnapshotReport }> {
  let report: SnapshotReport | undefined
  const changes = await buildSnapshotChanges(
    tip(branch),
    { collection: collectionOf(batch), branch: 'audit-data', now: new Date(`${DAY}T12:00:00Z`), coverageSlackMs: 0, maxFileBytes },
    (built) => (report = built)
  )
  if (!changes || !report) throw new Error('expected changes')
  return { changes, report }
}

function apply(branch: Map<string, string>, changes: FileChanges): void {
  for (const [path, text] of changes.files) {
    if (text === null) branch.delete(path)
    else branch.set(path, text.toString())
  }
}

describe('snapshot changes across the part boundary', () => {
  const single = dayFilePath('Audit.General', DAY)
  const cap = renderDayFile(rows(100)).byteLength + 100

  it('turns a day that outgrows the cap into parts, removes the single file, and keeps the manifest in step', async () => {
    const branch = new Map<string, string>()
    apply(branch, (await build(branch, rows(80), cap)).changes)
    expect(findDayFiles(branch.keys(), 'Audit.General', DAY)).toEqual([single])

    const { changes, report } = await build(branch, rows(120, 60), cap)
    apply(branch, changes)
    const paths = findDayFiles(branch.keys(), 'Audit.General', DAY)
    expect(paths).toEqual(dayFilePaths('Audit.General', DAY, paths.length))
    expect(paths.length).toBeGreaterThanOrEqual(2)
    expect(changes.files.get(single)).toBeNull()
    expect(report.recordsAdded).toBe(100)
    expect(report.filesChanged).toBe(paths.length + 1)
    expect(report.added).toEqual([{ type: 'Audit.General', day: DAY, records: 100, paths }])
    expect(changes.message).toContain(`Audit.General ${DAY} (${paths.length} parts): +100`)

    const onBranch = paths.flatMap((path) => parseDayFile(branch.get(path) ?? '', path))
    expect(onBranch).toEqual(rows(180))
    const manifest = parseManifest(branch.get(MANIFEST_PATH))
    expect(Object.keys(manifest.files).sort()).toEqual([...paths].sort())
    expect(paths.map((path) => manifest.files[path]?.rows)).toEqual(paths.map((path) => parseDayFile(branch.get(path) ?? '', path).length))
    for (const path of paths) expect(manifest.files[path]?.bytes).toBe(Buffer.byteLength(branch.get(path) ?? ''))
  })

  it('rewrites only the parts that changed when a late record lands at the end of the day', async () => {
    const branch = new Map<string, string>()
    apply(branch, (await build(branch, rows(300), cap)).changes)
    const paths = findDayFiles(branch.keys(), 'Audit.General', DAY)
    expect(paths.length).toBeGreaterThanOrEqual(3)

    const late = rows(1, 300)
    const { changes, report } = await build(branch, late, cap)
    const written = [...changes.files.keys()].filter((path) => path.startsWith('audit/'))
    expect(written).toEqual([paths.at(-1)])
    expect(report.filesChanged).toBe(1)
  })

  it('reads back a day that a smaller cap split, and adds nothing that is already there', async () => {
    const branch = new Map<string, string>()
    apply(branch, (await build(branch, rows(150), cap)).changes)
    let report: SnapshotReport | undefined
    const again = await buildSnapshotChanges(
      tip(branch),
      { collection: collectionOf(rows(150)), branch: 'audit-data', now: new Date(`${DAY}T12:00:00Z`), coverageSlackMs: 0, maxFileBytes: cap },
      (built) => (report = built)
    )
    expect(again).toBeUndefined()
    expect(report?.recordsAdded).toBe(0)
  })
})
