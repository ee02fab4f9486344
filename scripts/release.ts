/**
 * `npm run release -- X.Y.Z`: tags a release of the action as GitHub's versioning guide for
 * actions describes (github.com/actions/toolkit, docs/action-versioning.md): an immutable
 * `vX.Y.Z`, and the major tag `vX` moved to it, which is what workflows pin (`@v0`).
 *
 * Before tagging it checks that the tree is clean, that dist/ was built from the sources as
 * committed, that package.json and CHANGELOG.md name the version, and that the version is not
 * released yet (here or on the remote). `vX` moves only to the highest release of its major, so
 * a fix of an older line never takes it back.
 *
 *   npm run release -- 0.2.0 --dry-run   print the checks' outcome and the git commands, change nothing
 *   npm run release -- 0.2.0             tag, then push both tags to origin
 *   npm run release -- 0.2.0 --no-push   tag locally only
 *   --remote NAME                        push to NAME instead of origin
 *
 * Runs straight under Node 24 (type stripping), hence no TypeScript beyond type annotations.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

/** A release version, `X.Y.Z`. */
export interface Version {
  major: number
  minor: number
  patch: number
}

/** What to release, and where. */
export interface ReleaseOptions {
  /** `X.Y.Z` or `vX.Y.Z`. */
  version: string
  /** The repository's working tree. */
  cwd: string
  dryRun: boolean
  push: boolean
  remote: string
  /** Whether dist/ was built from the sources as they are; by default `node scripts/dist-stamp.ts --check`. */
  distIsCurrent?: () => boolean
  /** Environment of the git commands (tests give an identity). */
  env?: NodeJS.ProcessEnv
  log?: (line: string) => void
}

/** What a release did, or (dry run) would do. */
export interface ReleaseResult {
  tag: string
  majorTag: string
  /** False when a higher release of the same major exists: `vX` stays where it is. */
  movesMajor: boolean
  commit: string
  /** The git commands, in order, as run (or as a dry run would run them). */
  commands: string[][]
}

/** A release that must not go ahead, and why. */
export class ReleaseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReleaseError'
  }
}

/** Parses `X.Y.Z` (a leading `v` allowed); pre-release and build suffixes are not used here. */
export function parseVersion(text: string): Version | undefined {
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim())
  return match ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } : undefined
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}

const format = (version: Version): string => `${version.major}.${version.minor}.${version.patch}`

/** The text under `## [X.Y.Z]` in a Keep a Changelog file, or undefined when there is no such section. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split(/\r?\n/)
  const start = lines.findIndex((line) => new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\]`).test(line))
  if (start < 0) return undefined
  const end = lines.findIndex((line, index) => index > start && /^## /.test(line))
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim()
}

/**
 * Checks, then tags `vX.Y.Z` on HEAD and moves `vX` to it (unless a higher `X.*.*` exists),
 * then pushes both in one atomic push. A dry run runs the checks and lists the commands.
 */
export function release(options: ReleaseOptions): ReleaseResult {
  const log = options.log ?? ((line: string) => console.log(line))
  const git = (args: string[]): string =>
    execFileSync('git', args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe']
    }).trim()

  const version = parseVersion(options.version)
  if (!version) throw new ReleaseError(`'${options.version}' is not a release version; give X.Y.Z, e.g. 0.2.0.`)
  const tag = `v${format(version)}`
  const majorTag = `v${version.major}`

  const dirty = git(['status', '--porcelain', '--untracked-files=normal'])
  if (dirty) throw new ReleaseError(`The working tree has changes; commit or stash them first:\n${dirty}`)

  const isDistCurrent = options.distIsCurrent ?? (() => distStampCheck(options.cwd))
  if (!isDistCurrent())
    throw new ReleaseError(
      'dist/ was not built from the committed sources: run npm run build, commit dist/, then release.'
    )

  const packageVersion = (JSON.parse(readFileSync(join(options.cwd, 'package.json'), 'utf8')) as { version?: string })
    .version
  if (packageVersion !== format(version)) {
    throw new ReleaseError(
      `package.json says version ${packageVersion}; set it to ${format(version)}, run npm run build (dist/ is stamped from package.json), and commit.`
    )
  }
  const notes = changelogSection(readFileSync(join(options.cwd, 'CHANGELOG.md'), 'utf8'), format(version))
  if (notes === undefined) {
    throw new ReleaseError(
      `CHANGELOG.md has no section '## [${format(version)}]'; move the Unreleased notes under '## [${format(version)}] - <date>' and commit.`
    )
  }

  const released = releasedVersions(git, options.remote)
  if (released.some((known) => compareVersions(known, version) === 0))
    throw new ReleaseError(`${tag} is already released; pick the next version.`)
  const highest = released.reduce<Version | undefined>(
    (top, known) => (!top || compareVersions(known, top) > 0 ? known : top),
    undefined
  )
  if (highest && compareVersions(version, highest) < 0 && version.major === highest.major) {
    log(
      `Note: v${format(highest)} is higher; ${tag} is a fix of an older line, and ${majorTag} stays at the highest release.`
    )
  }
  const movesMajor = !released.some((known) => known.major === version.major && compareVersions(known, version) > 0)

  const commit = git(['rev-parse', 'HEAD'])
  const message = `m365-audit-sync ${tag}\n\n${notes || 'See CHANGELOG.md.'}\n`
  const commands: string[][] = [['tag', '--annotate', tag, '--message', message, commit]]
  if (movesMajor) commands.push(['tag', '--force', majorTag, commit])
  if (options.push)
    commands.push([
      'push',
      '--atomic',
      options.remote,
      `refs/tags/${tag}`,
      ...(movesMajor ? [`+refs/tags/${majorTag}`] : [])
    ])

  log(
    `${options.dryRun ? 'Would release' : 'Releasing'} ${tag} at ${commit.slice(0, 12)}${movesMajor ? `, moving ${majorTag} to it` : ''}.`
  )
  for (const args of commands) {
    log(`  git ${args.map(showArgument).join(' ')}`)
    if (!options.dryRun) git(args)
  }
  if (!options.dryRun && options.push)
    log(`Done. Publish the release notes: gh release create ${tag} --verify-tag --notes-from-tag`)
  return { tag, majorTag, movesMajor, commit, commands }
}

/** An argument as the log shows it: the tag message by its first line, the rest as typed in a shell. */
function showArgument(arg: string): string {
  if (arg.includes('\n')) return JSON.stringify(`${arg.split('\n')[0]} (and the CHANGELOG notes)`)
  return /^[\w./+:@^-]+$/.test(arg) ? arg : JSON.stringify(arg)
}

/** Every `vX.Y.Z` tag, local and (when the remote exists) on the remote, without changing either. */
function releasedVersions(git: (args: string[]) => string, remote: string): Version[] {
  const names = new Set(git(['tag', '--list', 'v*']).split('\n'))
  let hasRemote = true
  try {
    git(['remote', 'get-url', remote])
  } catch {
    hasRemote = false
  }
  if (hasRemote) {
    for (const line of git(['ls-remote', '--tags', '--refs', remote, 'refs/tags/v*']).split('\n')) {
      const name = line.split('\t')[1]?.replace(/^refs\/tags\//, '')
      if (name) names.add(name)
    }
  }
  return [...names].map((name) => parseVersion(name)).filter((version): version is Version => version !== undefined)
}

function distStampCheck(cwd: string): boolean {
  try {
    execFileSync(process.execPath, [join(cwd, 'scripts', 'dist-stamp.ts'), '--check'], { cwd, stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'no-push': { type: 'boolean', default: false },
      remote: { type: 'string', default: 'origin' }
    }
  })
  try {
    if (positionals.length !== 1)
      throw new ReleaseError('Usage: npm run release -- X.Y.Z [--dry-run] [--no-push] [--remote NAME]')
    release({
      version: positionals[0] ?? '',
      cwd: resolve(import.meta.dirname, '..'),
      dryRun: values['dry-run'],
      push: !values['no-push'],
      remote: values.remote
    })
  } catch (error) {
    console.error(error instanceof ReleaseError ? error.message : error)
    process.exitCode = 1
  }
}
