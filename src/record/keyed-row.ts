/**
 * A row on its way to a day file: its sort key and its encoded bytes (a CSV line, say). Rows
 * of a day file are ordered by (`time`, `id`); `time` is always `YYYY-MM-DDTHH:MM:SSZ`.
 */
export interface KeyedRow {
  time: string
  id: string
  payload: Buffer
}

/** File order: by CreationTime, then Id. */
export function compareRows(a: KeyedRow, b: KeyedRow): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return 0
}

/**
 * Of two copies of one record (same time and Id), the one to keep: the smaller bytes, so
 * that the same records give the same file whichever copy a run happened to receive first.
 */
export function preferredCopy(a: KeyedRow, b: KeyedRow): KeyedRow {
  return Buffer.compare(a.payload, b.payload) <= 0 ? a : b
}
