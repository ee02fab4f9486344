import type { TypeCoverage } from '../branch/coverage.js'
import type { FailureChanges, OpenFailure } from '../branch/ledger.js'
import type { ContentType } from '../record/content-types.js'

/** What one commit adds, for the message, the outputs and the summary. */
export interface CommitReport {
  recordsAdded: number
  /** Records added per content type and day, and the day files written: its additions, or its parts. */
  added: { type: ContentType; day: string; records: number; paths: string[] }[]
  /** Days (`<type> <day>`) whose additions were compacted into their parts. */
  compacted: string[]
  /** Settled days (`<type> <day>`) whose keys and observer state were let go of, with nothing to compact. */
  settled: string[]
  /** Data files written or removed (a day re-split into parts changes several). */
  filesChanged: number
  /** Per day observer, the days whose files it wrote (or removed). */
  derived: DerivedDays[]
  /** Failed windows open in the committed ledger (all content types), and what changed. */
  failures: FailureChanges & { open: OpenFailure[] }
  /**
   * What the branch holds after this build (or as it is, when nothing is committed): the
   * last 30 days per content type, as the branch README shows them.
   */
  coverage: TypeCoverage[]
}

/** The report of a commit that adds and changes nothing: only failures and coverage to tell. */
export function emptyCommitReport(
  failures: CommitReport['failures'],
  coverage: CommitReport['coverage']
): CommitReport {
  return { recordsAdded: 0, added: [], compacted: [], settled: [], filesChanged: 0, derived: [], failures, coverage }
}

/** The days whose derived files (Power Apps usage, say) a commit wrote. */
export interface DerivedDays {
  title: string
  folder: string
  days: string[]
}

/** The report of a run that committed in parts: additions add up; failures are the last commit's. */
export function combineCommitReports(earlier: CommitReport, later: CommitReport): CommitReport {
  return {
    recordsAdded: earlier.recordsAdded + later.recordsAdded,
    added: mergeAdded([...earlier.added, ...later.added]),
    compacted: [...earlier.compacted, ...later.compacted],
    settled: [...earlier.settled, ...later.settled],
    filesChanged: earlier.filesChanged + later.filesChanged,
    derived: later.derived.map((entry) => {
      const before = earlier.derived.find((known) => known.title === entry.title)?.days ?? []
      return { ...entry, days: [...new Set([...before, ...entry.days])].sort() }
    }),
    failures: {
      open: later.failures.open,
      recovered: [...earlier.failures.recovered, ...later.failures.recovered],
      newGaps: [...earlier.failures.newGaps, ...later.failures.newGaps]
    },
    coverage: later.coverage
  }
}

/** One entry per content type and day, whichever commits of the run added to it. */
function mergeAdded(entries: CommitReport['added']): CommitReport['added'] {
  const byDay = new Map<string, CommitReport['added'][number]>()
  for (const entry of entries) {
    const key = `${entry.type}|${entry.day}`
    const known = byDay.get(key)
    byDay.set(key, known ? { ...entry, records: known.records + entry.records } : entry)
  }
  return [...byDay.values()].sort((a, b) => (a.type + a.day < b.type + b.day ? -1 : 1))
}
