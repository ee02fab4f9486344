import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ACTION_PATH,
  README_PATH,
  parseAction,
  renderInputs,
  updateReadme,
  type ActionMetadata
} from '../../scripts/readme-inputs.js'
import { readSettings, type InputSource } from '../../src/action/inputs.js'
import { Inputs, Outputs } from '../../src/action/settings.js'

const action = parseAction(readFileSync(ACTION_PATH, 'utf8'))
const readme = readFileSync(README_PATH, 'utf8')

describe('README tables of inputs and outputs', () => {
  it('are what action.yml says, defaults included (npm run docs rewrites them)', () => {
    // One assertion on the whole text, so the diff shows the drifted rows.
    expect(readme, 'README.md and action.yml drifted apart: run npm run docs and commit README.md').toBe(
      updateReadme(readme, action)
    )
  })

  it('notice a changed default, description or required flag', () => {
    const changes: ((metadata: ActionMetadata) => void)[] = [
      (metadata) => (metadata.inputs.find((input) => input.name === Inputs.Segment)!.default = '2h'),
      (metadata) => (metadata.inputs.find((input) => input.name === Inputs.Format)!.description += ' More.'),
      (metadata) => (metadata.inputs.find((input) => input.name === Inputs.DataBranch)!.required = true),
      (metadata) => (metadata.outputs.find((output) => output.name === Outputs.CommitSha)!.description = 'Changed.'),
      (metadata) =>
        metadata.inputs.push({ name: 'new-input', description: 'New.', required: false, default: undefined })
    ]
    for (const change of changes) {
      const changed = structuredClone(action)
      change(changed)
      expect(updateReadme(readme, changed)).not.toBe(readme)
    }
  })

  it('escape what would break a Markdown table', () => {
    const table = renderInputs([{ name: 'x', description: 'a | b\n  c', required: true, default: 'say `hi`' }])
    expect(table.split('\n').at(-1)).toBe('| `x` | yes | `` say `hi` `` | a \\| b c |')
  })

  it('say which markers are missing', () => {
    expect(() => updateReadme('# README\n<!-- inputs:start -->\n<!-- inputs:end -->\n', action)).toThrow(
      /no '<!-- outputs:start -->'/
    )
  })
})

describe('action.yml and the code agree', () => {
  it('on the names of inputs and outputs', () => {
    expect(action.inputs.map((input) => input.name).sort()).toEqual(Object.values(Inputs).sort())
    expect(action.outputs.map((output) => output.name).sort()).toEqual(Object.values(Outputs).sort())
  })

  it("on every default: the settings of action.yml's defaults are those of inputs left empty", () => {
    const required = {
      [Inputs.TenantId]: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      [Inputs.ClientId]: '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60',
      [Inputs.ClientSecret]: 'secret-value',
      [Inputs.GitHubToken]: 'ghs_token'
    }
    // Expressions such as ${{ github.token }} are the runner's to fill in, not the action's.
    const declared = Object.fromEntries(
      action.inputs
        .filter((input) => input.default !== undefined && !input.default.includes('${{'))
        .map((input) => [input.name, input.default!])
    )
    const settingsOf = (given: Record<string, string>) => {
      const source: InputSource = {
        getInput: (name) => given[name] ?? '',
        setSecret: () => {},
        env: {},
        currentRepository: 'contoso/audit'
      }
      return readSettings(source, new Date('2026-11-22T03:57:00Z')).settings
    }
    expect(Object.keys(declared).length).toBeGreaterThan(5)
    expect(settingsOf({ ...declared, ...required })).toEqual(settingsOf(required))
  })
})
