/**
 * A Management Activity API record as a Graph audit log query returns it: an `auditLogRecord`
 * (https://learn.microsoft.com/graph/api/resources/security-auditlogrecord) whose envelope
 * repeats a few fields under other names and whose `auditData` is the record itself with OData
 * annotations. What the documentation leaves out (PascalCase enum names, the crossed user
 * fields, the null `clientIp`, `administrativeUnits: [""]`, where annotations go) follows what
 * the service was seen to return.
 */

/** Graph's name for the record types the generator makes, and a few neighbours. */
const RECORD_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'ExchangeAdmin'],
  [2, 'ExchangeItem'],
  [3, 'ExchangeItemGroup'],
  [4, 'SharePoint'],
  [6, 'SharePointFileOperation'],
  [7, 'OneDrive'],
  [8, 'AzureActiveDirectory'],
  [9, 'AzureActiveDirectoryAccountLogon'],
  [11, 'ComplianceDLPSharePoint'],
  [13, 'ComplianceDLPExchange'],
  [14, 'SharePointSharingOperation'],
  [15, 'AzureActiveDirectoryStsLogon'],
  [20, 'PowerBIAudit'],
  [25, 'MicrosoftTeams'],
  [30, 'MicrosoftFlow'],
  [45, 'PowerAppsApp'],
  [46, 'PowerAppsPlan'],
  // Graph's wire enum is the Management API's RecordType names in PascalCase (research on live
  // responses); 256 is not in Graph's documented enum, so it keeps the Management API's name.
  [256, 'PowerPlatformAdministratorActivity']
])

/** Graph's names of the `UserType` numbers (the Management API schema's UserType enum). */
const USER_TYPE_NAMES = [
  'Regular',
  'Reserved',
  'Admin',
  'DcAdmin',
  'System',
  'Application',
  'ServicePrincipal',
  'CustomPolicy',
  'SystemPolicy'
] as const

const DEFAULT_AUDIT_DATA = '#microsoft.graph.security.defaultAuditData'

/** Graph's `auditLogRecordType` for a `RecordType` number; an unlisted number as its digits. */
export function graphRecordTypeName(recordType: unknown): string {
  if (typeof recordType !== 'number') return String(recordType ?? '')
  return RECORD_TYPE_NAMES.get(recordType) ?? String(recordType)
}

/** Graph's `userType` for a `UserType` number; an unlisted number as its digits. */
export function graphUserTypeName(userType: unknown): string {
  if (typeof userType !== 'number') return String(userType ?? '')
  return USER_TYPE_NAMES[userType] ?? String(userType)
}

/** The canonical spelling of a record type name given in any case, or the name as given. */
export function canonicalRecordTypeName(name: string): string {
  const lower = name.toLowerCase()
  for (const known of RECORD_TYPE_NAMES.values()) if (known.toLowerCase() === lower) return known
  return name
}

/**
 * `CreationTime` as milliseconds: the feed writes UTC without a zone, so a zone-less value is
 * read as UTC. Undefined when the record has no usable time.
 */
export function creationTimeMs(record: Record<string, unknown>): number | undefined {
  const text = record['CreationTime']
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return undefined
  const zoned = /(?:Z|[+-]\d{2}:\d{2})$/i.test(text) ? text : `${text}Z`
  const ms = Date.parse(zoned)
  return Number.isNaN(ms) ? undefined : ms
}

/** `CreationTime` with the `Z` Graph adds (the feed's value names UTC without saying so). */
function zonedCreationTime(value: unknown): unknown {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(value)
    ? `${value}Z`
    : value
}

/** The envelope and `auditData` of one record, exactly as the emulator's Graph listener sends it. */
export function toGraphAuditLogRecord(record: Record<string, unknown>): Record<string, unknown> {
  const objectId = record['ObjectId']
  return {
    id: record['Id'],
    createdDateTime: zonedCreationTime(record['CreationTime']),
    auditLogRecordType: graphRecordTypeName(record['RecordType']),
    operation: record['Operation'],
    organizationId: record['OrganizationId'],
    userType: graphUserTypeName(record['UserType']),
    // Crossed on purpose: the envelope's userId is the record's UserKey, its
    // userPrincipalName the record's UserId.
    userId: record['UserKey'],
    userPrincipalName: record['UserId'],
    service: record['Workload'],
    objectId: objectId ?? null,
    clientIp: null,
    administrativeUnits: [''],
    auditData: annotateObject(record, true)
  }
}

/**
 * The record with Graph's OData annotations: `@odata.type` on every object, `F@odata.type`
 * before each integer (`#Int64`) and each non-empty array. Graph has no type for an empty
 * array, so it gets none here either.
 */
function annotateObject(value: Record<string, unknown>, root: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.type': DEFAULT_AUDIT_DATA }
  for (const [key, entry] of Object.entries(value)) {
    const type = annotationOf(entry)
    if (type !== undefined) out[`${key}@odata.type`] = type
    out[key] = root && key === 'CreationTime' ? zonedCreationTime(entry) : annotateValue(entry)
  }
  return out
}

function annotateValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(annotateValue)
  if (isObject(value)) return annotateObject(value, false)
  return value
}

function annotationOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return '#Int64'
  if (!Array.isArray(value) || value.length === 0) return undefined
  if (value.every(isObject)) return `#Collection(${DEFAULT_AUDIT_DATA.slice(1)})`
  if (value.every((v) => typeof v === 'string')) return '#Collection(String)'
  if (value.every((v) => typeof v === 'number' && Number.isInteger(v))) return '#Collection(Int64)'
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
