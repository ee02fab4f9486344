import { compareText as compare } from '../util/compare.js'
import type { PowerAppLaunch } from './power-app-launch.js'
import { sha256Prefix } from '../util/digest.js'

/** Columns of a Power Apps usage file, in file order. */
export const USAGE_COLUMNS = [
  'Date',
  'EnvironmentId',
  'EnvironmentName',
  'AppId',
  'AppName',
  'Launches',
  'UniqueUsers'
] as const

/** One row of a usage file: one app in one environment on one UTC day. */
export interface UsageRow {
  date: string
  environmentId: string
  environmentName: string
  appId: string
  appName: string
  launches: number
  uniqueUsers: number
}

/** `usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.csv`: the usage of one UTC day. */
export function usagePath(day: string): string {
  return `usage/power-apps/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.csv`
}

/**
 * `state/usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.json`: what a day's usage was counted from
 * (PowerAppsUsage.toState), kept while the day can still grow, so that a run adding rows to
 * it counts only them.
 */
export function usageStatePath(day: string): string {
  return `state/usage/power-apps/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.json`
}

/** What PowerAppsUsage keeps of a day, as JSON: users as keys (see userKey), names with the order of the record that gave them. */
export interface UsageState {
  version: 1
  day: string
  apps: { environmentId: string; appId: string; launches: number; users: string[] }[]
  appNames: Record<string, [name: string, order: string]>
  environmentNames: Record<string, [name: string, order: string]>
}

/**
 * Counts one UTC day's Power Apps launches per app and environment: launches (each record
 * once, by its Id) and distinct users. Display names are the latest the day shows for an
 * app or environment, from either schema (an app renamed during the day shows its new name;
 * a launch in the older schema, which names no environment, borrows the name a newer record
 * gives the same environment). The result depends only on the launches added, not on their
 * order, so a day gives the same rows whatever order its parts are read in.
 *
 * Memory: the launch Ids it was shown and, per app, its distinct users (as keys), never the
 * records. Its state (toState) survives between runs without the Ids: the rows a run adds to
 * a day are new to it (see day-keys.ts), so they are counted as they come.
 */
export class PowerAppsUsage {
  private readonly counts = new Map<
    string,
    { environmentId: string; appId: string; launches: number; users: Set<string> }
  >()
  private readonly ids = new Set<string>()
  private readonly appNames = new Map<string, Named>()
  private readonly environmentNames = new Map<string, Named>()

  constructor(readonly day: string) {}

  /** A day's usage as a state said it was (what toState wrote). */
  static fromState(state: UsageState): PowerAppsUsage {
    const usage = new PowerAppsUsage(state.day)
    for (const app of state.apps) {
      usage.counts.set(`${app.environmentId}\u0000${app.appId}`, { ...app, users: new Set(app.users) })
    }
    for (const [key, [name, order]] of Object.entries(state.appNames)) usage.appNames.set(key, { name, order })
    for (const [key, [name, order]] of Object.entries(state.environmentNames))
      usage.environmentNames.set(key, { name, order })
    return usage
  }

  /** What the usage was counted from, for fromState: the same state gives the same text. */
  toState(): UsageState {
    const named = (names: Map<string, Named>): Record<string, [string, string]> =>
      Object.fromEntries(
        [...names].sort(([a], [b]) => compare(a, b)).map(([key, { name, order }]) => [key, [name, order]])
      )
    return {
      version: 1,
      day: this.day,
      apps: this.sortedApps().map((entry) => ({
        environmentId: entry.environmentId,
        appId: entry.appId,
        launches: entry.launches,
        users: [...entry.users].sort()
      })),
      appNames: named(this.appNames),
      environmentNames: named(this.environmentNames)
    }
  }

  /** Adds a launch with its record's sort key (`time`, `id`); a second record with the same Id is not counted. */
  add(launch: PowerAppLaunch, time: string, id: string): void {
    if (this.ids.has(id)) return
    this.ids.add(id)
    const key = `${launch.environmentId}\u0000${launch.appId}`
    let entry = this.counts.get(key)
    if (!entry)
      this.counts.set(
        key,
        (entry = { environmentId: launch.environmentId, appId: launch.appId, launches: 0, users: new Set() })
      )
    entry.launches++
    if (launch.user) entry.users.add(userKey(launch.user))
    const order = `${time}\u0000${id}`
    if (launch.appName) remember(this.appNames, launch.appId, launch.appName, order)
    if (launch.environmentName) remember(this.environmentNames, launch.environmentId, launch.environmentName, order)
  }

  /** Launches counted so far (read once a day, when its files are written). */
  get launches(): number {
    let launches = 0
    for (const entry of this.counts.values()) launches += entry.launches
    return launches
  }

  /** The day's rows, sorted by environment id then app id (the same launches always give the same rows). */
  rows(): UsageRow[] {
    return this.sortedApps().map((entry) => ({
      date: this.day,
      environmentId: entry.environmentId,
      environmentName: this.environmentNames.get(entry.environmentId)?.name ?? '',
      appId: entry.appId,
      appName: this.appNames.get(entry.appId)?.name ?? '',
      launches: entry.launches,
      uniqueUsers: entry.users.size
    }))
  }

  /** By environment id then app id: the same launches always give the same rows and state. */
  private sortedApps() {
    return [...this.counts.values()].sort(
      (a, b) => compare(a.environmentId, b.environmentId) || compare(a.appId, b.appId)
    )
  }
}

interface Named {
  name: string
  order: string
}

/** Keeps the name of the latest record (by time, then Id) for a key. */
function remember(names: Map<string, Named>, key: string, name: string, order: string): void {
  const known = names.get(key)
  if (!known || order > known.order) names.set(key, { name, order })
}

/** The rows as cells, in USAGE_COLUMNS order, header first. */
export function usageTable(rows: readonly UsageRow[]): string[][] {
  return [
    [...USAGE_COLUMNS],
    ...rows.map((row) => [
      row.date,
      spreadsheetSafe(row.environmentId),
      spreadsheetSafe(row.environmentName),
      spreadsheetSafe(row.appId),
      spreadsheetSafe(row.appName),
      String(row.launches),
      String(row.uniqueUsers)
    ])
  ]
}

/**
 * A cell as text to a spreadsheet. The docs suggest opening usage files in Excel, and their
 * names come from the tenant's makers: a name that starts with `=`, `+`, `-` or `@` (or a tab
 * or carriage return) would be taken for a formula (`=HYPERLINK(…)`), so it gets a leading `'`,
 * as OWASP's advice for CSV exports has it (https://owasp.org/www-community/attacks/CSV_Injection).
 * The audit files stay as the API served them, byte for byte.
 */
function spreadsheetSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

/**
 * How a user is counted and kept: the first 12 bytes of the SHA-256 of what identifies them
 * (UserKey, else UserId, lower-cased), base64; distinct users stay distinct, and the state
 * on the branch names nobody.
 */
function userKey(user: string): string {
  return sha256Prefix(user, 12)
}
