import type { FormatName } from './paths.js'

/** What manifest.json says of one snapshot file. */
export interface ManifestEntry {
  /** Absent in entries written before Parquet existed: those are CSV. */
  format?: FormatName
  rows: number
  bytes: number
  sha256: string
  firstCreationTime: string
  lastCreationTime: string
}

/** Every snapshot file on the data branch, by path. */
export interface Manifest {
  version: 1
  files: Record<string, ManifestEntry>
}

/** Reads manifest.json; a missing or unreadable one starts over (it is derived data). */
export function parseManifest(text: string | undefined): Manifest {
  if (!text) return { version: 1, files: {} }
  try {
    const value = JSON.parse(text) as Partial<Manifest>
    if (value.version === 1 && value.files && typeof value.files === 'object')
      return { version: 1, files: { ...value.files } }
  } catch {
    // A manifest is derived from the files; a broken one is rebuilt entry by entry.
  }
  return { version: 1, files: {} }
}

/** The manifest as stable text, paths sorted. */
export function renderManifest(manifest: Manifest): string {
  const files: Record<string, ManifestEntry> = {}
  for (const path of Object.keys(manifest.files).sort()) {
    const entry = manifest.files[path]
    if (entry) files[path] = entry
  }
  return `${JSON.stringify({ version: 1, files }, null, 2)}\n`
}
