/** The Node the action is built for (action.yml: `runs.using: node24`). */
const NODE_MAJOR = 24

/** Why this Node cannot run the action, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1])
  if (major >= NODE_MAJOR) return undefined
  return (
    `m365-audit-sync needs Node ${NODE_MAJOR} or later; this is Node ${version}. On GitHub the runner starts it with ` +
    `Node ${NODE_MAJOR} (action.yml: runs.using node${NODE_MAJOR}); to run dist/index.js yourself, use Node ${NODE_MAJOR} ` +
    `(after npm ci: node_modules/.bin/node).`
  )
}
