/**
 * `npm run fakes`: the Management API emulator and the GitHub fake, standing until Ctrl-C,
 * with a day of generated audit content, for runs of the action from outside the test
 * suite: a local run with `@github/local-action` and .env.example, or the CI job that runs
 * the action from the repository (`uses: ./`).
 *
 *   npm run fakes                                   listen on the ports .env.example names
 *   npm run fakes -- --write-env "$RUNNER_TEMP/fakes.env" --hours 6
 *                                                   also write the job's environment (KEY=value
 *                                                   lines, as $GITHUB_ENV takes them) once ready
 *   --emulator-port N, --github-port N              other ports (0: any free one)
 */
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { LOCAL_FAKES_PORTS, startLocalFakes } from '../test/e2e/local-fakes.js'

/** A fixed place for the emulator's certificate, so that the command to trust it never changes. */
const CA_FILE = resolve(process.cwd(), 'build', 'emulator-ca.pem')

function readOptions(): { envFile?: string; emulatorPort: number; githubPort: number; hours: number } {
  const { values } = parseArgs({
    options: {
      'write-env': { type: 'string' },
      'emulator-port': { type: 'string', default: String(LOCAL_FAKES_PORTS.emulator) },
      'github-port': { type: 'string', default: String(LOCAL_FAKES_PORTS.github) },
      hours: { type: 'string', default: '24' }
    }
  })
  const number = (name: string, value: string, max: number): number => {
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > max)
      throw new Error(`--${name} must be a whole number from 0 to ${max}; got '${value}'.`)
    return parsed
  }
  return {
    ...(values['write-env'] ? { envFile: resolve(values['write-env']) } : {}),
    emulatorPort: number('emulator-port', values['emulator-port'], 65_535),
    githubPort: number('github-port', values['github-port'], 65_535),
    hours: Math.max(1, number('hours', values.hours, 24 * 7))
  }
}

async function main(): Promise<void> {
  const options = readOptions()
  const fakes = await startLocalFakes(options).catch((error: unknown) => {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
    throw new Error(
      inUse
        ? `A port is taken (${(error as Error).message}): stop the other 'npm run fakes', or pass --emulator-port / --github-port (and change .env.example's copy).`
        : `The fakes did not start: ${(error as Error).message}`
    )
  })
  await mkdir(dirname(CA_FILE), { recursive: true })
  await copyFile(fakes.env.NODE_EXTRA_CA_CERTS ?? '', CA_FILE)
  const env: Record<string, string> = { ...fakes.env, NODE_EXTRA_CA_CERTS: CA_FILE }
  if (options.envFile) {
    // Written whole, then renamed: a job waiting for the file never reads half of it.
    const partial = `${options.envFile}.partial`
    await writeFile(
      partial,
      Object.entries(env)
        .map(([name, value]) => `${name}=${value}\n`)
        .join('')
    )
    await rename(partial, options.envFile)
  }

  const { world, range } = fakes
  console.log(
    `Management API emulator and Entra ID: ${world.emulator.url} (tenant ${env.FAKES_TENANT_ID}, app ${env.FAKES_CLIENT_ID})`
  )
  console.log(`GitHub fake: ${world.github.url} (repository ${env.FAKES_REPOSITORY}, token ${env.FAKES_GITHUB_TOKEN})`)
  console.log(`Audit.General content from ${range.start.toISOString()} to ${range.end.toISOString()}.`)
  console.log(`The emulator's certificate: ${relative(process.cwd(), CA_FILE)}`)
  if (options.envFile) console.log(`The job's environment: ${options.envFile}`)
  console.log(`
Run the action from its sources against them (in another terminal, with .env copied from .env.example):
  NODE_EXTRA_CA_CERTS=${relative(process.cwd(), CA_FILE)} npx @github/local-action@7 . src/main.ts .env
Then look at the data branch:
  git --git-dir=${world.github.repoPath} log --stat ${env.FAKES_DATA_BRANCH}

Ctrl-C stops the fakes and deletes their repository.`)

  await new Promise<void>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done())
  })
  const commits = await world.github.git(['rev-list', '--count', env.FAKES_DATA_BRANCH ?? '']).catch(() => '0')
  console.log(`\nStopping: the data branch had ${commits} commit(s).`)
  await Promise.all([fakes.close(), rm(CA_FILE, { force: true })])
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
