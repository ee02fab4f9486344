import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import type { AuditRecord } from '../../src/record/audit-record.js'
import { Column } from '../../src/record/columns.js'
import { CSV_FORMAT, csvField, encodeCsvRow } from '../../src/snapshot/format/csv.js'
import { PARQUET_FORMAT } from '../../src/snapshot/format/parquet.js'
import { convertPayload } from '../../src/snapshot/format/snapshot-format.js'
import { readPowerAppLaunch } from '../../src/usage/power-app-launch.js'
import { PowerAppsUsage, usagePath, USAGE_COLUMNS } from '../../src/usage/power-apps-usage.js'
import { countLaunch, renderUsageCsv } from '../../src/usage/power-apps-observer.js'
import { referenceRow } from './fixtures.js'

const APP = '6c39e97c-6ddd-4a37-afd4-494a605925cf'
const ENV = 'aa289efd-09f4-eaeb-bbb8-c08fc9e27d09'

/** A RecordType 256 launch, shaped as Microsoft's documented sample. */
function unified(
  id: string,
  user: string,
  extra: Partial<Record<'app' | 'appName' | 'env' | 'envName', string>> = {}
): AuditRecord {
  const pairs = [
    ['powerplatform.analytics.resource.power_app.display_name', extra.appName ?? 'TestEmptyApp'],
    ['powerplatform.analytics.resource.power_app.id', extra.app ?? APP],
    ['powerplatform.analytics.resource.environment.name', extra.envName ?? 'Contoso (default)'],
    ['powerplatform.analytics.resource.type', 'PowerApp'],
    ['powerplatform.analytics.activity.name', 'LaunchPowerApp'],
    ['powerplatform.analytics.resource.environment.id', extra.env ?? ENV]
  ]
  return {
    PropertyCollection: pairs.filter(([, value]) => value !== '').map(([Name, Value]) => ({ Name, Value })),
    EnvironmentId: extra.env ?? ENV,
    UserId: `${user}@Contoso.com`,
    Id: id,
    RecordType: 256,
    CreationTime: '2026-11-20T13:17:34',
    Operation: 'LaunchPowerApp',
    UserKey: `key-${user}`,
    Workload: 'PowerPlatform'
  }
}

/** A RecordType 45 launch: the app in AppName, the rest in AdditionalInfo's JSON text. */
function legacy(
  id: string,
  user: string,
  info: Record<string, string> = { environmentName: ENV.toUpperCase(), appDisplayName: 'Old name' }
): AuditRecord {
  return {
    CreationTime: '2026-11-20T09:15:02',
    Id: id,
    Operation: 'LaunchPowerApp',
    RecordType: 45,
    UserKey: `key-${user}`,
    Workload: 'PowerApps',
    UserId: `${user}@contoso.com`,
    AppName: APP.toUpperCase(),
    AdditionalInfo: JSON.stringify(info)
  }
}

describe('a LaunchPowerApp record, in either schema', () => {
  it('reads RecordType 256 from PropertyCollection and EnvironmentId', () => {
    expect(readPowerAppLaunch(unified('1', 'amber'))).toEqual({
      appId: APP,
      appName: 'TestEmptyApp',
      environmentId: ENV,
      environmentName: 'Contoso (default)',
      user: 'key-amber'
    })
  })

  it('reads RecordType 45 from AppName and the JSON in AdditionalInfo, ids lower-cased', () => {
    expect(readPowerAppLaunch(legacy('1', 'amber'))).toEqual({
      appId: APP,
      appName: 'Old name',
      environmentId: ENV,
      user: 'key-amber'
    })
    expect(readPowerAppLaunch({ ...legacy('1', 'amber'), AdditionalInfo: 'not json' })).toEqual({
      appId: APP,
      environmentId: '',
      user: 'key-amber'
    })
  })

  it('falls back to the lower-cased UserId without a UserKey, and to the environment pair without EnvironmentId', () => {
    const { UserKey: _key, EnvironmentId: _env, ...bare } = unified('1', 'Amber')
    expect(readPowerAppLaunch(bare)).toMatchObject({ environmentId: ENV, user: 'amber@contoso.com' })
  })

  it('takes the GUID at the end of an app id given as a path', () => {
    expect(readPowerAppLaunch(unified('1', 'a', { app: `/providers/Microsoft.PowerApps/apps/${APP}` }))?.appId).toBe(
      APP
    )
  })

  it('is nothing for other operations', () => {
    expect(readPowerAppLaunch({ ...unified('1', 'a'), Operation: 'DeletePowerApp' })).toBeUndefined()
    expect(readPowerAppLaunch({ Operation: 'launchpowerapp' })).toEqual({ appId: '', environmentId: '' })
  })
})

describe('usage of one day', () => {
  const launches: [AuditRecord, string][] = [
    [unified('u1', 'amber'), '2026-11-20T13:17:34Z'],
    [unified('u2', 'amber'), '2026-11-20T14:00:00Z'],
    [unified('u3', 'bob', { appName: 'Renamed, "v2"' }), '2026-11-20T15:00:00Z'],
    [legacy('l1', 'carol'), '2026-11-20T09:15:02Z'],
    [legacy('l2', 'dave', { environmentName: 'Default-99CA' }), '2026-11-20T10:00:00Z'],
    [
      unified('u4', 'erin', { app: 'B-APP', appName: '', env: 'default-99ca', envName: 'Ventas\r\nNorte' }),
      '2026-11-20T11:00:00Z'
    ]
  ]

  const count = (order: [AuditRecord, string][]) => {
    const usage = new PowerAppsUsage('2026-11-20')
    for (const [record, time] of order) usage.add(readPowerAppLaunch(record)!, time, String(record.Id))
    return usage
  }

  it('counts launches and distinct users per environment and app, across both schemas', () => {
    expect(count(launches).rows()).toEqual([
      {
        date: '2026-11-20',
        environmentId: ENV,
        environmentName: 'Contoso (default)',
        appId: APP,
        appName: 'Renamed, "v2"',
        launches: 4,
        uniqueUsers: 3
      },
      {
        date: '2026-11-20',
        environmentId: 'default-99ca',
        environmentName: 'Ventas\r\nNorte',
        appId: APP,
        appName: 'Renamed, "v2"',
        launches: 1,
        uniqueUsers: 1
      },
      {
        date: '2026-11-20',
        environmentId: 'default-99ca',
        environmentName: 'Ventas\r\nNorte',
        appId: 'b-app',
        appName: '',
        launches: 1,
        uniqueUsers: 1
      }
    ])
  })

  it('counts a record once by its Id, and gives the same rows whatever order the launches come in', () => {
    const usage = count([...launches, launches[0]!, launches[3]!])
    expect(usage.launches).toBe(6)
    expect(usage.rows()).toEqual(count([...launches].reverse()).rows())
  })

  it('writes the file with its header, in the snapshot CSV dialect, under usage/power-apps by day', () => {
    const file = renderUsageCsv(count(launches).rows())
    const table = parse(file) as string[][]
    expect(table[0]).toEqual([...USAGE_COLUMNS])
    expect(table[1]).toEqual(['2026-11-20', ENV, 'Contoso (default)', APP, 'Renamed, "v2"', '4', '3'])
    expect(table[2]?.[2]).toBe('Ventas\r\nNorte')
    expect(
      file.toString('utf8').startsWith('Date,EnvironmentId,EnvironmentName,AppId,AppName,Launches,UniqueUsers\r\n')
    ).toBe(true)
    expect(usagePath('2026-11-20')).toBe('usage/power-apps/2026/11/2026-11-20.csv')
  })
})

describe('names a spreadsheet would take for formulas', () => {
  it('are written with a leading apostrophe in the usage file, and only those', () => {
    const hostile = '=HYPERLINK("https://example.invalid/?steal","Open me")'
    const usage = new PowerAppsUsage('2026-11-20')
    const rows = [
      [unified('f1', 'amber', { appName: hostile }), '2026-11-20T10:00:00Z'],
      [
        unified('f2', 'bob', { app: 'C-APP', appName: '+SUM(1,2)', env: 'env-c', envName: '@cmd' }),
        '2026-11-20T10:01:00Z'
      ],
      [
        unified('f3', 'carol', { app: 'D-APP', appName: '-10 apps\tx', env: 'env-d', envName: '\tTabbed' }),
        '2026-11-20T10:02:00Z'
      ],
      [unified('f4', 'dave', { app: 'E-APP', appName: 'Plain = name' }), '2026-11-20T10:03:00Z']
    ] as [AuditRecord, string][]
    for (const [record, time] of rows) usage.add(readPowerAppLaunch(record)!, time, String(record.Id))
    const table = parse(renderUsageCsv(usage.rows())) as string[][]
    const names = new Map(table.slice(1).map((row) => [row[3], [row[2], row[4]]]))
    expect(names.get(APP)?.[1]).toBe(`'${hostile}`)
    expect(names.get('c-app')).toEqual(["'@cmd", "'+SUM(1,2)"])
    // Names are trimmed when read; what is left of this one starts no formula.
    expect(names.get('d-app')).toEqual(['Tabbed', "'-10 apps\tx"])
    expect(names.get('e-app')?.[1]).toBe('Plain = name')
    // No cell of the file starts a formula.
    for (const row of table.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
  })
})

describe('launches among day-file rows', () => {
  const line = (record: AuditRecord, time = '2026-11-20T10:00:00Z') => encodeCsvRow(referenceRow(record, time))

  it('reads the Operation column of a CSV row alone, past quoted fields', () => {
    const operation = (record: AuditRecord): string => csvField(line(record), Column.Operation).toString('utf8')
    expect(operation({ Id: 'x, "quoted"', Operation: 'LaunchPowerApp' })).toBe('LaunchPowerApp')
    expect(operation({ Id: 'x', RecordType: 'a,b', Operation: 'LaunchPowerApp' })).toBe('LaunchPowerApp')
    expect(operation({ Id: 'x', Operation: 'Say "hi", then go' })).toBe('Say "hi", then go')
    expect(csvField(line({ Id: 'x', Operation: 'Op' }), Column.AuditData).toString('utf8')).toBe(
      '{"Id":"x","Operation":"Op"}'
    )
    expect(csvField(Buffer.from('a,b\r\n'), Column.Operation)).toEqual(Buffer.alloc(0))
  })

  it.each([
    ['CSV lines', (payload: Buffer) => payload, CSV_FORMAT],
    ['field frames (Parquet)', (payload: Buffer) => convertPayload(payload, CSV_FORMAT, PARQUET_FORMAT), PARQUET_FORMAT]
  ] as const)(
    'counts only launch rows of %s, in any case, leaves their bytes as they were, and ignores a launch whose AuditData is not JSON',
    (_, as, format) => {
      const usage = new PowerAppsUsage('2026-11-20')
      const rows = [
        line(unified('u1', 'amber')),
        line({ ...legacy('l1', 'bob'), Operation: 'LAUNCHPOWERAPP' }),
        line({ Id: 't', Operation: 'MemberAdded', Workload: 'MicrosoftTeams' }),
        line({ ...unified('u2', 'carol'), Operation: 'LaunchPowerApps' }),
        encodeCsvRow([...referenceRow(unified('u9', 'x'), '2026-11-20T10:00:00Z').slice(0, -1), '{not json'])
      ].map(as)
      const copies = rows.map((row) => Buffer.from(row))
      rows.forEach((payload, index) =>
        countLaunch(usage, { time: '2026-11-20T10:00:00Z', id: `r${index}`, payload }, format)
      )
      expect(rows).toEqual(copies)
      expect(usage.rows()).toEqual([expect.objectContaining({ appId: APP, launches: 2, uniqueUsers: 2 })])
    }
  )
})
