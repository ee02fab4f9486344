import { createHash } from 'node:crypto'
import { formatInstant } from '../util/time.js'

/**
 * One audit record as the API returns it: the common schema's fields plus whatever the
 * workload adds. Only `Id` and `CreationTime` matter for placement; the rest is carried.
 */
export type AuditRecord = Record<string, unknown>

const API_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/

/**
 * Whether a `YYYY-MM-DDTHH:MM:SS` text (digits where the shape has them) names a real
 * instant: no 31 November, no hour 24. Read digit by digit: it runs for every record.
 */
function isValidTime(value: string): boolean {
  const digits = (at: number, count: number): number => {
    let number = 0
    for (let index = at; index < at + count; index++) number = 10 * number + value.charCodeAt(index) - 48
    return number
  }
  const year = digits(0, 4)
  const month = digits(5, 2)
  const day = digits(8, 2)
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1]!
  return day <= daysInMonth && digits(11, 2) < 24 && digits(14, 2) < 60 && digits(17, 2) < 60
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const NAIVE_OR_ZONED = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * `CreationTime` as `YYYY-MM-DDTHH:MM:SSZ`. The API sends it without a zone, and it is UTC;
 * a zone, if present, is honoured. Undefined when the value is not a time.
 */
export function normalizeCreationTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  // The API's own shape, by far the most common: only the zone is missing.
  if (value.length === 19 && API_TIME.test(value) && isValidTime(value)) return `${value}Z`
  const match = NAIVE_OR_ZONED.exec(value.trim())
  if (!match) return undefined
  const [, day, time, , zone] = match
  // Date would roll 29 February 2026 over to 1 March, and 24:00 to the next day.
  if (!isValidTime(`${day}T${time}`)) return undefined
  const instant = new Date(`${day}T${time}${zone ?? 'Z'}`)
  if (Number.isNaN(instant.getTime())) return undefined
  return formatInstant(instant)
}

/**
 * The record as canonical JSON: keys sorted at every level. The API repeats records with
 * their keys in another order; canonical text makes a record's bytes the same whichever
 * copy arrived first, so snapshots are reproducible.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
    return sorted
  }
  return value
}

/**
 * The identity of a record for de-duplication: its `Id`, lower-cased (a GUID). A record
 * without one, which the schema does not allow but a workload might still send, is keyed by
 * the hash of its canonical JSON so that it is kept once rather than dropped.
 */
export function recordId(record: AuditRecord): string {
  const id = record.Id
  if (typeof id === 'string' && id.trim() !== '') return id.trim().toLowerCase()
  return `sha256-${createHash('sha256').update(canonicalJson(record)).digest('hex').slice(0, 32)}`
}
