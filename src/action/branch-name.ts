/**
 * Git's rules for branch names (git-check-ref-format(1), plus the extra rules `git branch`
 * applies). Checked up front so a typo fails before any data is collected rather than at
 * commit time, when GitHub would answer with a bare 422.
 * Returns the reason the name is invalid, or undefined when git would accept it.
 */
export function explainInvalidBranchName(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name === '@') return "'@' alone is not a valid name"
  if (name.startsWith('-')) return "it must not start with '-'"
  if (name.startsWith('/') || name.endsWith('/')) return "it must not start or end with '/'"
  if (name.includes('//')) return "it must not contain '//'"
  if (name.includes('..')) return "it must not contain '..'"
  if (name.includes('@{')) return "it must not contain '@{'"
  if (name.endsWith('.')) return "it must not end with '.'"
  // Control characters are exactly what git refuses here.
  // eslint-disable-next-line no-control-regex
  const forbidden = /[\x00-\x20\x7f~^:?*[\\]/.exec(name)
  if (forbidden) return `it must not contain ${describeChar(forbidden[0])}`
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `the part '${component}' must not start with '.'`
    if (component.endsWith('.lock')) return `the part '${component}' must not end with '.lock'`
  }
  return undefined
}

function describeChar(char: string): string {
  if (char === ' ') return 'spaces'
  const code = char.charCodeAt(0)
  if (code < 0x20 || code === 0x7f) return 'control characters'
  return `'${char}'`
}
