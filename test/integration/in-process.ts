/**
 * The action run in the test's own process: `run()` of src/main.ts against the Management API
 * emulator and the GitHub fake, through a port that records what the action said, as the
 * runner would show it. The end-to-end tests run the shipped bundle in a child process; these
 * reach every branch of the orchestration quickly, and count towards coverage.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getCACertificates, setDefaultCACertificates } from 'node:tls'
import type { ActionsContext } from '../../src/action/run-context.js'
import type { ActionPort, Runtime } from '../../src/action/runtime.js'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { run } from '../../src/main.js'
import { BRANCH, CLIENT, GITHUB_TOKEN, SECRET, TENANT, type World } from '../e2e/world.js'

/** What the action said through its port. */
export interface PortRecord {
  /** Every line, as the log shows it: `::debug::`, `info`, `::notice::`, `::warning title=…::`, `::error …::`, group markers. */
  log: string[]
  warnings: { message: string; title?: string | undefined }[]
  errors: { message: string; title?: string | undefined }[]
  outputs: Record<string, string>
  summary: string
  secrets: string[]
  failed: string | undefined
  /** Audiences GitHub ID tokens were asked for. */
  idTokens: string[]
}

/** A port that answers inputs from a map and records everything else. */
export function recordingPort(
  inputs: Readonly<Record<string, string>>,
  idToken?: (audience: string) => Promise<string>
): { port: ActionPort; record: PortRecord } {
  const record: PortRecord = {
    log: [],
    warnings: [],
    errors: [],
    outputs: {},
    summary: '',
    secrets: [],
    failed: undefined,
    idTokens: []
  }
  const port: ActionPort = {
    getInput: (name) => inputs[name] ?? '',
    setSecret: (value) => void record.secrets.push(value),
    getIDToken: async (audience) => {
      record.idTokens.push(audience)
      if (!idToken) throw new Error('this job may not ask for an ID token')
      return idToken(audience)
    },
    debug: (message) => void record.log.push(`::debug::${message}`),
    info: (message) => void record.log.push(message),
    notice: (message) => void record.log.push(`::notice::${message}`),
    warning: (message, title) => {
      record.warnings.push({ message, title })
      record.log.push(`::warning title=${title ?? ''}::${message}`)
    },
    error: (message, title) => {
      record.errors.push({ message, title })
      record.log.push(`::error title=${title ?? ''}::${message}`)
    },
    group: async (name, work) => {
      record.log.push(`::group::${name}`)
      try {
        return await work()
      } finally {
        record.log.push('::endgroup::')
      }
    },
    setOutput: (name, value) => void (record.outputs[name] = String(value)),
    appendSummary: async (html) => void (record.summary += html),
    setFailed: (message) => {
      record.failed = message
      record.log.push(`::error::${message}`)
    }
  }
  return { port, record }
}

/** The context @actions/github would read on a runner, for the fake's repository. */
export function runnerContext(world: World): ActionsContext {
  return {
    serverUrl: 'https://github.com',
    apiUrl: world.github.url,
    runId: 4242,
    repo: { owner: 'contoso', repo: 'audit' }
  }
}

/** Trusts the emulator's throwaway certificate in this process, beside the usual roots. */
export function trustEmulator(world: World): void {
  setDefaultCACertificates([...getCACertificates('default'), readFileSync(world.emulator.caCertPath, 'utf8')])
}

/** Runs the action in this process against the world's fakes; `inputs` add to (or blank) the defaults. */
export async function runInProcess(
  world: World,
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>
    now?: () => Date
    workspace?: string
    idToken?: (audience: string) => Promise<string>
  } = {}
): Promise<PortRecord> {
  trustEmulator(world)
  const temp = await mkdtemp(join(tmpdir(), 'm365-action-run-'))
  try {
    const { port, record } = recordingPort(
      {
        'tenant-id': TENANT,
        'client-id': CLIENT,
        'client-secret': SECRET,
        authority: world.emulator.url,
        audience: world.emulator.url,
        'github-token': GITHUB_TOKEN,
        repository: 'contoso/audit',
        'data-branch': BRANCH,
        ...inputs
      },
      options.idToken
    )
    const runtime: Runtime = {
      port,
      env: {
        RUNNER_TEMP: temp,
        GITHUB_WORKSPACE: options.workspace ?? temp,
        GITHUB_WORKFLOW_REF: 'contoso/audit/.github/workflows/audit-sync.yml@refs/heads/main',
        [TEST_HOOKS.githubPacingMs]: '0',
        [TEST_HOOKS.retryBaseDelayMs]: '20',
        ...options.env
      },
      context: runnerContext(world),
      now: options.now ?? (() => new Date())
    }
    await run(runtime)
    return record
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}
