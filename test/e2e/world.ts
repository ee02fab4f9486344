import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../fake-github/index.js'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { runAction, type ActionResult } from './run-action.js'

const exec = promisify(execFile)

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
export const CLIENT = '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60'
export const SECRET = 'e2e~Secret.Value-0123456789abcdef'
export const GITHUB_TOKEN = 'ghs_e2eTokenValue0123456789'
export const BRANCH = 'audit-data'

/** The two fakes an end-to-end run talks to, and how to run the action against them. */
export interface World {
  emulator: Emulator
  github: FakeGitHub
  run(
    inputs: Record<string, string>,
    env?: Record<string, string>,
    timeoutMs?: number,
    killWhen?: () => boolean
  ): Promise<ActionResult>
  /** Every file on the data branch, path → text. */
  branchFiles(): Promise<Map<string, string>>
  /** Rows of every audit day CSV on the branch (under audit/), parsed with a CSV parser. */
  branchRows(): Promise<{ path: string; row: Record<string, string> }[]>
  head(): Promise<string | undefined>
  /** Extracts the branch into a directory (for DuckDB). */
  checkout(): Promise<string>
  close(): Promise<void>
}

/** Starts the Management API emulator and the GitHub fake, wired for the action. */
export async function startWorld(
  options: { emulator?: EmulatorOptions; github?: FakeGitHubOptions } = {}
): Promise<World> {
  const [emulator, github] = await Promise.all([
    startEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...options.emulator }),
    startFakeGitHub({ owner: 'contoso', repo: 'audit', token: GITHUB_TOKEN, ...options.github })
  ])
  const dirs: string[] = []
  const git = (args: string[]) => github.git(args)

  const head = async () =>
    (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${BRANCH}`]).catch(() => '')) || undefined

  const branchFiles = async () => {
    const files = new Map<string, string>()
    for (const [path, bytes] of await github.readAllFiles(BRANCH)) files.set(path, bytes.toString('utf8'))
    return files
  }

  return {
    emulator,
    github,
    run: (inputs, env = {}, timeoutMs, killWhen) =>
      runAction({
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(killWhen ? { killWhen } : {}),
        inputs: {
          'tenant-id': TENANT,
          'client-id': CLIENT,
          'client-secret': SECRET,
          authority: emulator.url,
          audience: emulator.url,
          'github-token': GITHUB_TOKEN,
          repository: 'contoso/audit',
          'data-branch': BRANCH,
          ...inputs
        },
        env: {
          GITHUB_API_URL: github.url,
          NODE_EXTRA_CA_CERTS: emulator.caCertPath,
          // Fakes on loopback: no GitHub secondary limits to be polite to, and a failing API
          // call is retried after milliseconds, not seconds (the action's test hooks).
          [TEST_HOOKS.githubPacingMs]: '0',
          [TEST_HOOKS.retryBaseDelayMs]: '20',
          ...env
        }
      }),
    branchFiles,
    async branchRows() {
      const rows: { path: string; row: Record<string, string> }[] = []
      for (const [path, text] of await branchFiles()) {
        if (!path.startsWith('audit/') || !path.endsWith('.csv')) continue
        for (const row of parse(text, { columns: true }) as Record<string, string>[]) rows.push({ path, row })
      }
      return rows
    },
    head,
    async checkout() {
      const dir = await mkdtemp(join(tmpdir(), 'm365-branch-'))
      dirs.push(dir)
      await exec('sh', ['-c', `git --git-dir="$0" archive "$1" | tar -x -C "$2"`, github.repoPath, BRANCH, dir])
      return dir
    },
    async close() {
      await Promise.all([
        emulator.close(),
        github.close(),
        ...dirs.map((dir) => rm(dir, { recursive: true, force: true }))
      ])
    }
  }
}

/** The UTC day file a record belongs in. */
export function expectedPath(contentType: string, creationTime: string): string {
  const day = new Date(`${creationTime.replace(/Z$/, '')}Z`).toISOString().slice(0, 10)
  return `audit/${contentType}/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.csv`
}

/** Every CSV file under a directory, recursively. */
export async function csvFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true })
  return entries.filter((entry) => entry.endsWith('.csv')).map((entry) => join(dir, entry))
}

/** `t` floored to the hour. */
export function hourFloor(t: number): Date {
  return new Date(Math.floor(t / 3_600_000) * 3_600_000)
}

/**
 * A backfill of the `hours` hours before the last full hour (the hour under way and the one
 * before it are left out): its `start` and `end` inputs, and the same bounds as dates, to
 * generate the blobs it lists.
 */
export function backfillRange(hours: number): { inputs: Record<string, string>; from: Date; to: Date } {
  const to = hourFloor(Date.now() - 3_600_000)
  const from = new Date(to.getTime() - hours * 3_600_000)
  return { inputs: { start: from.toISOString(), end: to.toISOString() }, from, to }
}

/**
 * An administrator disables the Audit.General subscription as the first listing arrives:
 * every window fails with AF20023, which is not retried, and the run opens the failure issue.
 */
export function disableWhenListing(world: World): void {
  const { emulator } = world
  emulator.subscriptions.enable('Audit.General')
  emulator.faults.add({
    route: 'content',
    kind: 'slow',
    delayMs: 0,
    times: 1,
    match: () => {
      emulator.subscriptions.disableByAdmin('Audit.General')
      return false
    }
  })
}
