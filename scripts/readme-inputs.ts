/**
 * `npm run docs`: renders the inputs and outputs of action.yml as the README's two tables,
 * between their marker comments, so that the README never says something action.yml does
 * not. test/unit/readme-inputs.test.ts fails when the two drift apart.
 *
 * Runs straight under Node 24 (type stripping), hence no TypeScript beyond type annotations.
 *
 *   node scripts/readme-inputs.ts          rewrite the tables in README.md
 *   node scripts/readme-inputs.ts --check  exit 1 when README.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

const ROOT = resolve(import.meta.dirname, '..')
export const ACTION_PATH = join(ROOT, 'action.yml')
export const README_PATH = join(ROOT, 'README.md')

/** One input of action.yml, as the runner reads it. */
export interface ActionInput {
  name: string
  description: string
  required: boolean
  /** Undefined when action.yml gives none. */
  default: string | undefined
}

/** One output of action.yml. */
export interface ActionOutput {
  name: string
  description: string
}

/** The parts of action.yml the README documents. */
export interface ActionMetadata {
  inputs: ActionInput[]
  outputs: ActionOutput[]
}

/** The README's generated blocks, by the name in their markers. */
const BLOCKS = ['inputs', 'outputs'] as const
type Block = (typeof BLOCKS)[number]

/** Reads action.yml text; throws naming the entry that is not what the runner expects. */
export function parseAction(source: string): ActionMetadata {
  const action = parse(source) as { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null
  const inputs = Object.entries(action?.inputs ?? {}).map(([name, spec]): ActionInput => {
    const entry = record(spec, `input '${name}'`)
    return {
      name,
      description: text(entry.description, `input '${name}' description`),
      required: entry.required === true || entry.required === 'true',
      default: entry.default === undefined || entry.default === null ? undefined : String(entry.default)
    }
  })
  const outputs = Object.entries(action?.outputs ?? {}).map(([name, spec]): ActionOutput => {
    const entry = record(spec, `output '${name}'`)
    return { name, description: text(entry.description, `output '${name}' description`) }
  })
  return { inputs, outputs }

  function record(value: unknown, what: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null) throw new Error(`action.yml: ${what} must be a mapping.`)
    return value as Record<string, unknown>
  }
  function text(value: unknown, what: string): string {
    if (typeof value !== 'string' || value.trim() === '')
      throw new Error(`action.yml: ${what} is missing; every input and output needs one.`)
    return value.trim()
  }
}

/** The inputs as a Markdown table, in action.yml's order. */
export function renderInputs(inputs: readonly ActionInput[]): string {
  return [
    '| input | required | default | description |',
    '|---|---|---|---|',
    ...inputs.map(
      (input) =>
        `| \`${input.name}\` | ${input.required ? 'yes' : 'no'} | ${code(input.default)} | ${cell(input.description)} |`
    )
  ].join('\n')
}

/** The outputs as a Markdown table, in action.yml's order. */
export function renderOutputs(outputs: readonly ActionOutput[]): string {
  return [
    '| output | description |',
    '|---|---|',
    ...outputs.map((output) => `| \`${output.name}\` | ${cell(output.description)} |`)
  ].join('\n')
}

/** The README with both generated blocks rendered from the metadata. */
export function updateReadme(readme: string, action: ActionMetadata): string {
  const tables: Record<Block, string> = { inputs: renderInputs(action.inputs), outputs: renderOutputs(action.outputs) }
  let result = readme
  for (const block of BLOCKS) {
    const start = `<!-- ${block}:start -->`
    const end = `<!-- ${block}:end -->`
    const from = result.indexOf(start)
    const to = result.indexOf(end)
    if (from < 0 || to < from)
      throw new Error(
        `README.md has no '${start}' ... '${end}' block; add the two markers where the ${block} table belongs.`
      )
    const note = `<!-- generated from action.yml by \`npm run docs\`; edit action.yml, not this table -->`
    result = `${result.slice(0, from + start.length)}\n${note}\n\n${tables[block]}\n\n${result.slice(to)}`
  }
  return result
}

/** A default as inline code; a value holding backticks is fenced with two. */
function code(value: string | undefined): string {
  if (value === undefined || value === '') return ''
  return value.includes('`') ? `\`\` ${cell(value)} \`\`` : `\`${cell(value)}\``
}

/** Text for a table cell: one line, pipes escaped. */
function cell(value: string): string {
  return value.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|')
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const readme = readFileSync(README_PATH, 'utf8')
  const updated = updateReadme(readme, parseAction(readFileSync(ACTION_PATH, 'utf8')))
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md does not match action.yml: run npm run docs and commit README.md.')
      process.exitCode = 1
    }
  } else if (updated !== readme) {
    writeFileSync(README_PATH, updated)
    console.log('README.md: inputs and outputs tables rewritten from action.yml.')
  } else {
    console.log('README.md: inputs and outputs tables already match action.yml.')
  }
}
