import { afterEach, describe, expect, it } from 'vitest'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { startForwardProxy, type ForwardProxy } from './forward-proxy.js'
import { findLeaks } from './run-action.js'
import { GITHUB_TOKEN, hourFloor, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

const HOUR = 3_600_000
let world: World | undefined
let proxy: ForwardProxy | undefined

afterEach(async () => {
  await Promise.all([world?.close(), proxy?.close()])
  world = undefined
  proxy = undefined
})

describe('behind a proxy', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('sends sign-in, API and GitHub calls through HTTPS_PROXY / HTTP_PROXY, never showing its password', async () => {
    world = await startWorld()
    proxy = await startForwardProxy()
    const { emulator, github } = world
    emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(now.getTime() - 3 * HOUR),
      to: new Date(now.getTime() - HOUR),
      blobsPerHour: 2
    })
    const proxyPassword = 'pr0xy-Passw0rd'
    const proxyUrl = proxy.url.replace('http://', `http://audit:${proxyPassword}@`)

    const result = await world.run(
      { start: new Date(now.getTime() - 3 * HOUR).toISOString(), end: new Date(now.getTime() - HOUR).toISOString() },
      { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl }
    )
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])

    const emulatorHost = new URL(emulator.url).host
    expect(proxy.carried).toContain(`CONNECT ${emulatorHost}`)
    expect(proxy.carried.some((line) => line.startsWith(`GET ${github.url}/repos/contoso/audit/git/ref/`))).toBe(true)
    expect(
      proxy.carried.some(
        (line) =>
          line.startsWith(`POST ${new URL(github.url).origin}/graphql`) ||
          line.startsWith(`POST ${github.url}/repos/contoso/audit/git/refs`)
      )
    ).toBe(true)
    expect(proxy.authorizations.length).toBeGreaterThan(0)
    expect(result.stdout).toContain(`Using the proxy ${proxy.url} from the environment`)
    expect(
      findLeaks([proxyPassword, SECRET, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })
    ).toEqual([])
  })

  it('goes direct for hosts in NO_PROXY', async () => {
    world = await startWorld()
    proxy = await startForwardProxy()
    world.emulator.subscriptions.enable('Audit.General')
    const now = hourFloor(Date.now())
    const result = await world.run(
      { start: new Date(now.getTime() - 2 * HOUR).toISOString(), end: new Date(now.getTime() - HOUR).toISOString() },
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }
    )
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(proxy.carried).toEqual([])
  })
})
