import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'
import type { SnapshotFormat } from './format/snapshot-format.js'

/**
 * Files derived from whole days (Power Apps usage, say), kept exact as days grow. A commit
 * that compacts a day shows a watch every row of it; one that adds rows to a day shows it the
 * rows it adds, and the day's other rows too when the watch has no record of them.
 */
export interface DayObserver {
  /** What its files hold, for the commit message and the job summary ("Power Apps usage"). */
  readonly title: string
  /** Where its files are on the branch ("usage/power-apps/"). */
  readonly folder: string
  /**
   * Starts watching a day on the tip a commit is built on; undefined when the day is none of
   * its concern. `wholeDay`: the commit will show every row of the day (it compacts it).
   * Rows are in `format`, the day files'.
   */
  watch(
    type: ContentType,
    day: string,
    branch: BranchFiles,
    wholeDay: boolean,
    format: SnapshotFormat
  ): Promise<DayWatch | undefined>
  /** The files it keeps about a day while the day can grow: they go when the day settles. */
  stateOf(type: ContentType, day: string): string[]
}

/** An observer's watch over one day of one commit. */
export interface DayWatch {
  /** Whether it must also see the rows the day holds already (it keeps no record of them). */
  readonly needsWholeDay: boolean
  /** A row of the day; its bytes are only good during the call. */
  observe(row: KeyedRow): void
  /**
   * The files to write (null: delete) once the day is merged, given how many rows were new
   * and whether the day is settled (no source adds to it any more).
   */
  files(added: number, settled: boolean): Map<string, FileContent | null>
}
