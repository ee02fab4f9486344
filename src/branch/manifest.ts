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

/**
 * Reads manifest.json, keeping only entries that read as entries. What is missing (a broken
 * or lost manifest, an entry edited by hand) is derived data: the commit describes those
 * files again from the files themselves (describe-day-file.ts).
 */
export function parseManifest(text: string | undefined): Manifest {
  const manifest: Manifest = { version: 1, files: {} }
  if (!text) return manifest
  let value: Partial<Manifest> | undefined
  try {
    value = JSON.parse(text) as Partial<Manifest>
  } catch {
    return manifest
  }
  if (value?.version !== 1 || !value.files || typeof value.files !== 'object') return manifest
  for (const [path, entry] of Object.entries(value.files)) if (isEntry(entry)) manifest.files[path] = { ...entry }
  return manifest
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

function isEntry(entry: unknown): entry is ManifestEntry {
  const candidate = entry as Partial<ManifestEntry> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    (candidate.format === undefined || candidate.format === 'csv' || candidate.format === 'parquet') &&
    Number.isSafeInteger(candidate.rows) &&
    Number.isSafeInteger(candidate.bytes) &&
    typeof candidate.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(candidate.sha256) &&
    typeof candidate.firstCreationTime === 'string' &&
    TIME.test(candidate.firstCreationTime) &&
    typeof candidate.lastCreationTime === 'string' &&
    TIME.test(candidate.lastCreationTime)
  )
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
