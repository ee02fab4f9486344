import { parse } from 'csv-parse/sync'
import { expect } from 'vitest'
import { BRANCH, type World } from './world.js'

/** One row of a Power Apps usage file, as the test expects or reads it. */
export interface UsageRow {
  Date: string
  EnvironmentId: string
  EnvironmentName: string
  AppId: string
  AppName: string
  Launches: string
  UniqueUsers: string
}

/**
 * The usage files `records` should give, computed here from the records as served, without
 * the action's code: per UTC day of CreationTime, environment and app, the launches (each Id
 * once) and the distinct users (UserKey, else UserId, lower-cased), for LaunchPowerApp
 * records of both schemas. An app's or environment's name is the one its records show that
 * day (the emulator never renames), empty when none does. Keyed by the file's path.
 */
export function expectedUsageFiles(records: Iterable<Record<string, unknown>>): Map<string, UsageRow[]> {
  const groups = new Map<string, { day: string; env: string; app: string; ids: Set<string>; users: Set<string> }>()
  const appNames = new Map<string, Set<string>>()
  const envNames = new Map<string, Set<string>>()
  const note = (names: Map<string, Set<string>>, key: string, name: unknown) => {
    if (typeof name === 'string' && name !== '') names.set(key, (names.get(key) ?? new Set()).add(name))
  }
  for (const record of records) {
    if (record.Operation !== 'LaunchPowerApp') continue
    const day = new Date(`${String(record.CreationTime)}Z`).toISOString().slice(0, 10)
    let app: string
    let env: string
    if (record.RecordType === 256) {
      const pairs = Object.fromEntries(
        (record.PropertyCollection as { Name: string; Value: string }[]).map((pair) => [pair.Name, pair.Value])
      )
      app = String(pairs['powerplatform.analytics.resource.power_app.id']).toLowerCase()
      env = String(record.EnvironmentId).toLowerCase()
      note(appNames, `${day}|${app}`, pairs['powerplatform.analytics.resource.power_app.display_name'])
      note(envNames, `${day}|${env}`, pairs['powerplatform.analytics.resource.environment.name'])
    } else if (record.RecordType === 45) {
      const info = JSON.parse(String(record.AdditionalInfo)) as Record<string, string>
      app = String(record.AppName).toLowerCase()
      env = String(info.environmentName).toLowerCase()
      note(appNames, `${day}|${app}`, info.appDisplayName)
    } else {
      throw new Error(`a LaunchPowerApp record of RecordType ${String(record.RecordType)}`)
    }
    const key = `${day}|${env}|${app}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { day, env, app, ids: new Set(), users: new Set() }))
    group.ids.add(String(record.Id).toLowerCase())
    group.users.add(String(record.UserKey ?? record.UserId).toLowerCase())
  }
  const only = (names: Set<string> | undefined): string => {
    expect(names?.size ?? 0, 'one name per app or environment and day').toBeLessThanOrEqual(1)
    return names ? [...names][0]! : ''
  }
  const files = new Map<string, UsageRow[]>()
  const byEnvironmentThenApp = (a: { env: string; app: string }, b: { env: string; app: string }) =>
    a.env !== b.env ? (a.env < b.env ? -1 : 1) : a.app < b.app ? -1 : a.app > b.app ? 1 : 0
  for (const group of [...groups.values()].sort(byEnvironmentThenApp)) {
    const path = `usage/power-apps/${group.day.slice(0, 4)}/${group.day.slice(5, 7)}/${group.day}.csv`
    const rows = files.get(path) ?? []
    files.set(path, rows)
    rows.push({
      Date: group.day,
      EnvironmentId: group.env,
      EnvironmentName: only(envNames.get(`${group.day}|${group.env}`)),
      AppId: group.app,
      AppName: only(appNames.get(`${group.day}|${group.app}`)),
      Launches: String(group.ids.size),
      UniqueUsers: String(group.users.size)
    })
  }
  return files
}

/** The usage files on the data branch, parsed with a CSV parser, by path (no other file is read). */
export async function branchUsageFiles(world: World): Promise<Map<string, UsageRow[]>> {
  const files = new Map<string, UsageRow[]>()
  const paths = (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH]))
    .split('\n')
    .filter((path) => path.startsWith('usage/'))
  for (const path of paths)
    files.set(path, parse((await world.github.readFile(BRANCH, path)) ?? '', { columns: true }) as UsageRow[])
  return files
}
