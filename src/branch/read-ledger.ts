import type { BranchFiles } from './branch-files.js'
import { emptyLedger, parseLedger, type Ledger } from './ledger.js'
import { LEDGER_PATH } from './paths.js'

/** The ledger of a branch tip (empty when the tip has none yet). */
export async function readLedger(files: BranchFiles, warn?: (message: string) => void): Promise<Ledger> {
  const text = await files.read(LEDGER_PATH)
  return text === undefined ? emptyLedger() : parseLedger(text.toString('utf8'), LEDGER_PATH, warn)
}
