import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'

/**
 * The documentation users copy recipes from, as one text: README.md, then every page of docs/
 * by name. Read from the repository root, as the tests run.
 */
export async function userDocs(): Promise<string> {
  const pages = (await readdir('docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join('docs', name))
  return (await Promise.all(['README.md', ...pages].map((path) => readFile(path, 'utf8')))).join('\n')
}

/**
 * The DuckDB recipes of a README: the SQL of every `duckdb -c "…"` command in it, in order.
 * The docs promise these read the branch as it is; tests run them on a branch the action wrote.
 */
export function duckdbRecipes(markdown: string): string[] {
  return [...markdown.matchAll(/duckdb -c "([^"]+)"/g)].map((match) => match[1]!.replace(/\s+/g, ' ').trim())
}

/**
 * Runs a recipe as a reader would from the root of a clone of the data branch (`dir`): its
 * relative paths are taken from there. Returns the rows of its last statement as objects.
 */
export async function runRecipe(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const statements = sql
      .replaceAll(`('audit/`, `('${dir}/audit/`)
      .replaceAll(`('usage/`, `('${dir}/usage/`)
      .split(';')
      .map((statement) => statement.trim())
      .filter(Boolean)
    let rows: Record<string, unknown>[] = []
    for (const statement of statements)
      rows = (await connection.runAndReadAll(statement)).getRowObjects() as Record<string, unknown>[]
    return rows
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** What the READMEs' users-per-day recipe must give, computed from the records themselves. */
export function launchUsersPerDay(
  records: Iterable<{ time: string; operation?: string; userId?: string }>
): [string, number][] {
  const users = new Map<string, Set<string>>()
  for (const record of records) {
    if (record.operation !== 'LaunchPowerApp' || !record.userId) continue
    const day = record.time.slice(0, 10)
    users.set(day, (users.get(day) ?? new Set()).add(record.userId))
  }
  return [...users].map(([day, ids]): [string, number] => [day, ids.size]).sort(([a], [b]) => (a < b ? -1 : 1))
}

/** The rows of the users-per-day recipe as [day, users]. */
export function asUsersPerDay(rows: readonly Record<string, unknown>[]): [string, number][] {
  return rows.map((row) => [String(row['day']), Number(row['users'])])
}

/** Per app id, the last day a usage file shows launches of it: the README's last-launched recipe, computed without DuckDB. */
export function lastLaunchPerApp(
  usageFiles: ReadonlyMap<string, readonly { Date: string; AppId: string; Launches: string }[]>
): Map<string, string> {
  const last = new Map<string, string>()
  for (const rows of usageFiles.values()) {
    for (const row of rows) {
      if (Number(row.Launches) > 0 && row.Date > (last.get(row.AppId) ?? '')) last.set(row.AppId, row.Date)
    }
  }
  return last
}
