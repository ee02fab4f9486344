/**
 * The repository stands on its own: what it cites is public documentation or a file in it, and
 * what it tells users to set is an input action.yml declares.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACTION_PATH, parseAction } from '../../scripts/readme-inputs.js'

const ROOT = resolve(import.meta.dirname, '../..')
const THIS_FILE = relative(ROOT, import.meta.filename)
const declared = new Set(parseAction(readFileSync(ACTION_PATH, 'utf8')).inputs.map((input) => input.name))

/** Generated, installed or third-party: not the project's own words. */
const SKIPPED = new Set(['.git', 'node_modules', 'build', 'coverage', 'dist', '.demo', 'tmp', 'package-lock.json'])

/** Every text file of the project, as a path relative to the root. */
function projectFiles(dir = ''): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    if (SKIPPED.has(name)) return []
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return projectFiles(path)
    return /\.(ts|js|mjs|json|ya?ml|md|txt|sh|example)$|^\.[a-z-]+$|^run$/.test(name) ? [path] : []
  })
}

/**
 * Names a message tells the user to set, as `Input 'x'`, `set 'x'` (also `set 'x: false'`),
 * `raise 'x'`, `lower 'x'`, `remove 'x'` or `check 'x'`, and names joined to one of those by
 * "and", "or", "nor", a comma or a slash (`set 'cloud' (or 'authority'/'audience')`).
 */
export function quotedInputNames(text: string): string[] {
  const name = String.raw`'([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?::[^'\n]*)?'`
  const lead = new RegExp(String.raw`\b(?:[Ii]nputs?|[Ss]et|[Rr]aise|[Ll]ower|[Rr]emove|[Cc]heck)\s+${name}`, 'g')
  const joined = new RegExp(String.raw`^\s*(?:,|and|or|nor|/|\(or)\s*${name}`)
  const names: string[] = []
  for (const match of text.matchAll(lead)) {
    names.push(match[1]!)
    let rest = text.slice(match.index + match[0].length)
    for (let next = joined.exec(rest); next; next = joined.exec(rest)) {
      names.push(next[1]!)
      rest = rest.slice(next[0].length)
    }
  }
  return names
}

/** GitHub's anchor for a Markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = anchorOf(heading!)
    const count = seen.get(base) ?? 0
    anchors.add(count === 0 ? base : `${base}-${count}`)
    seen.set(base, count + 1)
  }
  return anchors
}

describe('the repository is self-contained', () => {
  const files = projectFiles()

  it('finds the files it checks', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'action.yml', join('src', 'main.ts'), join('examples', 'audit-sync.yml')])
    )
  })

  it('cites no document outside the repository (research notes, design reviews, a parent folder)', () => {
    const outside = [
      /\.\.\/shared\b/,
      /\bshared\/research\b/,
      /\/work\/(?:shared|main|wt-)/,
      /\bDESIGN\.md\b/,
      /\bdesign-review/i,
      /\breference §/
    ]
    const citing = files
      .filter((file) => file !== THIS_FILE)
      .flatMap((file) => {
        const text = readFileSync(join(ROOT, file), 'utf8')
        return outside.filter((pattern) => pattern.test(text)).map((pattern) => `${file}: ${pattern}`)
      })
    expect(citing).toEqual([])
  })

  it('links from its Markdown only to files it has and to headings that exist', () => {
    const broken: string[] = []
    for (const file of files.filter((path) => path.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, file), 'utf8')
      const prose = text.replace(/```[\s\S]*?```/g, '')
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue
        const [path, anchor] = target!.split('#') as [string, string | undefined]
        const linked = path === '' ? file : join(dirname(file), path)
        if (!existsSync(join(ROOT, linked))) broken.push(`${file}: ${target} (no such file)`)
        else if (
          anchor !== undefined &&
          linked.endsWith('.md') &&
          !anchorsOf(readFileSync(join(ROOT, linked), 'utf8')).has(anchor)
        ) {
          broken.push(`${file}: ${target} (no such heading)`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it("promises in the action's messages only inputs action.yml declares", () => {
    const sources = files.filter((file) => file.startsWith('src/') && file.endsWith('.ts'))
    const mentioned = sources.flatMap((file) =>
      quotedInputNames(readFileSync(join(ROOT, file), 'utf8')).map((name) => ({ file, name }))
    )
    expect(mentioned.length).toBeGreaterThan(20)
    expect(mentioned.filter(({ name }) => !declared.has(name))).toEqual([])
  })

  it('reads input names the way messages write them', () => {
    expect(quotedInputNames("Input 'no-such-input' must be set")).toEqual(['no-such-input'])
    expect(quotedInputNames("or set 'open-issue: false'. The data was committed.")).toEqual(['open-issue'])
    expect(quotedInputNames("set 'cloud' (or 'authority'/'audience') to the tenant's cloud")).toEqual([
      'cloud',
      'authority',
      'audience'
    ])
    expect(quotedInputNames("Input 'format' must be 'csv' or 'parquet'")).toEqual(['format'])
    expect(quotedInputNames("the token needs 'contents: write'")).toEqual([])
  })

  it('names in .env.example only inputs action.yml declares', () => {
    const names = [...readFileSync(join(ROOT, '.env.example'), 'utf8').matchAll(/^INPUT_([A-Z0-9-]+)=/gm)].map(
      (match) => match[1]!.toLowerCase()
    )
    expect(names.length).toBeGreaterThan(3)
    expect(names.filter((name) => !declared.has(name))).toEqual([])
  })
})
