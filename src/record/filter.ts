import { describeRecordType, parseRecordType, suggestRecordTypes } from './record-types.js'
import { sha256Prefix } from '../util/digest.js'

/**
 * Which records a run keeps: those whose `Operation`, `Workload` and `RecordType` are each
 * among the listed values (an empty list puts no condition on that field). Names compare
 * without regard to case. Plain data, as read from the inputs.
 */
export interface RecordFilter {
  operations: string[]
  workloads: string[]
  recordTypes: number[]
}

/** The fields a filter reads. */
export type FilterField = 'Operation' | 'Workload' | 'RecordType'

/** A filter made ready to test records; built once per run. */
export interface RecordMatcher {
  /**
   * Whether to keep a record. `read` gives a top-level field's value as text (a number as
   * written, absent as undefined); only the fields the filter constrains are read, so a
   * caller can decode them lazily from the record's bytes.
   */
  matches(read: (field: FilterField) => string | undefined): boolean
}

/** A filter that keeps everything. */
export const KEEP_ALL: RecordFilter = { operations: [], workloads: [], recordTypes: [] }

/** Whether the filter drops anything at all. */
export function isFiltering(filter: RecordFilter): boolean {
  return filter.operations.length > 0 || filter.workloads.length > 0 || filter.recordTypes.length > 0
}

/**
 * The filter as the ledger remembers it: '' when it keeps everything, else a digest that
 * ignores order and case. Blobs read under one filter are not "collected" under another.
 */
export function filterDigest(filter: RecordFilter): string {
  if (!isFiltering(filter)) return ''
  const lower = (values: readonly (string | number)[]) => values.map((value) => String(value).toLowerCase()).sort()
  return sha256Prefix(
    JSON.stringify([lower(filter.operations), lower(filter.workloads), lower(filter.recordTypes)]),
    6,
    'hex'
  )
}

/** The matcher for a filter, or undefined when it keeps everything (callers skip the test). */
export function compileFilter(filter: RecordFilter): RecordMatcher | undefined {
  if (!isFiltering(filter)) return undefined
  const operations =
    filter.operations.length > 0 ? new Set(filter.operations.map((name) => name.toLowerCase())) : undefined
  const workloads =
    filter.workloads.length > 0 ? new Set(filter.workloads.map((name) => name.toLowerCase())) : undefined
  const recordTypes = filter.recordTypes.length > 0 ? new Set(filter.recordTypes) : undefined
  return {
    matches(read) {
      if (operations && !operations.has((read('Operation') ?? '').toLowerCase())) return false
      if (workloads && !workloads.has((read('Workload') ?? '').toLowerCase())) return false
      if (recordTypes) {
        const value = read('RecordType')
        // The API writes the number; an export or another tool may write the enum name.
        const type = value === undefined ? undefined : parseRecordType(value)
        if (type === undefined || !recordTypes.has(type)) return false
      }
      return true
    }
  }
}

/** A comma- or newline-separated list: trimmed, empty entries and repeats dropped (first spelling kept). */
export function splitList(text: string): string[] {
  const seen = new Set<string>()
  const items: string[] = []
  for (const item of text.split(/[,\n]/).map((part) => part.trim())) {
    if (item === '' || seen.has(item.toLowerCase())) continue
    seen.add(item.toLowerCase())
    items.push(item)
  }
  return items
}

/** Record types read from numbers and enum names; `unknown` holds names that are not members, each with suggestions. */
export function readRecordTypes(items: readonly string[]): {
  types: number[]
  unknown: { name: string; suggestions: string[] }[]
} {
  const types: number[] = []
  const unknown: { name: string; suggestions: string[] }[] = []
  for (const item of items) {
    const type = parseRecordType(item)
    if (type === undefined) unknown.push({ name: item, suggestions: suggestRecordTypes(item) })
    else if (!types.includes(type)) types.push(type)
  }
  return { types, unknown }
}

/** The filter in one line for the log, or undefined when it keeps everything. */
export function describeFilter(filter: RecordFilter): string | undefined {
  if (!isFiltering(filter)) return undefined
  const parts: string[] = []
  if (filter.operations.length > 0) parts.push(`operations ${filter.operations.join(', ')}`)
  if (filter.workloads.length > 0) parts.push(`workloads ${filter.workloads.join(', ')}`)
  if (filter.recordTypes.length > 0) parts.push(`record types ${filter.recordTypes.map(describeRecordType).join(', ')}`)
  return `Keeping only records with ${parts.join('; and ')}.`
}

/**
 * Operations users filter on, as the services spell them: Power Platform's
 * (https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps)
 * and a few of the most asked-for elsewhere. Not a whole list: a name not here may be right.
 */
const KNOWN_OPERATIONS = [
  'LaunchPowerApp',
  'DeletePowerApp',
  'CreatePowerApp',
  'EditPowerApp',
  'PublishPowerApp',
  'RestorePowerApp',
  'EditPowerAppPermission',
  'DeletePowerAppPermission',
  'CreateFlow',
  'EditFlow',
  'DeleteFlow',
  'FileAccessed',
  'FileModified',
  'FileDownloaded',
  'FileUploaded',
  'FileDeleted',
  'UserLoggedIn',
  'UserLoginFailed',
  'MailItemsAccessed',
  'SearchQueryPerformed',
  'MessageSent'
]

/**
 * Warnings for operation names one or two letters away from a known one (`LaunchPowerApps`):
 * a filter matches names exactly, so such a typo keeps nothing and says nothing.
 */
export function operationNameWarnings(filter: RecordFilter): string[] {
  return filter.operations.flatMap((name) => {
    if (KNOWN_OPERATIONS.some((known) => known.toLowerCase() === name.toLowerCase())) return []
    const close = KNOWN_OPERATIONS.filter((known) => editDistance(known.toLowerCase(), name.toLowerCase()) <= 2)
    return close.length > 0
      ? [
          `Input 'operations' names '${name}', which no record is known to carry; did you mean ${close.map((known) => `'${known}'`).join(' or ')}? ` +
            `Operations match exactly: records of a misspelt one are left out (fixing it later reads them again while the API serves them).`
        ]
      : []
  })
}

/** Levenshtein distance, for short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}
