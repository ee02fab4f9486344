import { spawn } from 'node:child_process'

/** Identity and clock given to every git process the fake starts. */
export interface GitIdentity {
  name: string
  email: string
  /** Git's internal date format, `@<unix seconds> <+hhmm>`. */
  date?: string
}

/** Options of one git invocation. */
export interface GitRunOptions {
  /** Bytes written to the process's stdin (binary-safe). */
  input?: Buffer | string
  /** Extra environment, e.g. `GIT_INDEX_FILE` or author identity. */
  env?: Record<string, string>
  /** Resolve with the exit code instead of throwing when git fails. */
  allowFailure?: boolean
}

/** What a finished git process left behind. */
export interface GitResult {
  code: number
  stdout: Buffer
  stderr: string
}

/** A git command exited non-zero. Carries stderr so test failures explain themselves. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string
  ) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim()}`)
    this.name = 'GitCommandError'
  }
}

/**
 * Runs git against one bare repository with a sealed environment.
 *
 * Nothing of the test process's environment reaches git except PATH: a developer's
 * ~/.gitconfig (signing, hooks, autocrlf) or a GIT_DIR exported by an outer git hook would
 * otherwise change what objects the fake writes.
 */
export class GitCli {
  private readonly baseEnv: Record<string, string>

  constructor(
    readonly gitDir: string,
    home: string,
    identity: GitIdentity
  ) {
    this.baseEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      GIT_DIR: gitDir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      LC_ALL: 'C',
      TZ: 'UTC'
    }
  }

  /** Runs `git <args>` and returns its result; throws {@link GitCommandError} unless `allowFailure`. */
  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: this.gitDir,
        env: { ...this.baseEnv, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe']
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
      child.on('error', reject)
      // git may exit before reading all of stdin (e.g. on a bad argument); that EPIPE is not
      // the interesting failure, the exit code and stderr are.
      child.stdin.on('error', () => undefined)
      child.on('close', (code) => {
        const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }
        if (result.code !== 0 && !options.allowFailure) reject(new GitCommandError(args, result.code, result.stderr))
        else resolve(result)
      })
      child.stdin.end(options.input ?? '')
    })
  }

  /** Runs git and returns stdout as UTF-8 without the trailing newline. */
  async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    const { stdout } = await this.run(args, options)
    return stdout.toString('utf8').replace(/\n$/, '')
  }

  /** Runs git and reports only whether it succeeded (for predicates such as `merge-base --is-ancestor`). */
  async succeeds(args: readonly string[], options: GitRunOptions = {}): Promise<boolean> {
    const { code } = await this.run(args, { ...options, allowFailure: true })
    return code === 0
  }
}
