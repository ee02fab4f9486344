import type { AuditRecord } from '../../src/m365/audit-record.js'

/** A Power Apps launch with the characters that CSV and JSON must carry intact. */
export const launch: AuditRecord = {
  Id: 'E2A84675-8952-4D91-A2EA-4D89F310F1A7',
  CreationTime: '2026-11-20T23:59:59',
  RecordType: 256,
  Operation: 'LaunchPowerApp',
  Workload: 'PowerPlatform',
  UserId: 'José.Müller@contoso.com',
  UserType: 0,
  UserKey: '7ff1e0f1-e2a4-48a0-874e-34db43893df1',
  OrganizationId: '33333333-3333-3333-3333-333333333333',
  ResultStatus: 'Succeeded',
  ClientIP: '[fdfd::555]:12346',
  PropertyCollection: [{ Name: 'powerplatform.analytics.resource.power_app.display_name', Value: 'Ñandú, "Pérez"\r\nline 2 李小龙' }]
}
