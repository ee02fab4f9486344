/**
 * The shape of src/, kept by a test: the folders ("parts") import one another without a
 * cycle, the top level holds only the entry, the composition root and the orchestrator, and
 * only the composition root and the action's boundary reach the runner (@actions/core,
 * process.env). docs/how-it-works.md draws the parts as layers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../../src')

/** Every TypeScript file of src/, relative to it, with forward slashes. */
function sourceFiles(dir = ''): string[] {
  return readdirSync(join(SRC, dir)).flatMap((name) => {
    const path = dir === '' ? name : `${dir}/${name}`
    if (statSync(join(SRC, path)).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The relative files a source imports (types included: a type import ties parts as much). */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = []
  for (const [, specifier] of text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    found.push(posix.normalize(posix.join(posix.dirname(file), specifier!)).replace(/\.js$/, '.ts'))
  }
  return found
}

/** The part a file belongs to: its top-level folder, or the file itself at the top. */
export function partOf(file: string): string {
  const slash = file.indexOf('/')
  return slash < 0 ? file.replace(/\.ts$/, '') : file.slice(0, slash)
}

/** The graph of parts: which parts each part imports, and through which files. */
export function partGraph(files: ReadonlyMap<string, string>): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>()
  for (const [file, text] of files) {
    const from = partOf(file)
    const edges = graph.get(from) ?? new Map<string, string[]>()
    graph.set(from, edges)
    for (const target of importsOf(file, text)) {
      const to = partOf(target)
      if (to === from) continue
      edges.set(to, [...(edges.get(to) ?? []), `${file} -> ${target}`])
    }
  }
  return graph
}

/** Strongly connected components of more than one part (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    index.set(node, next)
    low.set(node, next++)
    stack.push(node)
    onStack.add(node)
    for (const target of graph.get(node)?.keys() ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      for (let member = stack.pop()!; ; member = stack.pop()!) {
        onStack.delete(member)
        component.push(member)
        if (member === node) break
      }
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

/** Source text without its comments (a comment may name what the code must not use). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

const files = new Map(sourceFiles().map((file) => [file, readFileSync(join(SRC, file), 'utf8')]))
const graph = partGraph(files)

describe('the layers of src/', () => {
  it('reads the imports of every part', () => {
    expect([...graph.keys()]).toEqual(expect.arrayContaining(['main', 'sync', 'snapshot', 'record', 'branch']))
    expect(graph.get('sync')?.has('snapshot')).toBe(true)
  })

  it('has no cycle between its parts (folders, and the files at the top)', () => {
    const described = cycles(graph).map((component) =>
      component.flatMap((part) => component.flatMap((other) => graph.get(part)?.get(other) ?? [])).join('\n')
    )
    expect(described).toEqual([])
  })

  it('holds at the top only the entry, the composition root and the orchestrator', () => {
    expect(sourceFiles().filter((file) => !file.includes('/'))).toEqual(['index.ts', 'main.ts', 'sync.ts'])
  })

  it('reaches the runner (@actions/core, process.env) only from the composition root and the action boundary', () => {
    const reaching = [...files]
      .filter(([, text]) => /@actions\/core|process\.env/.test(withoutComments(text)))
      .map(([file]) => file)
      .filter((file) => file !== 'main.ts' && !file.startsWith('action/'))
    expect(reaching).toEqual([])
  })

  it('finds a cycle when there is one', () => {
    const looped = partGraph(
      new Map([
        ['a/x.ts', "import { y } from '../b/y.js'"],
        ['b/y.ts', "import type { z } from '../c/z.js'"],
        ['c/z.ts', "export { x } from '../a/x.js'"],
        ['d/w.ts', "import { y } from '../b/y.js'"]
      ])
    )
    expect(cycles(looped)).toEqual([['a', 'b', 'c']])
  })
})
