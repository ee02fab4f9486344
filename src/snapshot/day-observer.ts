import type { BranchFiles, FileContent } from '../branch/branch-files.js'
import type { ContentType } from '../record/content-types.js'
import type { KeyedRow } from '../record/keyed-row.js'

/**
 * Files derived from whole days (Power Apps usage, say), kept exact as days grow: each time a
 * commit merges new rows into a day, an observer that watches it is shown every row the day
 * holds afterwards, once, and says what its files become.
 */
export interface DayObserver {
  /** What its files hold, for the commit message and the job summary ("Power Apps usage"). */
  readonly title: string
  /** Where its files are on the branch ("usage/power-apps/"). */
  readonly folder: string
  /** Starts watching a day on the tip a commit is built on; undefined when the day is none of its concern. */
  watch(type: ContentType, day: string, branch: BranchFiles): DayWatch | undefined
}

/** An observer's watch over one day of one commit. */
export interface DayWatch {
  /** Whether it must see the day even when the merge adds nothing to it (its file is missing, say). */
  readonly needsUnchangedDay: boolean
  /** A row of the day as it stands after the merge; its bytes are only good during the call. */
  observe(row: KeyedRow): void
  /** The files to write (null: delete) once the day is merged, given how many rows were new. */
  files(added: number): Map<string, FileContent | null>
}
