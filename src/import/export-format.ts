/**
 * The two CSV layouts Microsoft Purview exports audit search results in, told apart by the
 * header row (https://learn.microsoft.com/purview/audit-log-export-records):
 *
 * - classic (the older search, and `Search-UnifiedAuditLog | Export-Csv`):
 *   `CreationDate, UserIds, Operations, AuditData` (PowerShell may add RecordType,
 *   ResultIndex, Identity and others);
 * - search (the current audit search):
 *   `RecordId, CreationDate, RecordType, Operation, UserId, AuditData, AssociatedAdminUnits,
 *   AssociatedAdminUnitsNames`.
 *
 * Only AuditData is read: it is the whole record. The other columns are derived from it,
 * and CreationDate is in the exporting user's locale and zone, so it is never used.
 */
export type ExportFormat = 'classic' | 'search'

/** What a header says about an export. */
export interface ExportLayout {
  format: ExportFormat
  /** Index of the AuditData column. */
  auditData: number
  /** Number of columns in the header. */
  columns: number
}

const CLASSIC = ['CreationDate', 'UserIds', 'Operations', 'AuditData'] as const
const SEARCH = ['RecordId', 'CreationDate', 'RecordType', 'Operation', 'UserId', 'AuditData'] as const

/** The expected headers, for error messages. */
export const EXPECTED_HEADERS = `'${CLASSIC.join(',')}' (classic) or '${SEARCH.join(',')},AssociatedAdminUnits,AssociatedAdminUnitsNames' (audit search)`

/**
 * The layout of an export from its header row (names compared trimmed and without regard to
 * case, in any order, other columns allowed), or undefined when it is not an audit export.
 */
export function detectExportFormat(header: readonly string[]): ExportLayout | undefined {
  const names = header.map((name) => name.trim().toLowerCase())
  const has = (wanted: readonly string[]): boolean => wanted.every((name) => names.includes(name.toLowerCase()))
  const auditData = names.indexOf('auditdata')
  if (auditData < 0) return undefined
  if (has(SEARCH)) return { format: 'search', auditData, columns: names.length }
  if (has(CLASSIC)) return { format: 'classic', auditData, columns: names.length }
  return undefined
}

/**
 * Why a file's first bytes cannot start an export that we read, when they say so plainly
 * (Excel's "Unicode Text" and other UTF-16 saves); undefined when they may.
 */
export function explainEncoding(start: Uint8Array): string | undefined {
  const utf16 =
    (start[0] === 0xff && start[1] === 0xfe) ||
    (start[0] === 0xfe && start[1] === 0xff) ||
    (start.length >= 2 && (start[0] === 0 || start[1] === 0))
  if (utf16)
    return 'it is UTF-16 text (saved as "Unicode Text"?); save it as "CSV UTF-8" or use the file Purview exported'
  if (start[0] === 0x50 && start[1] === 0x4b && start[2] === 0x03 && start[3] === 0x04)
    return 'it is a ZIP or an Excel workbook (.xlsx); export or save it as CSV'
  return undefined
}
