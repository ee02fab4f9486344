import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeRecord } from '../emulator/records.js'
import { Rng } from '../emulator/rng.js'

/**
 * Purview audit exports made at test time, in the two layouts the action reads, with what
 * real ones carry: a UTF-8 BOM (classic), CRLF or LF rows, AuditData spanning lines (an
 * export re-indented by a tool), quotes doubled, and CreationDate in the exporting user's
 * locale and zone (never the record's UTC time).
 */

type AuditRecord = Record<string, unknown>

/** What was written, for the assertions. */
export interface WrittenExports {
  /** Relative paths of the files, in the workspace. */
  files: { path: string; format: 'classic' | 'search'; rows: number }[]
  /** Every record the files hold (copies once), by lower-cased Id. */
  records: Map<string, AuditRecord>
  /** Rows that are not records, with their file and first line. */
  bad: { file: string; line: number }[]
  /** Rows written in all. */
  rows: number
}

const CLASSIC_HEADER = 'CreationDate,UserIds,Operations,AuditData'
const SEARCH_HEADER =
  'RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames'
const DAY = 24 * 3_600_000

const quote = (text: string) => `"${text.replace(/"/g, '""')}"`
const pad = (n: number) => String(n).padStart(2, '0')

/** `6/26/2022 5:40:02 AM`, the time as someone in UTC-8 saw it. */
function usDate(utc: Date): string {
  const t = new Date(utc.getTime() - 8 * 3_600_000)
  const hour = t.getUTCHours() % 12 || 12
  return `${t.getUTCMonth() + 1}/${t.getUTCDate()}/${t.getUTCFullYear()} ${hour}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ${t.getUTCHours() < 12 ? 'AM' : 'PM'}`
}

/** `26.06.2022 14:40:02`, the time as someone in UTC+9 saw it. */
function germanDate(utc: Date): string {
  const t = new Date(utc.getTime() + 9 * 3_600_000)
  return `${pad(t.getUTCDate())}.${pad(t.getUTCMonth() + 1)}.${t.getUTCFullYear()} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`
}

const PEOPLE = [
  'jose.muller@contoso.onmicrosoft.com',
  'li.xiaolong@contoso.onmicrosoft.com',
  'dana.oneil@contoso.onmicrosoft.com',
  'zoe.odegard@contoso.onmicrosoft.com'
]

/** A compact record of the workload `kind`, as the API's common schema writes them. */
function compactRecord(kind: number, rng: Rng, tenantId: string, time: Date, index: number): AuditRecord {
  const user = PEOPLE[index % PEOPLE.length]!
  const base = {
    CreationTime: time.toISOString().slice(0, 19),
    Id: rng.guid(),
    OrganizationId: tenantId,
    UserKey: `1003${rng.hex(12)}`,
    UserType: 0,
    Version: 1
  }
  switch (kind) {
    case 0:
      return {
        ...base,
        Operation: 'FileAccessed',
        RecordType: 6,
        Workload: 'SharePoint',
        UserId: user,
        ObjectId: `https://contoso.sharepoint.com/sites/Finanzas/Budget, "final" ${index}.xlsx`
      }
    case 1:
      return {
        ...base,
        Operation: 'FileModified',
        RecordType: 6,
        Workload: 'OneDrive',
        UserId: user,
        ObjectId: `https://contoso-my.sharepoint.com/personal/notes ${index}.txt`
      }
    case 2:
      return {
        ...base,
        Operation: 'MailItemsAccessed',
        RecordType: 50,
        Workload: 'Exchange',
        UserId: user,
        ResultStatus: 'Succeeded',
        ClientIP: '203.0.113.7'
      }
    case 3:
      return {
        ...base,
        Operation: 'UserLoggedIn',
        RecordType: 15,
        Workload: 'AzureActiveDirectory',
        UserId: user,
        ResultStatus: 'Success',
        ClientIP: '79.159.10.151'
      }
    case 4:
      return {
        ...base,
        Operation: 'DLPRuleMatch',
        RecordType: 11,
        Workload: 'SharePoint',
        UserId: user,
        PolicyDetails: [{ PolicyName: 'Tarjetas, "PCI"' }]
      }
    default:
      return {
        ...base,
        Operation: 'MemberAdded',
        RecordType: 25,
        Workload: 'MicrosoftTeams',
        UserId: user,
        TeamName: 'Ventas, "Norte"'
      }
  }
}

/**
 * Writes `exports/classic.csv` and `exports/search.csv` under `workspace`: `rows` rows
 * between them, records `minDays`–`maxDays` old; `shared` records in both files; `extra`
 * records (copies of what the API served, say) added to the second with their keys in another
 * order; two bad rows in the second. About one record in 40 is a LaunchPowerApp (both
 * schemas), one in 97 has AuditData spanning lines.
 */
export async function writePurviewExports(
  workspace: string,
  options: {
    now: Date
    tenantId: string
    rows: number
    shared: number
    extra: readonly AuditRecord[]
    minDays: number
    maxDays: number
    seed: number
  }
): Promise<WrittenExports> {
  const rng = new Rng(options.seed)
  const records = new Map<string, AuditRecord>()
  const newest = options.now.getTime() - options.minDays * DAY
  const span = (options.maxDays - options.minDays) * DAY
  const make = (index: number): AuditRecord => {
    const time = new Date(Math.floor((newest - rng.next() * span) / 1000) * 1000)
    const record =
      index % 40 === 0
        ? makeRecord(index % 80 === 0 ? 'launch-legacy' : 'launch-unified', {
            rng,
            tenantId: options.tenantId,
            creationTime: time,
            index
          })
        : compactRecord(index % 6, rng, options.tenantId, time, index)
    records.set(String(record.Id).toLowerCase(), record)
    return record
  }
  const auditData = (record: AuditRecord, index: number, lineBreak: string) =>
    index % 97 === 0 ? JSON.stringify(record, null, 2).replace(/\n/g, lineBreak) : JSON.stringify(record)

  const half = Math.floor(options.rows / 2)
  const first = Array.from({ length: half }, (_, index) => make(index))
  const classic: string[] = [`\ufeff${CLASSIC_HEADER}\r\n`]
  first.forEach((record, index) => {
    const time = new Date(`${String(record.CreationTime)}Z`)
    classic.push(`${usDate(time)},${record.UserId},${record.Operation},${quote(auditData(record, index, '\r\n'))}\r\n`)
  })

  const bad: WrittenExports['bad'] = []
  const search: string[] = [`${SEARCH_HEADER}\n`]
  let line = 2
  const push = (record: AuditRecord | undefined, text: string) => {
    const fields = [
      String(record?.Id ?? ''),
      record ? germanDate(new Date(`${String(record.CreationTime)}Z`)) : '',
      String(record?.RecordType ?? ''),
      String(record?.Operation ?? ''),
      String(record?.UserId ?? ''),
      quote(text),
      '',
      ''
    ]
    search.push(`${fields.join(',')}\n`)
    line += text.split('\n').length
  }
  const secondCount = options.rows - half
  const sharedEvery = Math.floor(secondCount / options.shared)
  const extras = [...options.extra]
  for (let index = 0; index < secondCount; index++) {
    if (index === 1000 || index === 2000) {
      bad.push({ file: 'exports/search.csv', line })
      push(undefined, index === 1000 ? '{"Id": "cut' : '{"Id":"no-time","Operation":"X"}')
    } else if (extras.length > 0 && index % 7 === 3) {
      const record = extras.pop()!
      records.set(String(record.Id).toLowerCase(), record)
      push(record, JSON.stringify(Object.fromEntries(Object.entries(record).reverse())))
    } else if (index % sharedEvery === 0 && index / sharedEvery < options.shared) {
      const record = first[((index / sharedEvery) * 13) % half]!
      push(record, JSON.stringify(record))
    } else {
      const record = make(half + index)
      push(record, auditData(record, index, '\n'))
    }
  }
  if (extras.length > 0) throw new Error('too few rows for the extra records')
  await writeFile(join(workspace, 'exports', 'classic.csv'), classic.join(''))
  await writeFile(join(workspace, 'exports', 'search.csv'), search.join(''))
  return {
    files: [
      { path: 'exports/classic.csv', format: 'classic', rows: half },
      { path: 'exports/search.csv', format: 'search', rows: secondCount }
    ],
    records,
    bad,
    rows: options.rows
  }
}
