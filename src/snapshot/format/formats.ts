import type { FormatName } from '../../branch/paths.js'
import { CSV_FORMAT } from './csv.js'
import { PARQUET_FORMAT } from './parquet.js'
import type { SnapshotFormat } from './snapshot-format.js'

/** Every format, by name. */
const SNAPSHOT_FORMATS: Readonly<Record<FormatName, SnapshotFormat>> = {
  csv: CSV_FORMAT,
  parquet: PARQUET_FORMAT
}

/** The format of a name. */
export function snapshotFormat(name: FormatName): SnapshotFormat {
  return SNAPSHOT_FORMATS[name]
}

/** The formats other than `format`: a day found in one of them is converted when next written. */
export function otherFormats(format: SnapshotFormat): SnapshotFormat[] {
  return Object.values(SNAPSHOT_FORMATS).filter((other) => other !== format)
}
