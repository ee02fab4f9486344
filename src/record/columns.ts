/** Columns of an audit snapshot, in file order, named as the API names them. */
export const SNAPSHOT_COLUMNS = [
  'Id',
  'CreationTime',
  'RecordType',
  'Operation',
  'Workload',
  'UserId',
  'UserType',
  'UserKey',
  'OrganizationId',
  'ResultStatus',
  'ObjectId',
  'ClientIP',
  'AuditData'
] as const

/** The columns taken from a record's top-level fields: all but AuditData (the record itself). */
export const SCANNED_COLUMNS = SNAPSHOT_COLUMNS.slice(0, -1)

/** A snapshot row: one string per column of SNAPSHOT_COLUMNS. */
export type SnapshotRow = string[]

/** Index of each column in a SnapshotRow. */
export const Column = Object.fromEntries(SNAPSHOT_COLUMNS.map((name, index) => [name, index])) as {
  readonly [Name in (typeof SNAPSHOT_COLUMNS)[number]]: number
}

/** The UTC day (`YYYY-MM-DD`) of a `YYYY-MM-DDTHH:MM:SSZ` time. */
export function dayOf(time: string): string {
  return time.slice(0, 10)
}
