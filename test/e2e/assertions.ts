import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { expectedPath, type World } from './world.js'

/**
 * Asserts the branch holds every record the emulator served for these content types exactly
 * once, in the file (or a part) of its UTC day, with its JSON intact, and nothing else. Returns the count.
 */
export async function expectBranchHoldsExactlyServed(world: World, contentTypes: readonly string[]): Promise<number> {
  const rows = await world.branchRows()
  const byId = new Map(rows.map((entry) => [entry.row.Id, entry]))
  expect(byId.size, 'no record twice').toBe(rows.length)
  let served = 0
  for (const type of contentTypes) {
    for (const record of world.emulator.servedRecords(type as never)) {
      served++
      const entry = byId.get(String(record.Id).toLowerCase())
      // A day too large for one file is split into <day>.<n>.csv parts; rows later runs add
      // to a day that can still grow are in <day>.added-<n>.csv beside them.
      const dayFile = entry?.path.replace(/\.(?:\d+|added-\d+)\.csv$/, '.csv')
      expect(dayFile, `record ${String(record.Id)}`).toBe(expectedPath(type, String(record.CreationTime)))
      expect(JSON.parse(entry?.row.AuditData ?? 'null')).toEqual(record)
    }
  }
  expect(rows).toHaveLength(served)
  return served
}

/**
 * Asserts every record the emulator served for these content types that happened in
 * `[from, to)` is on the branch exactly once, in its UTC day, with its JSON intact (whichever
 * source served it: Graph's copy is normalised to the Management API's), and that the branch
 * holds nothing the emulator did not serve. For runs that query by the time a record happened
 * (Graph), where `expectBranchHoldsExactlyServed` counts by when content was published.
 */
export async function expectBranchHoldsServedBetween(
  world: World,
  contentTypes: readonly string[],
  from: Date,
  to: Date
): Promise<number> {
  const rows = await world.branchRows()
  const byId = new Map(rows.map((entry) => [entry.row.Id, entry]))
  expect(byId.size, 'no record twice').toBe(rows.length)
  const served = new Map<string, { record: Record<string, unknown>; type: string }>()
  for (const type of contentTypes)
    for (const record of world.emulator.servedRecords(type as never))
      served.set(String(record.Id).toLowerCase(), { record, type })
  let inRange = 0
  for (const [id, { record, type }] of served) {
    const at = Date.parse(`${String(record.CreationTime)}Z`)
    if (at < from.getTime() || at >= to.getTime()) continue
    inRange++
    const entry = byId.get(id)
    const dayFile = entry?.path.replace(/\.(?:\d+|added-\d+)\.csv$/, '.csv')
    expect(dayFile, `record ${id}`).toBe(expectedPath(type, String(record.CreationTime)))
    expect(JSON.parse(entry?.row.AuditData ?? 'null')).toEqual(record)
  }
  for (const { row } of rows) expect(served.has(row.Id ?? ''), `branch row ${row.Id} was served`).toBe(true)
  return inRange
}

/**
 * The blobs a committed ledger says were downloaded, for one content type: the contentIds of
 * `candidates` whose key (9 bytes of SHA-256, base64, as state/ledger.json documents) it holds.
 */
export function ledgerFetched(
  ledger: { contentTypes: Record<string, { fetched?: Record<string, string> }> },
  type: string,
  candidates: readonly string[]
): string[] {
  const keys = new Set<string>()
  for (const day of Object.values(ledger.contentTypes[type]?.fetched ?? {}))
    for (let at = 0; at < day.length; at += 12) keys.add(day.slice(at, at + 12))
  return candidates.filter((contentId) =>
    keys.has(createHash('sha256').update(contentId).digest().subarray(0, 9).toString('base64'))
  )
}

/** How many blobs a committed ledger holds for one content type. */
export function ledgerBlobCount(
  ledger: { contentTypes: Record<string, { fetched?: Record<string, string> }> },
  type: string
): number {
  return Object.values(ledger.contentTypes[type]?.fetched ?? {}).reduce((sum, day) => sum + day.length / 12, 0)
}
