import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { changelogSection, parseVersion, release, ReleaseError, type ReleaseOptions } from '../../scripts/release.js'

/** git with an identity of its own, so that commits and annotated tags work on any machine. */
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.com',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null'
}

const dirs: string[] = []

afterEach(() => {
  // Removed even when a test failed half-way.
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A clone of a bare "origin", both in a temp folder, holding a package.json and a CHANGELOG.md. */
function repository(): {
  work: string
  origin: string
  git: (args: string[], cwd?: string) => string
  commitVersion: (version: string) => void
} {
  const root = mkdtempSync(join(tmpdir(), 'm365-release-'))
  dirs.push(root)
  const origin = join(root, 'origin.git')
  const work = join(root, 'work')
  const git = (args: string[], cwd = work) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim()
  git(['init', '--quiet', '--bare', origin], root)
  git(['clone', '--quiet', origin, work], root)
  const commitVersion = (version: string) => {
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'm365-audit-sync', version }, null, 2))
    writeFileSync(
      join(work, 'CHANGELOG.md'),
      `# Changelog\n\n## [Unreleased]\n\n## [${version}] - 2026-12-01\n\n### Added\n\n- Release ${version}.\n`
    )
    git(['add', '-A'])
    git(['commit', '--quiet', '-m', `Release ${version}`])
    git(['push', '--quiet', 'origin', 'HEAD'])
  }
  return { work, origin, git, commitVersion }
}

function options(work: string, version: string, extra: Partial<ReleaseOptions> = {}): ReleaseOptions {
  return {
    version,
    cwd: work,
    dryRun: false,
    push: true,
    remote: 'origin',
    distIsCurrent: () => true,
    env: GIT_ENV,
    log: () => {},
    ...extra
  }
}

/** Tag → commit it points at. */
function tags(git: (args: string[], cwd?: string) => string, where: string): Record<string, string> {
  const lines = git(['for-each-ref', '--format=%(refname:short) %(objectname) %(*objectname)', 'refs/tags'], where)
  return Object.fromEntries(
    lines
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', object = '', peeled = ''] = line.split(' ')
        return [name, peeled || object]
      })
  )
}

describe('release tags vX.Y.Z and moves vX, as the actions versioning guide says', () => {
  it('tags the first release and creates the major tag, locally and on the remote', () => {
    const { work, origin, git, commitVersion } = repository()
    commitVersion('0.1.0')
    const head = git(['rev-parse', 'HEAD'])
    const result = release(options(work, '0.1.0'))
    expect(result).toMatchObject({ tag: 'v0.1.0', majorTag: 'v0', movesMajor: true, commit: head })
    expect(tags(git, work)).toEqual({ 'v0.1.0': head, v0: head })
    expect(tags(git, origin)).toEqual({ 'v0.1.0': head, v0: head })
    expect(git(['cat-file', '-t', 'v0.1.0'])).toBe('tag')
    expect(git(['tag', '--list', '--format=%(contents)', 'v0.1.0'])).toContain('- Release 0.1.0.')
  })

  it('moves the major tag to the next release, on the remote too', () => {
    const { work, origin, git, commitVersion } = repository()
    commitVersion('0.1.0')
    const first = git(['rev-parse', 'HEAD'])
    release(options(work, '0.1.0'))
    commitVersion('0.2.0')
    const second = git(['rev-parse', 'HEAD'])
    release(options(work, '0.2.0'))
    expect(tags(git, origin)).toEqual({ 'v0.1.0': first, 'v0.2.0': second, v0: second })
  })

  it('leaves the major tag on the highest release when an older line gets a fix', () => {
    const { work, origin, git, commitVersion } = repository()
    commitVersion('1.1.0')
    const newest = git(['rev-parse', 'HEAD'])
    release(options(work, '1.1.0'))
    commitVersion('1.0.1')
    const fix = git(['rev-parse', 'HEAD'])
    expect(release(options(work, '1.0.1')).movesMajor).toBe(false)
    expect(tags(git, origin)).toEqual({ 'v1.1.0': newest, 'v1.0.1': fix, v1: newest })
  })

  it('a dry run checks everything and changes nothing', () => {
    const { work, origin, git, commitVersion } = repository()
    commitVersion('0.1.0')
    const lines: string[] = []
    const result = release(options(work, 'v0.1.0', { dryRun: true, log: (line) => lines.push(line) }))
    expect(result.commands.map((command) => command.slice(0, 2))).toEqual([
      ['tag', '--annotate'],
      ['tag', '--force'],
      ['push', '--atomic']
    ])
    expect(lines[0]).toMatch(/^Would release v0\.1\.0 at [0-9a-f]{12}, moving v0 to it\.$/)
    expect(tags(git, work)).toEqual({})
    expect(tags(git, origin)).toEqual({})
  })

  it('--no-push tags locally only', () => {
    const { work, origin, git, commitVersion } = repository()
    commitVersion('0.1.0')
    release(options(work, '0.1.0', { push: false }))
    expect(Object.keys(tags(git, work)).sort()).toEqual(['v0', 'v0.1.0'])
    expect(tags(git, origin)).toEqual({})
  })

  it.each<[string, (setup: ReturnType<typeof repository>) => ReleaseOptions, RegExp]>([
    ['a version that is not X.Y.Z', ({ work }) => options(work, '0.1'), /not a release version; give X\.Y\.Z/],
    [
      'a dirty tree',
      ({ work }) => {
        writeFileSync(join(work, 'scratch.txt'), 'x')
        return options(work, '0.1.0')
      },
      /working tree has changes.*\n\?\? scratch\.txt/
    ],
    [
      'a stale dist/',
      ({ work }) => options(work, '0.1.0', { distIsCurrent: () => false }),
      /dist\/ was not built from the committed sources: run npm run build/
    ],
    [
      'package.json on another version',
      ({ work }) => options(work, '0.1.1'),
      /package\.json says version 0\.1\.0; set it to 0\.1\.1/
    ],
    [
      'a version released on the remote only',
      ({ work, git }) => {
        git(['tag', 'v0.1.0'])
        git(['push', '--quiet', 'origin', 'refs/tags/v0.1.0'])
        git(['tag', '--delete', 'v0.1.0'])
        return options(work, '0.1.0')
      },
      /v0\.1\.0 is already released/
    ]
  ])('refuses %s, and tags nothing', (_, arrange, message) => {
    const setup = repository()
    setup.commitVersion('0.1.0')
    const given = arrange(setup)
    const before = tags(setup.git, setup.origin)
    expect(() => release(given)).toThrow(ReleaseError)
    expect(() => release(given)).toThrow(message)
    expect(tags(setup.git, setup.origin)).toEqual(before)
    expect(Object.keys(tags(setup.git, setup.work)).filter((tag) => tag !== 'v0.1.0')).toEqual([])
  })

  it('refuses a CHANGELOG without the version', () => {
    const { work, git, commitVersion } = repository()
    commitVersion('0.1.0')
    writeFileSync(join(work, 'CHANGELOG.md'), '# Changelog\n\n## [Unreleased]\n\n- Things.\n')
    git(['commit', '--quiet', '-am', 'notes not moved'])
    expect(() => release(options(work, '0.1.0'))).toThrow(/CHANGELOG\.md has no section '## \[0\.1\.0\]'/)
  })
})

describe('release helpers', () => {
  it('parse versions and CHANGELOG sections', () => {
    expect(parseVersion('v1.20.3')).toEqual({ major: 1, minor: 20, patch: 3 })
    expect(parseVersion('01.2.3')).toBeUndefined()
    expect(parseVersion('1.2.3-rc.1')).toBeUndefined()
    const changelog =
      '# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-02\n\n- Two.\n\n## [0.1.0] - 2026-12-01\n\n- One.\n'
    expect(changelogSection(changelog, '0.2.0')).toBe('- Two.')
    expect(changelogSection(changelog, '0.1.0')).toBe('- One.')
    expect(changelogSection(changelog, '0.1.1')).toBeUndefined()
  })
})
