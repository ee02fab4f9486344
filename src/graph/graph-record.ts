import type { AuditRecord } from '../record/audit-record.js'

/**
 * The Management Activity API's AuditData from a Microsoft Graph `auditLogRecord`
 * (https://learn.microsoft.com/graph/api/resources/security-auditlogrecord), or why there is
 * none. Graph carries the same record in `auditData`, with three differences this undoes:
 *
 * - OData annotations: an `@odata.type` key on the object and on nested objects, and a
 *   `<Property>@odata.type` key beside typed values (`"RecordType@odata.type": "#Int64"`),
 *   at any depth. The Management API has none.
 * - `CreationTime` ends in `Z`; the Management API writes it without a zone (it is UTC).
 * - The envelope's own fields are not the record's: its `userId` is the record's `UserKey`,
 *   its `userPrincipalName` the record's `UserId`, its `clientIp` is null. So nothing is
 *   taken from the envelope: `auditData` holds every field with the Management API's name.
 */
export function auditDataOf(graphRecord: unknown): { record: AuditRecord } | { bad: string } {
  if (!isObject(graphRecord)) return { bad: 'the record is not a JSON object' }
  const auditData = graphRecord['auditData']
  if (!isObject(auditData)) return { bad: `record ${describeId(graphRecord['id'])} has no auditData object` }
  const record = withoutAnnotations(auditData) as AuditRecord
  const time = record['CreationTime']
  if (typeof time === 'string' && ZONED_UTC.test(time)) record['CreationTime'] = time.slice(0, -1)
  return { record }
}

/** A UTC time as Graph writes it: the Management API's form with a `Z`. */
const ZONED_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/

function withoutAnnotations(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(withoutAnnotations)
  const result: Record<string, unknown> = {}
  const source = value as Record<string, unknown>
  for (const key in source) {
    if (key.endsWith('@odata.type')) continue
    result[key] = withoutAnnotations(source[key])
  }
  return result
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describeId(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id.slice(0, 64)) : 'without an id'
}
