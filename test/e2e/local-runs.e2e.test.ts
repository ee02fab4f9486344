/**
 * The two ways the action runs against `npm run fakes` outside this suite, checked here
 * against the shipped bundle: the CI job that runs `uses: ./`, and a local run with
 * .env.example. The fakes listen on free ports here, so that the suite never collides with a
 * `npm run fakes` someone left running.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { LOCAL_FAKES_PORTS, startLocalFakes, type LocalFakes } from './local-fakes.js'
import { runAction, type ActionResult } from './run-action.js'

const ROOT = resolve(import.meta.dirname, '../..')

let fakes: LocalFakes | undefined

afterEach(async () => {
  await fakes?.close()
  fakes = undefined
})

interface Step {
  name?: string
  id?: string
  uses?: string
  with?: Record<string, string | number | boolean>
}

/** The `with:` values of a step, each `${{ env.NAME }}` replaced as the runner would. */
function resolveInputs(step: Step, env: Record<string, string>): Record<string, string> {
  const inputs: Record<string, string> = {}
  for (const [name, value] of Object.entries(step.with ?? {})) {
    inputs[name] = String(value).replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
      const variable = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression)?.[1]
      if (!variable)
        throw new Error(`Step '${step.name}': this test resolves only \${{ env.NAME }}, not \${{ ${expression} }}.`)
      const resolved = env[variable]
      if (resolved === undefined) throw new Error(`Step '${step.name}': npm run fakes sets no ${variable}.`)
      return resolved
    })
  }
  return inputs
}

/** KEY=value lines, `#` comments and blank lines, as dotenv reads .env.example. */
function readDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(line.trim())
    if (match?.[1]) values[match[1]] = match[2] ?? ''
  }
  return values
}

describe('runs against npm run fakes', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it("CI's job: each `uses: ./` step of the emulator job, with its inputs, as the runner passes them", async () => {
    fakes = await startLocalFakes({ emulatorPort: 0, githubPort: 0, hours: 3 })
    const ci = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
      jobs: Record<string, { steps: Step[] }>
    }
    const steps = Object.values(ci.jobs)
      .flatMap((job) => job.steps)
      .filter((step) => step.uses === './' && String(step.with?.['github-api-url'] ?? '').includes('FAKES_'))
    expect(steps.map((step) => step.id)).toEqual(['sync', 'again'])

    const results: ActionResult[] = []
    // The runner's own GITHUB_API_URL (api.github.com, which a workflow cannot change) stays
    // as it is: only the step's 'github-api-url' may lead the action to the fake.
    for (const step of steps) results.push(await runAction({ inputs: resolveInputs(step, fakes.env), env: fakes.env }))
    const [first, second] = results
    expect(first?.exitCode, first?.visibleLog).toBe(0)
    expect(Number(first?.outputs['records-added'])).toBeGreaterThan(0)
    expect(await fakes.world.head()).toBe(first?.outputs['commit-sha'])
    expect(second?.exitCode, second?.visibleLog).toBe(0)
    expect(second?.outputs).toMatchObject({ 'records-added': '0', 'commit-sha': '' })
  })

  it('.env.example: what local-action loads reaches the fakes, and names their default ports', async () => {
    fakes = await startLocalFakes({ emulatorPort: 0, githubPort: 0, hours: 3 })
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8')
    expect(example).toContain(`https://127.0.0.1:${LOCAL_FAKES_PORTS.emulator}`)
    expect(example).toContain(`http://127.0.0.1:${LOCAL_FAKES_PORTS.github}`)
    const onThesePorts = example
      .replaceAll(`https://127.0.0.1:${LOCAL_FAKES_PORTS.emulator}`, fakes.world.emulator.url)
      .replaceAll(`http://127.0.0.1:${LOCAL_FAKES_PORTS.github}`, fakes.world.github.url)
    const { GITHUB_STEP_SUMMARY: _summary, ...env } = readDotenv(onThesePorts)

    // NODE_EXTRA_CA_CERTS comes from the command line, as .env.example says.
    const result = await runAction({
      inputs: {},
      env: { ...env, NODE_EXTRA_CA_CERTS: fakes.env.NODE_EXTRA_CA_CERTS ?? '' }
    })
    expect(result.exitCode, result.visibleLog).toBe(0)
    expect(Number(result.outputs['records-added'])).toBeGreaterThan(0)
    expect(await fakes.world.head()).toBe(result.outputs['commit-sha'])
  })
})
