import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ACTION_RUN_BUDGET_MS } from './budgets.js'

/** The shipped action, as GitHub runs it. */
export const ACTION_ENTRY = resolve(import.meta.dirname, '../../dist/index.js')

/** A zone with DST and a non-zero offset: the action must behave as if it were UTC. */
export const NON_UTC_ZONE = 'America/New_York'

/** How to run the action once. */
export interface ActionRun {
  /** Inputs by their action.yml names (`tenant-id`), as the runner passes them. */
  inputs: Record<string, string>
  /** Extra environment (GITHUB_API_URL, NODE_EXTRA_CA_CERTS, ...). */
  env?: Record<string, string>
  timeoutMs?: number
  /** Polled every few milliseconds; once it returns true the action is killed with SIGKILL. */
  killWhen?: () => boolean
}

/** A workflow command the action printed, such as `::error title=x::message`. */
export interface WorkflowCommand {
  command: string
  properties: Record<string, string>
  message: string
}

/** What a run left behind, for assertions. */
export interface ActionResult {
  exitCode: number | null
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  commands: WorkflowCommand[]
  errors: WorkflowCommand[]
  /** Values the action registered with `::add-mask::`. */
  masked: string[]
  /** Every line of stdout and stderr, minus the add-mask commands the runner consumes. */
  visibleLog: string
}

/**
 * Runs `node dist/index.js` with the environment a GitHub runner gives a JavaScript action:
 * `INPUT_<NAME>` variables (upper-cased, hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
 * files, the workspace and run variables, in a non-UTC zone. Nothing from the test process's
 * own environment leaks in except PATH and the Node binary.
 */
export async function runAction(run: ActionRun): Promise<ActionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'm365-action-run-'))
  try {
    const outputFile = join(dir, 'output.txt')
    const summaryFile = join(dir, 'summary.md')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      TZ: NON_UTC_ZONE,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: dir,
      GITHUB_REPOSITORY: 'contoso/audit',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW: 'audit-sync',
      GITHUB_WORKFLOW_REF: 'contoso/audit/.github/workflows/audit-sync.yml@refs/heads/main',
      GITHUB_EVENT_NAME: 'schedule',
      ...run.env
    }
    for (const [name, value] of Object.entries(run.inputs))
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value

    const { exitCode, signal, stdout, stderr } = await spawnNode(
      ACTION_ENTRY,
      env,
      run.timeoutMs ?? ACTION_RUN_BUDGET_MS,
      run.killWhen
    )
    const commands = parseCommands(stdout)
    const masked = commands.filter((c) => c.command === 'add-mask').map((c) => c.message)
    return {
      exitCode,
      signal,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      commands,
      errors: commands.filter((c) => c.command === 'error'),
      masked,
      visibleLog: `${stdout}\n${stderr}`
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function spawnNode(
  entry: string,
  env: Record<string, string>,
  timeoutMs: number,
  killWhen?: () => boolean
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`The action did not finish within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    }, timeoutMs)
    const poll = killWhen
      ? setInterval(() => {
          if (killWhen()) child.kill('SIGKILL')
        }, 2)
      : undefined
    child.on('error', reject)
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer)
      if (poll) clearInterval(poll)
      resolvePromise({ exitCode, signal, stdout, stderr })
    })
  })
}

/** Parses `::name k=v,k2=v2::message` lines, undoing the toolkit's escaping. */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = []
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!match) continue
    const [, command = '', props = '', message = ''] = match
    const properties: Record<string, string> = {}
    for (const pair of props ? props.split(',') : []) {
      const eq = pair.indexOf('=')
      if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1))
    }
    commands.push({ command, properties, message: unescapeData(message) })
  }
  return commands
}

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function unescapeProperty(text: string): string {
  return unescapeData(text).replace(/%3A/g, ':').replace(/%2C/g, ',')
}

/** Parses the GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const header = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '')
    if (header?.[1] && header[2]) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== header[2]; i++) value.push(lines[i] ?? '')
      outputs[header[1]] = value.join('\n')
    } else {
      const eq = (lines[i] ?? '').indexOf('=')
      if (eq > 0) outputs[(lines[i] ?? '').slice(0, eq)] = (lines[i] ?? '').slice(eq + 1)
    }
  }
  return outputs
}

/**
 * Lines of the visible log (and other texts) that show a secret in clear. The runner hides
 * masked values, but a secret that appears before its add-mask, or in a file, is a leak.
 */
export function findLeaks(secrets: readonly string[], texts: Record<string, string>): string[] {
  const leaks: string[] = []
  for (const [where, text] of Object.entries(texts)) {
    for (const secret of secrets) {
      if (secret && text.includes(secret)) leaks.push(`${where} shows a secret (${secret.slice(0, 3)}...)`)
    }
  }
  return leaks
}
