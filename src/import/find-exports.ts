import { glob, realpath, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { ImportFileError } from './read-export.js'

/** A file to import: its path, and how messages show it (relative to the workspace). */
export interface ExportPath {
  path: string
  shown: string
}

/**
 * The files the `import` patterns match, relative to the workspace (GITHUB_WORKSPACE, where
 * actions/checkout puts the repository), in a stable order, each once. Directories are
 * ignored. A pattern that matches no file is an error: an import that silently imports
 * nothing would look like a success.
 */
export async function findExports(patterns: readonly string[], workspace: string): Promise<ExportPath[]> {
  const found = new Map<string, ExportPath>()
  const root = await realpath(workspace)
  for (const pattern of patterns) {
    let matched = 0
    for await (const match of glob(pattern, { cwd: workspace })) {
      const path = resolve(workspace, match)
      if (!(await stat(path)).isFile()) continue
      // Exports come from the repository: a pattern (`../`, an absolute path) or a link that
      // leads out of the workspace would commit a runner's file to the branch.
      if (!isInside(root, await realpath(path))) {
        throw new ImportFileError(
          `Input 'import': '${pattern}' matches ${JSON.stringify(shownPath(path, workspace))}, which is outside the workspace ` +
            `(or a link out of it); import only files of the checked-out repository, under ${workspace}.`
        )
      }
      matched++
      if (!found.has(path)) found.set(path, { path, shown: shownPath(path, workspace) })
    }
    if (matched === 0) {
      throw new ImportFileError(
        `Input 'import': '${pattern}' matches no file under ${workspace}. Patterns are relative to the workspace and match files ` +
          `(for a folder, write exports/*.csv); check out the repository that holds the exports first (actions/checkout), ` +
          `and check the path and the case of the names.`
      )
    }
  }
  return [...found.values()].sort((a, b) => (a.shown < b.shown ? -1 : a.shown > b.shown ? 1 : 0))
}

function isInside(root: string, path: string): boolean {
  const inside = relative(root, path)
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)
}

function shownPath(path: string, workspace: string): string {
  const inside = relative(workspace, path)
  return inside.startsWith('..') || isAbsolute(inside) ? path : inside
}
