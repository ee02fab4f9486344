/**
 * The Management API emulator and the GitHub fake as a standing service, for runs of the
 * action from outside the test suite: `npm run fakes` behind a local run with
 * `@github/local-action` (.env.example), and behind the CI job that runs `uses: ./`.
 */
import { BRANCH, CLIENT, GITHUB_TOKEN, SECRET, TENANT, hourFloor, startWorld, type World } from './world.js'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'

/** Where `npm run fakes` listens unless told otherwise; .env.example names these ports. */
export const LOCAL_FAKES_PORTS = { emulator: 45443, github: 45080 } as const

/** The repository the GitHub fake serves. */
export const FAKE_REPOSITORY = 'contoso/audit'

const HOUR = 3_600_000

export interface LocalFakesOptions {
  /** 0 for any free port (tests); default LOCAL_FAKES_PORTS. */
  emulatorPort?: number
  githubPort?: number
  /** Hours of audit content published, ending at the last full hour; default 24. */
  hours?: number
}

/** Running fakes and what a run of the action needs to reach them. */
export interface LocalFakes {
  world: World
  /**
   * Environment for the job that runs the action: the fakes' addresses and credentials
   * (FAKES_*, for the workflow's `with:`), the emulator's certificate to trust, and the
   * test hooks that make GitHub writes and retries fast against local fakes.
   */
  env: Record<string, string>
  /** The content published: a backfill of exactly this range lists all of it. */
  range: { start: Date; end: Date }
  close(): Promise<void>
}

/** Starts both fakes and publishes `hours` of seeded Audit.General content. */
export async function startLocalFakes(options: LocalFakesOptions = {}): Promise<LocalFakes> {
  const world = await startWorld({
    emulator: { seed: 2026, port: options.emulatorPort ?? LOCAL_FAKES_PORTS.emulator },
    github: { port: options.githubPort ?? LOCAL_FAKES_PORTS.github }
  })
  const end = hourFloor(Date.now())
  const start = new Date(end.getTime() - (options.hours ?? 24) * HOUR)
  world.emulator.generate({ contentTypes: ['Audit.General'], from: start, to: end, blobsPerHour: 4 })
  return {
    world,
    range: { start, end },
    env: {
      FAKES_TENANT_ID: TENANT,
      FAKES_CLIENT_ID: CLIENT,
      FAKES_CLIENT_SECRET: SECRET,
      FAKES_EMULATOR_URL: world.emulator.url,
      FAKES_GITHUB_API_URL: world.github.url,
      FAKES_GITHUB_TOKEN: GITHUB_TOKEN,
      FAKES_REPOSITORY: FAKE_REPOSITORY,
      FAKES_DATA_BRANCH: BRANCH,
      FAKES_GIT_DIR: world.github.repoPath,
      NODE_EXTRA_CA_CERTS: world.emulator.caCertPath,
      [TEST_HOOKS.githubPacingMs]: '0',
      [TEST_HOOKS.retryBaseDelayMs]: '20'
    },
    close: () => world.close()
  }
}
