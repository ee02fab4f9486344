/**
 * Audit record builders in the shapes the service emits: the common schema of
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema
 * and both Power Apps launch shapes of
 * https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps. Values
 * deliberately carry commas, double quotes, `\n`, `\r\n` and non-ASCII text, because those are
 * what break naive CSV writers.
 */
import type { ContentType } from './content-types.js'
import type { Rng } from './rng.js'

/** The record shapes the generator can make. */
export type RecordKind =
  | 'launch-unified'
  | 'launch-legacy'
  | 'delete-unified'
  | 'teams'
  | 'flow'
  | 'sharepoint'
  | 'exchange'
  | 'aad-login'
  | 'dlp'

/** Which kinds each content type carries, in a cycle (repeats act as weights). */
export const KINDS_BY_CONTENT_TYPE: Record<ContentType, readonly RecordKind[]> = {
  'Audit.General': [
    'launch-unified',
    'launch-legacy',
    'teams',
    'launch-unified',
    'flow',
    'delete-unified',
    'launch-unified',
    'teams',
    'launch-legacy',
    'flow'
  ],
  'Audit.SharePoint': ['sharepoint'],
  'Audit.Exchange': ['exchange'],
  'Audit.AzureActiveDirectory': ['aad-login'],
  'DLP.All': ['dlp']
}

/** People whose names exercise quoting and Unicode. */
export const PEOPLE = [
  { name: 'José Müller', upn: 'jose.muller@contoso.onmicrosoft.com', objectId: '7ff1e0f1-e2a4-48a0-874e-34db43893df1' },
  { name: '李小龙', upn: 'li.xiaolong@contoso.onmicrosoft.com', objectId: '0b6f3c1e-94a2-4d6b-8e0c-2f1a9c7d5e43' },
  {
    name: 'Ñandú, Pérez',
    upn: 'nandu.perez@contoso.onmicrosoft.com',
    objectId: 'c2d9a8e7-1f34-4b5c-9a6d-8e7f0a1b2c3d'
  },
  {
    name: 'Dana "DJ" O\'Neil',
    upn: 'dana.oneil@contoso.onmicrosoft.com',
    objectId: '5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170'
  },
  { name: 'Zoë Ødegård', upn: 'zoe.odegard@contoso.onmicrosoft.com', objectId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' }
] as const

/** Power Apps with awkward display names (newlines inside values included). */
export const APPS = [
  { id: '6c39e97c-6ddd-4a37-afd4-494a605925cf', name: 'Expenses, "Q4"\r\nreview' },
  { id: 'a81399c4-8e32-4460-b0d6-69d7d6c404e5', name: 'Inventário\nLoja 7' },
  { id: '3f0c7d52-91b4-4c1e-a6f2-7d8e9b0a1c2d', name: 'Café ☕ Orders' },
  { id: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70', name: '报销 (Reimbursement)' }
] as const

/** Environments; the app of record index i lives in environment i mod 2 (APPS has an even length). */
export const ENVIRONMENTS = [
  { id: 'aa289efd-09f4-eaeb-bbb8-c08fc9e27d09', name: 'Contoso (default)' },
  { id: 'default-99ca106f-1b5b-4e2c-9d3a-7e6f5a4b3c2d', name: 'Ventas, Norte' }
] as const

/** The environment of the app a record of this index launches. */
function environmentOf(index: number): (typeof ENVIRONMENTS)[number] {
  return ENVIRONMENTS[index % ENVIRONMENTS.length] ?? ENVIRONMENTS[0]
}

/** An environment id as the older Power Apps schema spells it. */
function legacyEnvironmentName(id: string): string {
  return id.replace(/^default-/, 'Default-')
}

const CLIENT_IPS = [
  '167.220.196.178',
  '79.159.10.151:12345',
  '[fdfd::555]:12346',
  '::ffff:172.172.34.12',
  '203.0.113.7'
] as const
const FILES = ['Budget, "final"\r\nv2.xlsx', 'Präsentation Q3.pptx', 'notes\nline2.txt', '合同.docx'] as const

/** Inputs of one record. */
export interface RecordContext {
  rng: Rng
  tenantId: string
  creationTime: Date
  /** Rotating index so every person/app/file shows up in modest data sets. */
  index: number
}

/** `2026-11-20T13:17:34`: UTC, no zone, no fraction, as the service writes `CreationTime`. */
export function formatCreationTime(date: Date): string {
  return date.toISOString().slice(0, 19)
}

/** Makes one record of `kind`. */
export function makeRecord(kind: RecordKind, ctx: RecordContext): Record<string, unknown> {
  const person = PEOPLE[ctx.index % PEOPLE.length] ?? PEOPLE[0]
  const app = APPS[ctx.index % APPS.length] ?? APPS[0]
  const base = {
    CreationTime: formatCreationTime(ctx.creationTime),
    Id: ctx.rng.guid()
  }
  const ip = ctx.rng.pick(CLIENT_IPS)
  switch (kind) {
    case 'launch-unified':
    case 'delete-unified':
      return unifiedPowerApp(
        kind === 'launch-unified' ? 'LaunchPowerApp' : 'DeletePowerApp',
        base,
        ctx,
        person,
        app,
        ip
      )
    case 'launch-legacy': {
      // The older schema names the environment in AdditionalInfo, as the Power Apps API names
      // environments (`Default-<tenant>` for the default one, where the newer schema writes
      // `default-…`), and leaves the display name out of some records.
      const env = environmentOf(ctx.index)
      const info =
        ctx.index % 3 === 0
          ? { environmentName: legacyEnvironmentName(env.id) }
          : { environmentName: legacyEnvironmentName(env.id), appDisplayName: app.name }
      return {
        ...base,
        Operation: 'LaunchPowerApp',
        OrganizationId: ctx.tenantId,
        RecordType: 45,
        ResultStatus: 'Succeeded',
        UserKey: person.objectId,
        UserType: 0,
        Version: 1,
        Workload: 'PowerApps',
        ClientIP: ip,
        UserId: person.upn,
        AppName: app.id,
        AdditionalInfo: JSON.stringify(info)
      }
    }
    case 'teams':
      return {
        ...base,
        Operation: 'MemberAdded',
        OrganizationId: ctx.tenantId,
        RecordType: 25,
        UserKey: person.objectId,
        UserType: 0,
        Version: 1,
        Workload: 'MicrosoftTeams',
        ClientIP: ip,
        UserId: person.upn,
        CommunicationType: 'Team',
        Members: [{ DisplayName: person.name, Role: 1, UPN: person.upn }],
        TeamName: 'Ventas, "Norte"\r\nEquipo',
        TeamGuid: `19:${ctx.rng.hex(32)}@thread.skype`
      }
    case 'flow':
      return {
        ...base,
        Operation: 'CreateFlow',
        OrganizationId: ctx.tenantId,
        RecordType: 30,
        ResultStatus: 'Succeeded',
        UserKey: person.objectId,
        UserType: 0,
        Version: 1,
        Workload: 'MicrosoftFlow',
        ObjectId: ctx.rng.guid(),
        UserId: person.upn,
        FlowConnectorNames: 'Office 365 Outlook, SharePoint, "Approvals"',
        FlowDetailsUrl: `https://make.powerautomate.com/environments/${ENVIRONMENTS[0].id}/flows/${ctx.rng.guid()}/details`,
        LicenseDisplayName: 'Microsoft 365 E5',
        UserUPN: person.upn
      }
    case 'sharepoint': {
      const file = FILES[ctx.index % FILES.length] ?? FILES[0]
      return {
        AppAccessContext: {
          AADSessionId: ctx.rng.guid(),
          CorrelationId: ctx.rng.guid(),
          UniqueTokenId: ctx.rng.hex(22)
        },
        ...base,
        Operation: 'FileAccessed',
        OrganizationId: ctx.tenantId,
        RecordType: 6,
        UserKey: `i:0h.f|membership|${ctx.rng.hex(16)}@live.com`,
        UserType: 0,
        Version: 1,
        Workload: 'SharePoint',
        ClientIP: ip,
        ObjectId: `https://contoso.sharepoint.com/sites/Finanzas/Shared Documents/${file}`,
        UserId: person.upn,
        EventSource: 'SharePoint',
        ItemType: 'File',
        SiteUrl: 'https://contoso.sharepoint.com/sites/Finanzas/',
        SourceFileExtension: file.split('.').pop() ?? '',
        SourceFileName: file,
        SourceRelativeUrl: 'Shared Documents'
      }
    }
    case 'exchange':
      return {
        ...base,
        Operation: 'Set-Mailbox',
        OrganizationId: ctx.tenantId,
        RecordType: 1,
        ResultStatus: 'True',
        UserKey: `NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)`,
        UserType: 2,
        Version: 1,
        Workload: 'Exchange',
        ClientIP: ip,
        ObjectId: `EURPR01A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/${person.name}`,
        UserId: person.upn,
        ExternalAccess: false,
        OrganizationName: 'contoso.onmicrosoft.com',
        Parameters: [
          { Name: 'Identity', Value: person.name },
          { Name: 'CustomAttribute1', Value: 'Línea 1\r\nLínea 2, "citada"' }
        ]
      }
    case 'aad-login':
      return {
        ...base,
        Operation: 'UserLoggedIn',
        OrganizationId: ctx.tenantId,
        RecordType: 15,
        ResultStatus: 'Success',
        UserKey: person.objectId,
        UserType: 0,
        Version: 1,
        Workload: 'AzureActiveDirectory',
        ClientIP: ip.replace(/:\d+$/, ''),
        ObjectId: '00000003-0000-0ff1-ce00-000000000000',
        UserId: person.upn,
        AzureActiveDirectoryEventType: 1,
        ExtendedProperties: [
          { Name: 'UserAgent', Value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' },
          { Name: 'RequestType', Value: 'OAuth2:Authorize' },
          { Name: 'ResultStatusDetail', Value: 'Success' }
        ],
        ModifiedProperties: [],
        Actor: [
          { ID: person.objectId, Type: 0 },
          { ID: person.upn, Type: 5 }
        ],
        ActorContextId: ctx.tenantId,
        ApplicationId: '89bee1f7-5e6e-4d8a-9f3d-ecd601259da7',
        ErrorNumber: '0',
        Target: [{ ID: '00000003-0000-0ff1-ce00-000000000000', Type: 0 }],
        TargetContextId: ctx.tenantId
      }
    case 'dlp':
      return {
        ...base,
        Operation: 'DLPRuleMatch',
        OrganizationId: ctx.tenantId,
        RecordType: 11,
        UserKey: person.objectId,
        UserType: 0,
        Version: 1,
        Workload: 'SharePoint',
        ObjectId: `https://contoso.sharepoint.com/sites/Finanzas/Shared Documents/${FILES[0]}`,
        UserId: person.upn,
        IncidentId: ctx.rng.guid(),
        PolicyDetails: [
          {
            PolicyId: ctx.rng.guid(),
            PolicyName: 'Tarjetas, "PCI"',
            Rules: [{ RuleName: 'Credit card >= 1', Severity: 'High' }]
          }
        ],
        SensitiveInfoDetectionIsIncluded: false
      }
  }
}

function unifiedPowerApp(
  operation: 'LaunchPowerApp' | 'DeletePowerApp',
  base: { CreationTime: string; Id: string },
  ctx: RecordContext,
  person: (typeof PEOPLE)[number],
  app: (typeof APPS)[number],
  ip: string
): Record<string, unknown> {
  const env = environmentOf(ctx.index)
  const clientIp = ip.replace(/:\d+$/, '')
  // Key order follows the captured sample: PropertyCollection first, common fields after.
  return {
    PropertyCollection: [
      { Name: 'powerplatform.analytics.resource.power_app.display_name', Value: app.name },
      { Name: 'powerplatform.analytics.resource.power_app.id', Value: app.id },
      { Name: 'powerplatform.analytics.resource.environment.name', Value: env.name },
      { Name: 'powerplatform.analytics.operation.is_successful', Value: 'True' },
      { Name: 'powerplatform.analytics.correlation.id', Value: ctx.rng.guid() },
      { Name: 'enduser.ip_address', Value: clientIp },
      {
        Name: 'user_agent.original',
        Value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)'
      },
      { Name: 'powerplatform.analytics.resource.type', Value: 'PowerApp' },
      { Name: 'version', Value: '1.0' },
      { Name: 'type', Value: 'PowerPlatformAdministratorActivityRecord' },
      { Name: 'powerplatform.analytics.activity.name', Value: operation },
      { Name: 'powerplatform.analytics.activity.id', Value: base.Id },
      { Name: 'powerplatform.analytics.resource.environment.id', Value: env.id },
      { Name: 'enduser.id', Value: person.objectId },
      { Name: 'powerplatform.analytics.resource.tenant.id', Value: ctx.tenantId },
      { Name: 'enduser.principal_name', Value: person.upn },
      { Name: 'enduser.role', Value: 'Admin' }
    ],
    EnvironmentId: env.id,
    UserId: person.upn,
    ClientIP: clientIp,
    Id: base.Id,
    RecordType: 256,
    CreationTime: base.CreationTime,
    Operation: operation,
    OrganizationId: ctx.tenantId,
    UserType: 0,
    UserKey: person.objectId,
    Workload: 'PowerPlatform',
    ResultStatus: 'Succeeded',
    Version: 1,
    RequiresCustomerKeyEncryption: false
  }
}
