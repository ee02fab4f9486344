import { afterEach, describe, expect, it } from 'vitest'
import { expectBranchHoldsExactlyServed } from './assertions.js'
import { E2E_TEST_BUDGET_MS } from './budgets.js'
import { findLeaks, type ActionResult } from './run-action.js'
import { backfillRange, disableWhenListing, GITHUB_TOKEN, startWorld, type World } from './world.js'
import { startFakeOidcIssuer, type FakeOidcIssuer } from '../fake-github/index.js'

const MAIN = 'repo:contoso/audit:ref:refs/heads/main'

let world: World | undefined
let issuer: FakeOidcIssuer | undefined

afterEach(async () => {
  await Promise.all([world?.close(), issuer?.close()])
  world = undefined
  issuer = undefined
})

/** The fake GitHub issuer, and the fakes with a federated credential trusting its tokens. */
async function start(
  credential: { subject?: string; audience?: string } = {}
): Promise<{ world: World; issuer: FakeOidcIssuer }> {
  issuer = await startFakeOidcIssuer({ subject: MAIN })
  world = await startWorld({
    emulator: {
      clientSecret: null,
      federated: {
        issuer: issuer.issuer,
        subject: credential.subject ?? MAIN,
        audience: credential.audience ?? 'api://AzureADTokenExchange',
        publicKeyPem: issuer.publicKeyPem
      }
    }
  })
  return { world, issuer }
}

/** A backfill (see backfillRange) signing in without a client secret. */
function backfill(hours: number): { inputs: Record<string, string>; from: Date; to: Date } {
  const range = backfillRange(hours)
  return { ...range, inputs: { ...range.inputs, 'client-secret': '' } }
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

/** No GitHub token (issued or the request token) in the log, summary, outputs or issues. */
function expectNoLeaks(world: World, issuer: FakeOidcIssuer, result: ActionResult): void {
  const issues = world.github.issues.map((issue) => JSON.stringify(issue)).join('\n')
  const texts = { log: result.visibleLog, summary: result.summary, outputs: JSON.stringify(result.outputs), issues }
  expect(findLeaks([...issuer.issued, issuer.requestToken, GITHUB_TOKEN], texts)).toEqual([])
}

describe('GitHub OIDC sign-in against the shipped bundle', { timeout: E2E_TEST_BUDGET_MS }, () => {
  it('exchanges a fresh GitHub token for each token request and lands exactly the served records', async () => {
    const { world, issuer } = await start()
    const { emulator } = world
    emulator.subscriptions.enable('Audit.General')
    const { inputs, from, to } = backfill(3)
    emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 2 })
    // Revoke the first access token at the first download: the API answers 401 and the action
    // must sign in again, which takes a new GitHub token.
    let revoked = false
    emulator.faults.add({
      route: 'blob',
      kind: 'slow',
      delayMs: 0,
      times: 1,
      match: () => {
        if (!revoked) emulator.revokeTokens()
        revoked = true
        return false
      }
    })

    const result = await world.run(inputs, issuer.env())
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBeGreaterThan(0)

    // Each token request presented a token of its own, fetched from GitHub for it, with the
    // audience of the commercial cloud, and Entra (the emulator) verified it with the issuer's key.
    const signIns = emulator.signIns
    expect(revoked).toBe(true)
    expect(signIns.length).toBeGreaterThanOrEqual(2)
    expect(signIns.every((signIn) => signIn.method === 'federated' && signIn.code === 0)).toBe(true)
    expect(issuer.requests).toHaveLength(signIns.length)
    expect(
      issuer.requests.every((request) => request.audience === 'api://AzureADTokenExchange' && request.authorized)
    ).toBe(true)
    expect(signIns.map((signIn) => signIn.assertion?.claims['jti'])).toEqual(
      issuer.issued.map((token) => claims(token)['jti'])
    )
    expect(new Set(issuer.issued).size).toBe(issuer.issued.length)
    for (const signIn of signIns) {
      expect(signIn.assertion?.claims).toMatchObject({
        iss: 'https://token.actions.githubusercontent.com',
        sub: MAIN,
        aud: 'api://AzureADTokenExchange'
      })
    }
    // Not one GitHub token per API call: far fewer token requests than API requests.
    expect(emulator.requests.byRoute('list', 'content', 'blob').length).toBeGreaterThan(signIns.length)

    expect(result.stdout).toContain("Sign-in with GitHub OIDC: GitHub's token for audience api://AzureADTokenExchange")
    expect(result.stdout).toContain(
      `GitHub OIDC token: issuer https://token.actions.githubusercontent.com, subject ${MAIN}, audience api://AzureADTokenExchange.`
    )
    expect(result.masked).toEqual(expect.arrayContaining([issuer.requestToken, ...issuer.issued]))
    expectNoLeaks(world, issuer, result)
  })

  it('a failure issue opened by an OIDC run carries no GitHub token', async () => {
    const { world, issuer } = await start()
    disableWhenListing(world)
    const result = await world.run(backfill(2).inputs, issuer.env())
    expect(result.exitCode).toBe(1)
    expect(world.github.issues).toHaveLength(1)
    expect(issuer.issued.length).toBeGreaterThan(0)
    expectNoLeaks(world, issuer, result)
  })

  it("asks GitHub for 'oidc-audience' when it is set", async () => {
    const { world, issuer } = await start({ audience: 'api://contoso-audit-sync' })
    world.emulator.subscriptions.enable('Audit.General')
    const result = await world.run({ ...backfill(1).inputs, 'oidc-audience': 'api://contoso-audit-sync' }, issuer.env())
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(issuer.requests.map((request) => request.audience)).toEqual(['api://contoso-audit-sync'])
    expect(world.emulator.signIns.map((signIn) => [signIn.method, signIn.code])).toEqual([['federated', 0]])
  })

  it('without id-token: write, fails before any request and shows the permissions block to add', async () => {
    const { world, issuer } = await start()
    const result = await world.run(backfill(1).inputs)
    expect(result.exitCode).toBe(1)
    const message = result.errors.at(-1)?.message ?? ''
    expect(message).toMatch(
      /^No credential for app \S+: set 'client-secret' .* or 'certificate' .* Or sign in with GitHub OIDC/
    )
    expect(message).toContain(
      '(ACTIONS_ID_TOKEN_REQUEST_URL is not set). Grant it in the workflow or the job:\npermissions:\n  id-token: write # sign in to Entra ID with GitHub OIDC\n  contents: write'
    )
    expect(world.emulator.requests.length).toBe(0)
    expect(world.github.requests.length).toBe(0)
    expect(issuer.requests.length).toBe(0)

    const asked = await world.run({ ...backfill(1).inputs, 'oidc-audience': 'api://AzureADTokenExchange' })
    expect(asked.exitCode).toBe(1)
    expect(asked.errors.at(-1)?.message).toMatch(
      /^GitHub OIDC sign-in \('oidc-audience' is set\) needs an ID token from GitHub, and this job may not ask for one .*\npermissions:\n {2}id-token: write/
    )
  })

  it('a workflow whose subject matches no federated credential (AADSTS70021) is told its subject and where to register it', async () => {
    const { world, issuer } = await start()
    issuer.subject = 'repo:contoso/audit:environment:production'
    world.emulator.subscriptions.enable('Audit.General')
    const result = await world.run(backfill(1).inputs, issuer.env())
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(
      new RegExp(
        "^Sign-in to Entra ID failed for app \\S+ in tenant \\S+ at \\S+: AADSTS70021: no federated credential of the app matches this workflow's token\\. " +
          "This workflow presents subject 'repo:contoso/audit:environment:production' \\(issuer https://token\\.actions\\.githubusercontent\\.com, audience api://AzureADTokenExchange\\); " +
          'register exactly these in the Entra admin center: App registrations → the app → Certificates & secrets → Federated credentials → Add credential'
      )
    )
    expect(await world.head()).toBeUndefined()
    expectNoLeaks(world, issuer, result)
  })

  it('a job GitHub refuses an ID token gets that said, not a sign-in riddle', async () => {
    const { world, issuer } = await start()
    world.emulator.subscriptions.enable('Audit.General')
    const result = await world.run(backfill(1).inputs, {
      ...issuer.env(),
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'revoked-request-token'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(
      /^GitHub did not issue an OIDC token for audience 'api:\/\/AzureADTokenExchange' \(.*401.*\)\. The job needs 'id-token: write'/
    )
    expect(world.emulator.signIns).toEqual([])
    expectNoLeaks(world, issuer, result)
  })
})
