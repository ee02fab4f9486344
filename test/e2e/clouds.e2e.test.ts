/**
 * Every cloud preset, with no `authority` or `audience` override: the action must ask
 * exactly the documented hosts, scope and federation audience. The runs reach the real
 * names (login.microsoftonline.us, manage.office365.us, ...) through HTTPS_PROXY: a test proxy
 * tunnels those names, and only those, to the emulator, which answers as the host addressed
 * with a certificate that covers it. Nothing leaves the machine.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { startForwardProxy, type ForwardProxy } from './forward-proxy.js'
import { hourFloor, startWorld, TENANT, type World } from './world.js'
import { startFakeOidcIssuer, type FakeOidcIssuer } from '../fake-github/index.js'
import { makeCertificate } from '../emulator/index.js'

const HOUR = 3_600_000
const SUBJECT = 'repo:contoso/audit:ref:refs/heads/main'

/** The documented endpoints per cloud, written out here rather than imported from src. */
const CLOUDS = [
  {
    cloud: 'commercial',
    authority: 'login.microsoftonline.com',
    api: 'manage.office.com',
    federation: 'api://AzureADTokenExchange'
  },
  {
    cloud: 'gcc',
    authority: 'login.microsoftonline.com',
    api: 'manage-gcc.office.com',
    federation: 'api://AzureADTokenExchange'
  },
  {
    cloud: 'gcc-high',
    authority: 'login.microsoftonline.us',
    api: 'manage.office365.us',
    federation: 'api://AzureADTokenExchangeUSGov'
  },
  {
    cloud: 'dod',
    authority: 'login.microsoftonline.us',
    api: 'manage.protection.apps.mil',
    federation: 'api://AzureADTokenExchangeUSGov'
  }
] as const

let world: World | undefined
let issuer: FakeOidcIssuer | undefined
let proxy: ForwardProxy | undefined

afterEach(async () => {
  await Promise.all([world?.close(), issuer?.close(), proxy?.close()])
  world = undefined
  issuer = undefined
  proxy = undefined
})

describe(
  'every cloud asks its documented hosts, scope and federation audience',
  { timeout: E2E_TEST_BUDGET_MS },
  () => {
    it.each(CLOUDS)(
      '$cloud: sign-in at $authority, API at $api, GitHub token for $federation',
      async ({ cloud, authority, api, federation }) => {
        issuer = await startFakeOidcIssuer({ subject: SUBJECT })
        world = await startWorld({
          emulator: {
            hosts: [authority, api],
            resource: `https://${api}`,
            clientSecret: null,
            federated: {
              issuer: issuer.issuer,
              subject: SUBJECT,
              audience: federation,
              publicKeyPem: issuer.publicKeyPem
            }
          }
        })
        const { emulator } = world
        proxy = await startForwardProxy({
          tunnels: { [`${authority}:443`]: emulator.host, [`${api}:443`]: emulator.host }
        })
        emulator.subscriptions.enable('Audit.General')
        const to = hourFloor(Date.now() - HOUR)
        const from = new Date(to.getTime() - 2 * HOUR)
        emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 2 })

        const result = await world.run(
          { cloud, authority: '', audience: '', 'client-secret': '', start: from.toISOString(), end: to.toISOString() },
          { ...issuer.env(), HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }
        )
        expect(result.exitCode, result.stdout + result.stderr).toBe(0)
        expect(result.stdout).toContain(`cloud ${cloud}: sign-in at https://${authority}, API at https://${api}.`)
        expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBeGreaterThan(0)

        // Only the two hosts were asked for, and nothing else went through the proxy.
        expect([...new Set(proxy.carried)].sort()).toEqual(
          [...new Set([`CONNECT ${authority}:443`, `CONNECT ${api}:443`])].sort()
        )

        // Entra ID: the v2 token endpoint of the tenant on the authority host (MSAL knows these
        // hosts' endpoints, so it skips discovery), the API's `.default` scope, and a GitHub
        // token for the cloud's federation audience.
        const entra = emulator.requests
          .byRoute('openid', 'token')
          .map((entry) => `${entry.method} https://${entry.host}${entry.path}`)
        expect(new Set(entra)).toEqual(new Set([`POST https://${authority}/${TENANT}/oauth2/v2.0/token`]))
        expect(emulator.signIns.length).toBeGreaterThanOrEqual(1)
        for (const signIn of emulator.signIns) {
          expect(signIn).toMatchObject({
            host: authority,
            path: `/${TENANT}/oauth2/v2.0/token`,
            scope: `https://${api}/.default`,
            method: 'federated',
            code: 0
          })
          expect(signIn.assertion?.claims['aud']).toBe(federation)
        }
        expect(issuer.requests.map((request) => request.audience)).toEqual(emulator.signIns.map(() => federation))

        // The Management API: every call on the API host, under the tenant's feed.
        const calls = emulator.requests.byRoute('list', 'start', 'content', 'blob')
        expect(calls.length).toBeGreaterThan(0)
        for (const call of calls) {
          expect(`https://${call.host}${call.path}`).toMatch(
            new RegExp(`^https://${api.replace(/\./g, '\\.')}/api/v1(\\.0)?/${TENANT}/activity/feed/`)
          )
        }
        expect(emulator.requests.filter((entry) => entry.route === 'unknown')).toEqual([])
      }
    )

    it('gcc-high with a certificate: the assertion is addressed to the GCC High token endpoint', async () => {
      const certificate = await makeCertificate({ subject: 'm365-audit-sync' })
      world = await startWorld({
        emulator: {
          hosts: ['login.microsoftonline.us', 'manage.office365.us'],
          resource: 'https://manage.office365.us',
          certificate: certificate.certPem
        }
      })
      const { emulator } = world
      proxy = await startForwardProxy({
        tunnels: { 'login.microsoftonline.us:443': emulator.host, 'manage.office365.us:443': emulator.host }
      })
      emulator.subscriptions.enable('Audit.General')
      const to = hourFloor(Date.now() - HOUR)
      const result = await world.run(
        {
          cloud: 'gcc-high',
          authority: '',
          audience: '',
          'client-secret': '',
          certificate: certificate.keyPem + certificate.certPem,
          start: new Date(to.getTime() - HOUR).toISOString(),
          end: to.toISOString()
        },
        { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }
      )
      expect(result.exitCode, result.stdout + result.stderr).toBe(0)
      expect(emulator.signIns.length).toBeGreaterThanOrEqual(1)
      for (const signIn of emulator.signIns) {
        expect(signIn).toMatchObject({
          host: 'login.microsoftonline.us',
          scope: 'https://manage.office365.us/.default',
          method: 'certificate',
          code: 0
        })
        expect(signIn.assertion?.claims['aud']).toBe(`https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`)
      }
    })
  }
)
