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

interface Workflow {
  jobs?: Record<string, { steps?: Step[] }>
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
  const workflow = parse(readFileSync(join(ROOT, file), 'utf8')) as Workflow
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, { steps = [] }]) =>
    steps.filter((step) => isThisAction(step.uses)).map((step, index) => ({ where: `${file} job '${job}' step ${step.name ?? index + 1}`, step }))
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
      expect(given.filter((name) => !declared.has(name)), `${where}: inputs action.yml does not declare`).toEqual([])
      expect(required.filter((name) => !given.includes(name)), `${where}: required inputs missing`).toEqual([])
    }
  })
})

describe('dependabot', () => {
  it('updates npm packages and the workflows’ actions', () => {
    const config = parse(readFileSync(join(ROOT, '.github/dependabot.yml'), 'utf8')) as { updates: { 'package-ecosystem': string }[] }
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
  })
})
