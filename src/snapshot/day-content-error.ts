/**
 * A day that cannot be merged because of what it holds, not because of the run: a file of the
 * branch that does not read as what it should be (a hand-edited CSV, a truncated Parquet
 * file), or a record whose value the format cannot take. It fails that day alone: the commit
 * holds the day's new rows aside (see branch/held-days.ts) and every other day lands.
 */
export class DayContentError extends Error {
  constructor(
    message: string,
    /** The file at fault, when a file is; absent when a record's value is. */
    readonly file?: string,
    options?: ErrorOptions
  ) {
    super(message, options)
    this.name = 'DayContentError'
  }
}
