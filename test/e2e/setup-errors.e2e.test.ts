import { afterEach, describe, expect, it } from 'vitest'
import { findLeaks } from './run-action.js'
import { backfillRange, disableWhenListing, GITHUB_TOKEN, SECRET, startWorld, type World } from './world.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'

let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('set-up problems are explained, and nothing is written', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('a wrong client secret: says what to do, leaks nothing, creates no branch', async () => {
    world = await startWorld()
    const wrong = 'not-the-secret~0123456789'
    const result = await world.run({ ...backfillRange(2).inputs, 'client-secret': wrong })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(
      /^Sign-in to Entra ID failed for app \S+ in tenant \S+ at \S+: AADSTS7000215: the client secret is wrong: use the secret's Value \(not its Secret ID\).*\(Entra ID: Invalid client secret provided\./
    )
    expect(await world.head()).toBeUndefined()
    expect(world.emulator.requests.byRoute('list', 'content', 'blob')).toEqual([])
    expect(findLeaks([wrong, GITHUB_TOKEN], { log: result.visibleLog, summary: result.summary })).toEqual([])
    // The job summary says where the run stopped, why, and that the branch is untouched.
    expect(result.summary).toContain('m365-audit-sync: stopped')
    expect(result.summary).toMatch(
      /The run stopped while checking the subscriptions: Sign-in to Entra ID failed .*AADSTS7000215/
    )
    expect(result.summary).toContain('Nothing was committed: the data branch is as it was')
    // …and the stop opened the failure issue, with the reason and without the secret.
    const [issue] = world.github.issues
    expect(result.summary).toContain(
      `Data branch: <a href="https://github.com/contoso/audit/tree/audit-data">audit-data</a>; failure issue <a href="${world.github.htmlUrl}/contoso/audit/issues/${issue?.number}">#${issue?.number}</a>.`
    )
    expect(issue?.body).toMatch(/AADSTS7000215/)
    expect(findLeaks([wrong, GITHUB_TOKEN], { issue: `${issue?.title}\n${issue?.body}` })).toEqual([])
  })

  it('an unknown app in the tenant', async () => {
    world = await startWorld()
    const result = await world.run({ ...backfillRange(2).inputs, 'client-id': '99999999-9999-4999-8999-999999999999' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(
      /: AADSTS700016: no app with this client-id exists in this tenant: check 'client-id' and 'tenant-id'/
    )
  })

  it('a subscription an administrator disables during the run', async () => {
    world = await startWorld()
    disableWhenListing(world)
    const result = await world.run(backfillRange(2).inputs)
    expect(result.exitCode).toBe(1)
    const windowError = result.errors.find((error) => error.properties.title === 'Window failed (AF20023)')
    expect(windowError?.message).toMatch(
      /Audit\.General subscription was disabled by an administrator \(AF20023\).*re-enable/
    )
    expect(result.outputs['failed-segments']).toBe('2')
  })

  it('a tenant with unified audit logging off', async () => {
    world = await startWorld({ emulator: { auditDisabled: true } })
    const result = await world.run(backfillRange(2).inputs)
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/unified audit logging is off; turn it on in Microsoft Purview/)
  })

  it('an app without ActivityFeed.Read', async () => {
    world = await startWorld({ emulator: { roles: [] } })
    const result = await world.run(backfillRange(2).inputs)
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/ActivityFeed\.Read with admin consent/)
  })

  it('masks every access token it receives before using it', async () => {
    world = await startWorld()
    world.emulator.subscriptions.enable('Audit.General')
    const result = await world.run(backfillRange(2).inputs)
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const tokens = result.masked.filter((value) => value.split('.').length === 3)
    expect(tokens.length).toBeGreaterThanOrEqual(1)
    expect(findLeaks([SECRET, GITHUB_TOKEN, ...tokens], { log: result.visibleLog, summary: result.summary })).toEqual(
      []
    )
  })
})
