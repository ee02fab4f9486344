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
      // A day too large for one file is split into <day>.<n>.csv parts.
      const dayFile = entry?.path.replace(/\.\d+\.csv$/, '.csv')
      expect(dayFile, `record ${String(record.Id)}`).toBe(expectedPath(type, String(record.CreationTime)))
      expect(JSON.parse(entry?.row.AuditData ?? 'null')).toEqual(record)
    }
  }
  expect(rows).toHaveLength(served)
  return served
}
