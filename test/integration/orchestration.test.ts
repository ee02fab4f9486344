/**
 * The orchestration (main.ts, sync.ts) run in this process against the Management API emulator
 * and the GitHub fake: every branch the end-to-end tests reach only through the bundle, here
 * in seconds and with the outcomes asserted on the branch, the issue, the outputs and the
 * job summary.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { parse as parseCsv } from 'csv-parse/sync'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readSettings } from '../../src/action/inputs.js'
import { TEST_HOOKS } from '../../src/action/test-hooks.js'
import { createGitHubClient } from '../../src/github/client.js'
import { createGitDatabase } from '../../src/github/git-database.js'
import type { BlobContent, ContentBlob } from '../../src/m365/activity-client.js'
import { fieldKeys, scanRecords } from '../../src/record/record-scanner.js'
import { SCANNED_COLUMNS } from '../../src/record/columns.js'
import { sync, SyncStopped } from '../../src/sync.js'
import { issueMarker } from '../../src/report/failure-issue-text.js'
import { expectBranchHoldsExactlyServed } from '../e2e/assertions.js'
import { writePurviewExports } from '../e2e/purview-exports.js'
import { findLeaks } from '../e2e/run-action.js'
import { backfillRange, BRANCH, GITHUB_TOKEN, SECRET, startWorld, TENANT, type World } from '../e2e/world.js'
import { runInProcess } from './in-process.js'
import { E2E_TEST_BUDGET_MS } from '../e2e/budgets.js'
import { startFakeOidcIssuer } from '../fake-github/index.js'
import { refUpdateForbidden } from '../fake-github/faults.js'

const HOUR = 3_600_000
let world: World | undefined
const dirs: string[] = []

afterEach(async () => {
  await world?.close()
  world = undefined
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A backfill of the `hours` hours before the last full hour (backfillRange), and the blobs the emulator serves for it. */
function backfill(
  world: World,
  hours: number,
  options: { blobsPerHour?: number; recordsPerBlob?: number } = {}
): Record<string, string> {
  const { inputs, from, to } = backfillRange(hours)
  world.emulator.generate({
    contentTypes: ['Audit.General'],
    from,
    to,
    blobsPerHour: options.blobsPerHour ?? 3,
    recordsPerBlob: options.recordsPerBlob ?? 6
  })
  return inputs
}

/**
 * A 30-hour backfill, which spans two UTC days and more (its records are late), its content
 * published; `generate` publishes as much again, some of it into the days already collected.
 */
function twoDaysCollected(world: World): { range: Record<string, string>; from: Date; generate: () => void } {
  const { inputs: range, from, to } = backfillRange(30)
  const generate = (): void => {
    world.emulator.generate({ contentTypes: ['Audit.General'], from, to, blobsPerHour: 1, recordsPerBlob: 4 })
  }
  generate()
  return { range, from, generate }
}

/** Commits on the data branch, newest first. */
async function commits(world: World): Promise<string[]> {
  const log = await world.github.git(['log', '--format=%H %s', BRANCH]).catch(() => '')
  return log === '' ? [] : log.split('\n')
}

describe('run(): the composition root, in process', () => {
  it('collects a backfill to the branch and publishes outputs and a summary; the same run again changes nothing', async () => {
    world = await startWorld()
    const range = backfill(world, 4)
    const first = await runInProcess(world, range)
    expect(first.failed).toBeUndefined()
    const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    expect(first.outputs).toEqual({
      'records-added': String(served),
      'files-changed': expect.stringMatching(/^[1-9]/),
      'commit-sha': (await commits(world))[0]?.slice(0, 40),
      'failed-segments': '0',
      'issue-url': '',
      'bad-rows': '0'
    })
    expect(first.log).toEqual(
      expect.arrayContaining([
        '::group::Inputs',
        '::group::Plan',
        '::group::Subscriptions',
        '::group::Collect',
        '::group::Commit'
      ])
    )
    expect(first.summary).toMatch(/^<h2>m365-audit-sync<\/h2>\nBackfill: /)
    expect(first.summary).toContain(`<a href="https://github.com/contoso/audit/tree/${BRANCH}">${BRANCH}</a>`)
    expect(first.summary).toContain('<h3>Coverage of the data branch, last 7 days</h3>')
    // Secrets are masked before anything could print them, and printed nowhere.
    expect(first.secrets).toEqual(expect.arrayContaining([SECRET, GITHUB_TOKEN]))
    expect(
      findLeaks(first.secrets, {
        log: first.log.join('\n'),
        summary: first.summary,
        outputs: JSON.stringify(first.outputs)
      })
    ).toEqual([])

    const again = await runInProcess(world, range)
    expect(again.outputs).toMatchObject({ 'records-added': '0', 'commit-sha': '' })
    expect(again.log).toContain(`Nothing new for '${BRANCH}'; no commit.`)
    expect(await commits(world)).toHaveLength(1)
  })

  it('commits in passes of records-per-commit, each on top of the last, and reports the run as a whole', async () => {
    world = await startWorld()
    const range = backfill(world, 8, { blobsPerHour: 3, recordsPerBlob: 10 })
    const record = await runInProcess(world, { ...range, 'records-per-commit': '40' })
    expect(record.failed).toBeUndefined()
    const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    const made = await commits(world)
    expect(made.length).toBeGreaterThanOrEqual(3)
    expect(record.log.filter((line) => /^::group::Commit \(part \d+\)$/.test(line))).toHaveLength(made.length - 1)
    expect(record.log.filter((line) => line.startsWith('Holding '))).toHaveLength(made.length - 1)
    expect(record.outputs['records-added']).toBe(String(served))
    expect(record.outputs['commit-sha']).toBe(made[0]?.slice(0, 40))
    expect(record.log.find((line) => line.startsWith('Committed '))).toMatch(/; created the branch 'audit-data'\)\.$/)
  })

  it('fails a step whose windows failed, opens the issue, and closes it when the next run recovers them', async () => {
    world = await startWorld()
    const { emulator } = world
    const range = backfill(world, 3)
    // The blobs of the middle hour are missing (AF20050) until the fault goes.
    const middle = new Date(Date.parse(range.start!) + HOUR)
    const doomed = new Set(
      emulator
        .blobs('Audit.General')
        .filter((blob) => blob.contentCreated >= middle && blob.contentCreated < new Date(middle.getTime() + HOUR))
        .map((blob) => blob.contentId)
    )
    const missing = emulator.faults.add({
      route: 'blob',
      kind: 'missing',
      match: (request) => doomed.has(request.contentId ?? '')
    })
    const failed = await runInProcess(world, range)
    expect(failed.failed).toMatch(
      /^1 listing window\(s\) failed after retries; everything else was committed \([0-9a-f]{7}\)/
    )
    expect(failed.errors.map((error) => error.title)).toEqual(['Window failed (AF20050)'])
    // Explained as what it is: content the service lost, not an audit setting, in the annotation and the issue.
    expect(failed.errors[0]?.message).toMatch(/content blob the listing named is not there \(AF20050\)/)
    for (const text of [failed.errors[0]?.message, failed.summary, world.github.issues[0]?.body])
      expect(text).not.toMatch(/audit logging is off/i)
    expect(failed.outputs['failed-segments']).toBe('1')
    const [issue] = world.github.issues
    expect(issue?.state).toBe('open')
    const url = `${world.github.htmlUrl}/contoso/audit/issues/${issue?.number}`
    expect(failed.outputs['issue-url']).toBe(url)
    expect(failed.summary).toContain('<h3>Failed windows</h3>')

    // With fail-on-error off the same failure only warns.
    const warned = await runInProcess(world, { ...range, 'fail-on-error': 'false' })
    expect(warned.failed).toBeUndefined()
    expect(warned.warnings.at(-1)?.message).toMatch(/^1 listing window\(s\) failed after retries/)
    expect(world.github.issues[0]?.comments.at(-1)?.body).toMatch(/^Still failing/)

    missing.remove()
    const recovered = await runInProcess(world, range)
    expect(recovered.failed).toBeUndefined()
    expect(recovered.log).toContain(`Failure issue #${issue?.number} closed: ${url}`)
    expect(world.github.issues[0]?.state).toBe('closed')
    expect(recovered.summary).toContain('(closed: every failed window recovered)')
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])

    // The client secret and the GitHub token reached none of what the runs wrote: the issue and
    // its comments, the logs, summaries and outputs, the branch's files and commit messages.
    const runs = { failed, warned, recovered }
    for (const run of Object.values(runs)) expect(run.secrets).toEqual(expect.arrayContaining([SECRET, GITHUB_TOKEN]))
    const texts: Record<string, string> = { issues: JSON.stringify(world.github.issues) }
    for (const [name, run] of Object.entries(runs)) {
      texts[`${name} log`] = run.log.join('\n')
      texts[`${name} summary`] = run.summary
      texts[`${name} outputs`] = JSON.stringify(run.outputs)
      texts[`${name} failure`] = run.failed ?? ''
    }
    const files = await world.branchFiles()
    expect(files.size).toBeGreaterThan(0)
    for (const [path, text] of files) texts[`branch ${path}`] = text
    texts['commit messages'] = await world.github.git(['log', '--format=%B', BRANCH])
    expect(world.github.issues[0]?.comments.length).toBeGreaterThan(0)
    expect(findLeaks([SECRET, GITHUB_TOKEN], texts)).toEqual([])
  })

  it('redacts a masked value an error body echoes from everything it saves: the ledger, the issue, the summary', async () => {
    world = await startWorld()
    const range = backfill(world, 2)
    // A service (or a proxy on the way) that echoes the request's secret in its error.
    world.emulator.faults.add({
      route: 'content',
      kind: 'internal-error',
      message: `Internal error for client_secret=${SECRET} (PEM "${SECRET}")`,
      match: (request) => request.url.searchParams.get('startTime')?.startsWith(range.start!.slice(0, 13)) ?? false
    })
    const failed = await runInProcess(world, range)
    expect(failed.failed).toMatch(/1 listing window\(s\) failed/)
    const ledger = (await world.github.readFile(BRANCH, 'state/ledger.json'))!.toString('utf8')
    const saved = { ledger, issue: JSON.stringify(world.github.issues), summary: failed.summary }
    expect(findLeaks([SECRET], saved)).toEqual([])
    expect(JSON.parse(ledger).contentTypes['Audit.General'].failed[0].message).toContain('client_secret=***')
    expect(world.github.issues[0]?.body).toContain('client_secret=***')
  })

  it(
    'only imports when given exports and no credential: asks Microsoft for nothing and opens no issue',
    async () => {
      world = await startWorld()
      const workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
      dirs.push(workspace)
      await mkdir(join(workspace, 'exports'))
      const written = await writePurviewExports(workspace, {
        now: new Date(),
        tenantId: TENANT,
        rows: 4_200,
        shared: 5,
        extra: [],
        minDays: 20,
        maxDays: 40,
        seed: 7
      })
      const record = await runInProcess(world, { import: 'exports/*.csv', 'client-secret': '' }, { workspace })
      expect(record.failed).toBeUndefined()
      expect(world.emulator.requests.length).toBe(0)
      expect(record.outputs['bad-rows']).toBe(String(written.bad.length))
      expect(record.warnings.map((warning) => warning.title)).toEqual(['Bad rows in Purview exports'])
      expect(record.summary).toContain('<h3>Imported Purview exports</h3>')
      expect(world.github.issues).toEqual([])
      expect(record.log).not.toContain('::group::Failure issue')
      const rows = (await world.branchRows()).length
      expect(rows).toBe(Number(record.outputs['records-added']))
      expect(rows).toBeGreaterThan(4_000)
      // Writes and imports 4,200 export rows: the budget of a scenario.
    },
    E2E_TEST_BUDGET_MS
  )

  it('plans a dry run from the branch, writes nothing and shows the plan', async () => {
    world = await startWorld()
    const range = backfill(world, 2)
    await runInProcess(world, range)
    const head = (await commits(world))[0]
    const writes = (): number => world!.github.requests.filter((request) => request.method !== 'GET').length
    const writesBefore = writes()
    const apiCallsBefore = world.emulator.requests.length
    const record = await runInProcess(world, { 'dry-run': 'true', lookback: '3h' })
    expect(record.failed).toBeUndefined()
    expect(record.outputs).toEqual({})
    expect(record.log).toContain(
      "dry-run: the plan above is what a real run would list now; the branch's ledger was read, nothing was written."
    )
    expect(record.summary).toMatch(/^<h2>m365-audit-sync: plan \(dry run\)<\/h2>\nScheduled run: /)
    expect((await commits(world))[0]).toBe(head)
    expect(writes()).toBe(writesBefore)
    expect(world.emulator.requests.length).toBe(apiCallsBefore)
  })

  it('masks the ID token GitHub hands over for OIDC sign-in, whatever the port did with it', async () => {
    const issuer = await startFakeOidcIssuer()
    try {
      world = await startWorld({
        emulator: {
          clientSecret: null,
          federated: {
            issuer: issuer.issuer,
            subject: issuer.subject,
            audience: 'api://AzureADTokenExchange',
            publicKeyPem: issuer.publicKeyPem
          }
        }
      })
      const range = backfill(world, 1)
      // A port that hands the token over without masking it (the recording port masks nothing itself).
      const idToken = async (audience: string): Promise<string> => {
        const response = await fetch(`${issuer.url}&audience=${encodeURIComponent(audience)}`, {
          headers: { authorization: `Bearer ${issuer.requestToken}` }
        })
        return ((await response.json()) as { value: string }).value
      }
      const record = await runInProcess(world, { ...range, 'client-secret': '' }, { idToken, env: issuer.env() })
      expect(record.failed).toBeUndefined()
      expect(issuer.issued.length).toBeGreaterThan(0)
      expect(record.secrets).toEqual(expect.arrayContaining([...issuer.issued]))
      expect(findLeaks(issuer.issued, { log: record.log.join('\n'), summary: record.summary })).toEqual([])
    } finally {
      await issuer.close()
    }
  })

  it('reports a run that stops before committing: why, where, and that the branch is as it was', async () => {
    world = await startWorld()
    const range = backfill(world, 2)
    const record = await runInProcess(world, { ...range, 'client-secret': 'not-the-secret~0123456789' })
    expect(record.failed).toMatch(/AADSTS7000215: the client secret is wrong/)
    expect(record.summary).toMatch(/The run stopped while checking the subscriptions: Sign-in to Entra ID failed/)
    expect(record.summary).toContain('Nothing was committed: the data branch is as it was')
    expect(await commits(world)).toEqual([])
    expect(record.secrets).toContain('not-the-secret~0123456789')
    // The stop is reported where someone watches: an issue, with the reason and no secret.
    const [issue] = world.github.issues
    expect(issue?.state).toBe('open')
    expect(issue?.title).toBe('m365-audit-sync: a run stopped before collecting')
    expect(issue?.body).toMatch(
      /stopped at .* before it committed anything:\n\n> .*AADSTS7000215: the client secret is wrong/
    )
    expect(record.outputs['issue-url'] ?? '').toBe('')
    expect(record.summary).toContain(`issues/${issue?.number}`)
    expect(
      findLeaks(['not-the-secret~0123456789'], {
        log: record.log.join('\n'),
        summary: record.summary,
        failed: record.failed ?? '',
        issue: `${issue?.title}\n${issue?.body}`
      })
    ).toEqual([])

    // Stopped again: one issue, a comment more. Then a run that completes closes it.
    await runInProcess(world, { ...range, 'client-secret': 'not-the-secret~0123456789' })
    expect(world.github.issues).toHaveLength(1)
    expect(world.github.issues[0]?.comments.at(-1)?.body).toMatch(/before it committed anything/)
    const recovered = await runInProcess(world, range)
    expect(recovered.failed).toBeUndefined()
    expect(world.github.issues[0]?.state).toBe('closed')
    expect(world.github.issues[0]?.comments.at(-1)?.body).toMatch(/completed, and no window is failing/)
  })

  it('warns about a misspelt operation, and once it is fixed reads again what it left out', async () => {
    world = await startWorld()
    const range = backfill(world, 3)
    const typo = await runInProcess(world, { ...range, operations: 'LaunchPowerApps' })
    expect(typo.failed).toBeUndefined()
    expect(typo.warnings.map((warning) => warning.message)).toContainEqual(
      expect.stringMatching(/'LaunchPowerApps'.*did you mean 'LaunchPowerApp'/)
    )
    expect((await world.branchRows()).filter((entry) => entry.row.Operation === 'LaunchPowerApp')).toEqual([])

    const fixed = await runInProcess(world, { ...range, operations: 'LaunchPowerApp' })
    expect(fixed.failed).toBeUndefined()
    expect(fixed.warnings.filter((warning) => warning.title === 'Unknown operation name')).toEqual([])
    const launches = world.emulator
      .servedRecords('Audit.General')
      .filter((record) => record.Operation === 'LaunchPowerApp')
    expect(launches.length).toBeGreaterThan(5)
    const onBranch = (await world.branchRows()).map((entry) => entry.row.Id).sort()
    expect(onBranch).toEqual(launches.map((record) => String(record.Id).toLowerCase()).sort())
    // The ledger remembers what the blobs were read with; a third run with the same filter reads nothing again.
    const again = await runInProcess(world, { ...range, operations: 'LaunchPowerApp' })
    expect(again.log.join('\n')).toMatch(/downloaded 0 blobs/)
  })

  it('fails only the day whose file is broken: every other day lands, its rows are held, and once the file is fixed the day fills and the issue closes', async () => {
    world = await startWorld()
    const { range, from, generate } = twoDaysCollected(world)
    expect((await runInProcess(world, range)).failed).toBeUndefined()
    const dayFiles = (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH]))
      .split('\n')
      .filter((path) => /^audit\/Audit\.General\/.*\.csv$/.test(path))
      .sort()
    expect(dayFiles.length).toBeGreaterThanOrEqual(2)
    // The day the range starts in: more content below adds to it.
    const broken = dayFiles.find((path) => path.endsWith(`${from.toISOString().slice(0, 10)}.csv`))!
    const original = (await world.github.readFile(BRANCH, broken))!
    // A hand edit leaves a quote open: the file ends inside a row.
    await world.github.commitFiles(BRANCH, { [broken]: Buffer.concat([original, Buffer.from('"edited by hand,')]) })

    generate() // more content for every day, the broken one too
    // Days settle at once here: a settled day is compacted, which reads its files (an addition
    // to a day that can still grow reads only its key files).
    const settleNow = { env: { [TEST_HOOKS.settleAfterMs]: '0' } }
    const held = await runInProcess(world, range, settleNow)
    expect(held.failed).toMatch(/1 day\(s\) that could not be merged/)
    const otherDays = dayFiles.filter((path) => path !== broken)
    const files = await world.github.readAllFiles(BRANCH)
    const heldFiles = [...files.keys()].filter((path) => path.startsWith('state/held/'))
    expect(heldFiles).toEqual([`state/held/Audit.General/${broken.slice(-14, -4)}.1.csv`])
    // Every record served is on the branch once, in its day, or held for the broken day.
    const servedIds = world.emulator.servedRecords('Audit.General').map((record) => String(record.Id).toLowerCase())
    const idsIn = (path: string): string[] =>
      (
        parseCsv(files.get(path)!, {
          columns: true,
          // Only the broken file has a row that does not parse.
          ...(path === broken ? { relax_quotes: true, skip_records_with_error: true } : {})
        }) as { Id: string }[]
      ).map((row) => row.Id)
    const landed = [...files.keys()]
      .filter((path) => path.startsWith('audit/Audit.General/') && path !== broken)
      .flatMap(idsIn)
    const heldIds = idsIn(heldFiles[0]!)
    // Every held row is of the broken day.
    const brokenDay = broken.slice(-14, -4)
    const heldTimes = (parseCsv(files.get(heldFiles[0]!)!, { columns: true }) as { CreationTime: string }[]).map(
      (row) => row.CreationTime.slice(0, 10)
    )
    expect(new Set(heldTimes)).toEqual(new Set([brokenDay]))
    const inBroken = idsIn(broken).filter((id) => /^[0-9a-f-]{36}$/.test(id))
    expect(heldIds.length).toBeGreaterThan(0)
    // Held rows are the day's new ones as collected: a copy of a row the day has is dropped
    // when they are merged.
    expect(new Set(landed).size).toBe(landed.length)
    expect([...new Set([...landed, ...heldIds, ...inBroken])].sort()).toEqual([...new Set(servedIds)].sort())
    expect(otherDays.filter((path) => !files.has(path))).toEqual([])
    const issue = world.github.issues.at(-1)
    expect(issue?.state).toBe('open')
    expect(issue?.body).toContain(broken)
    expect(issue?.body).toContain('DayNotMerged')
    expect(issue?.body).not.toMatch(/gh workflow run/)
    const ledger = JSON.parse(files.get('state/ledger.json')!.toString('utf8')) as {
      contentTypes: Record<string, { held?: { day: string; file: string; rows: number }[] }>
    }
    expect(ledger.contentTypes['Audit.General']?.held).toEqual([
      expect.objectContaining({ day: broken.slice(-14, -4), file: broken, rows: heldIds.length })
    ])

    // A hand breaks the held file too: it is left as it is, the new rows are held beside it.
    const heldFile = heldFiles[0]!
    const heldBytes = files.get(heldFile)!
    await world.github.commitFiles(BRANCH, { [heldFile]: Buffer.concat([heldBytes, Buffer.from('"cut')]) })
    generate()
    const beside = await runInProcess(world, range, settleNow)
    expect(beside.failed).toMatch(/1 day\(s\) that could not be merged/)
    const besideFiles = (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH])).split('\n')
    expect(besideFiles.filter((path) => path.startsWith('state/held/'))).toEqual([
      heldFile,
      heldFile.replace(/\.1\.csv$/, '.2.csv')
    ])
    expect(world.github.issues.at(-1)?.body).toContain(heldFile)

    // The admin restores both files; the next run merges the held rows, nothing else to collect.
    await world.github.commitFiles(BRANCH, { [broken]: original, [heldFile]: heldBytes })
    const fixed = await runInProcess(world, range, settleNow)
    expect(fixed.failed).toBeUndefined()
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    const after = await world.github.readAllFiles(BRANCH)
    expect([...after.keys()].filter((path) => path.startsWith('state/held/'))).toEqual([])
    expect(
      JSON.parse(after.get('state/ledger.json')!.toString('utf8')).contentTypes['Audit.General'].held
    ).toBeUndefined()
    expect(world.github.issues.at(-1)?.state).toBe('closed')
  })

  it('writes a key file that does not read again, by compacting its day, and the day takes its new rows', async () => {
    world = await startWorld()
    const { range, generate } = twoDaysCollected(world)
    expect((await runInProcess(world, range)).failed).toBeUndefined()
    const keyFiles = (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH]))
      .split('\n')
      .filter((path) => path.startsWith('state/keys/'))
    expect(keyFiles.length).toBeGreaterThan(0)
    const broken = keyFiles.at(-1)!
    await world.github.commitFiles(BRANCH, { [broken]: 'not base64 at all!\n' })
    generate()
    const repaired = await runInProcess(world, range)
    expect(repaired.failed).toBeUndefined()
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    const rewritten = (await world.github.readFile(BRANCH, broken))?.toString('latin1') ?? ''
    expect(rewritten).toMatch(/^[A-Za-z0-9+/=]+\n$/)
    expect([...(await world.branchFiles()).keys()].filter((path) => path.startsWith('state/held/'))).toEqual([])
  })

  it('repairs state a hand broke: a ledger entry that does not read is dropped with a warning, a broken manifest is rebuilt from the files', async () => {
    world = await startWorld()
    const { range, from } = twoDaysCollected(world)
    expect((await runInProcess(world, range)).failed).toBeUndefined()
    const manifestBefore = JSON.parse((await world.github.readFile(BRANCH, 'manifest.json'))!.toString('utf8')) as {
      files: Record<string, unknown>
    }
    const ledger = JSON.parse((await world.github.readFile(BRANCH, 'state/ledger.json'))!.toString('utf8')) as {
      contentTypes: Record<string, { failed: unknown[] }>
    }
    ledger.contentTypes['Audit.General']!.failed.push({ start: 'last tuesday', end: 7, code: 'X' })
    await world.github.commitFiles(BRANCH, {
      'state/ledger.json': `${JSON.stringify(ledger, null, 2)}\n`,
      'manifest.json': '{"version": 1, "files": {"audit/Audit.General/2026/12/x.csv": {"rows": "many"}'
    })

    // New content for the last hour only, never late by more than half an hour: the day the
    // range starts in gets nothing new, and its file is one the run does not touch.
    const to = new Date(range.end!)
    world.emulator.generate({
      contentTypes: ['Audit.General'],
      from: new Date(to.getTime() - HOUR),
      to,
      blobsPerHour: 2,
      recordsPerBlob: 4,
      lateness: [{ share: 1, minMinutes: 0, maxMinutes: 30 }]
    })
    const repaired = await runInProcess(world, range)
    expect(repaired.failed).toBeUndefined()
    expect(repaired.warnings).toContainEqual({
      title: 'Ledger entry dropped',
      message: expect.stringMatching(
        /state\/ledger\.json: dropped a failed window of Audit\.General that does not read/
      )
    })
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])
    const manifest = JSON.parse((await world.github.readFile(BRANCH, 'manifest.json'))!.toString('utf8')) as {
      files: Record<string, { rows: number; bytes: number; sha256: string }>
    }
    const dayFiles = (await world.github.git(['ls-tree', '-r', '--name-only', BRANCH]))
      .split('\n')
      .filter((path) => path.startsWith('audit/'))
    expect(Object.keys(manifest.files).sort()).toEqual(dayFiles.sort())
    for (const path of dayFiles) {
      const bytes = (await world.github.readFile(BRANCH, path))!
      expect(manifest.files[path], path).toMatchObject({
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex')
      })
    }
    // A file the run did not touch is described as it was before the manifest broke.
    const untouched = dayFiles.find((path) => path.endsWith(`/${from.toISOString().slice(0, 10)}.csv`))!
    expect(manifestBefore.files[untouched]).toBeDefined()
    expect(manifest.files[untouched]).toEqual(manifestBefore.files[untouched])
  })

  it('keeps retention-days: older days leave the branch and its history, a writer racing the rewrite keeps its data, every kept record stays', async () => {
    world = await startWorld()
    const range = backfill(world, 4)
    expect((await runInProcess(world, range)).failed).toBeUndefined()
    const header = (await world.github.readFile(BRANCH, 'manifest.json')) ? 'Id,CreationTime\r\n' : ''
    const old = {
      'audit/Audit.General/2026/10/2026-10-01.csv': `${header}old,2026-10-01T00:00:00Z\r\n`,
      'state/keys/Audit.General/2026/10/2026-10-01.csv.keys': 'AAAAAAAAAAA=\n',
      'usage/power-apps/2026/10/2026-10-02.csv': 'Day,AppId\r\n'
    }
    await world.github.commitFiles(BRANCH, old, 'older days, as an earlier year of runs left them')
    const oldCommit = await world.head()
    // A dry run says what retention would erase, and erases nothing.
    const preview = await runInProcess(world, { ...range, 'retention-days': '8', 'dry-run': 'true' })
    expect(preview.log.join('\n')).toMatch(
      /Would erase 2 days before \d{4}-\d{2}-\d{2} \(2026-10-01 to 2026-10-02, 3 files\) from the branch and its history \(retention-days 8\)\./
    )
    expect(await world.head()).toBe(oldCommit)
    // A writer commits while the rewrite is being built: the rewrite starts over on its commit.
    const racing = world.github.raceNextRefUpdates(1, BRANCH, { 'notes/racing.txt': 'kept\n' })

    const run = await runInProcess(world, { ...range, 'retention-days': '8' })
    expect(run.failed).toBeUndefined()
    expect(racing).toHaveLength(1)
    expect(run.log.join('\n')).toMatch(
      /Retention: erased 2 days before \d{4}-\d{2}-\d{2} \(2026-10-01 to 2026-10-02, 3 files\) from branch 'audit-data' and its history: it is now one commit/
    )
    expect(run.summary).toContain('Retention: erased 2 days')
    expect(await world.github.git(['rev-list', '--count', BRANCH])).toBe('1')
    const files = await world.github.readAllFiles(BRANCH)
    for (const path of Object.keys(old)) expect(files.has(path), path).toBe(false)
    expect(files.get('notes/racing.txt')?.toString('utf8')).toBe('kept\n')
    const reachable = await world.github.git(['merge-base', '--is-ancestor', oldCommit!, BRANCH]).then(
      () => true,
      () => false
    )
    expect(reachable).toBe(false)
    expect(await world.github.git(['log', '--format=%H', BRANCH, '--', 'audit/Audit.General/2026/10'])).toBe('')
    await expectBranchHoldsExactlyServed(world, ['Audit.General'])

    // Nothing older left: the next run erases nothing and keeps the one commit it builds on.
    const again = await runInProcess(world, { ...range, 'retention-days': '8' })
    expect(again.log.join('\n')).toMatch(/Retention: the branch holds no day before .*; nothing to erase\./)
    // Exports reaching further back: what is before the kept days is not written (retention
    // would erase it again, rewriting the branch every run); the rest lands.
    const workspace = await mkdtemp(join(tmpdir(), 'm365-exports-'))
    dirs.push(workspace)
    await mkdir(join(workspace, 'exports'))
    await writePurviewExports(workspace, {
      now: new Date(),
      tenantId: TENANT,
      rows: 200,
      shared: 0,
      extra: [],
      minDays: 2,
      maxDays: 14,
      seed: 3
    })
    const imported = await runInProcess(world, { import: 'exports/*.csv', 'retention-days': '8' }, { workspace })
    expect(imported.failed).toBeUndefined()
    expect(imported.log.join('\n')).toMatch(
      /\d+ collected row\(s\) of \d+ day\(s\) before \d{4}-\d{2}-\d{2} are not written/
    )
    expect(imported.log.join('\n')).toMatch(/Retention: the branch holds no day before .*; nothing to erase\./)
    expect(Number(imported.outputs['records-added'])).toBeGreaterThan(0)
    expect(await world.github.git(['rev-list', '--count', BRANCH])).toBe('2')

    // A backfill that starts before what is kept is refused before any request.
    const tooOld = await runInProcess(world, {
      start: new Date(Date.now() - 20 * 24 * HOUR).toISOString(),
      'retention-days': '8',
      source: 'auto'
    })
    expect(tooOld.failed).toMatch(/Input 'start' .* is before the 8 days 'retention-days' keeps/)
  })

  it('keeps one failure issue per data branch: jobs that opened one each at the same moment end with the oldest', async () => {
    world = await startWorld()
    const range = backfill(world, 2)
    const octokit = createGitHubClient({ token: GITHUB_TOKEN, baseUrl: world.github.url, pacingMs: 0 })
    // Two jobs of a matrix, stopped at once, each opened the issue.
    for (const job of ['a', 'b'])
      await octokit.rest.issues.create({
        owner: 'contoso',
        repo: 'audit',
        title: `stopped (${job})`,
        body: `${issueMarker(BRANCH)}\nstopped`,
        labels: ['audit-sync']
      })
    const stopped = await runInProcess(world, { ...range, 'client-secret': 'not-the-secret~0123456789' })
    expect(stopped.failed).toMatch(/AADSTS7000215/)
    const [first, second] = world.github.issues
    expect(first?.state).toBe('open')
    expect(first?.comments.at(-1)?.body).toMatch(/before it committed anything/)
    expect(second?.state).toBe('closed')
    expect(second?.comments.at(-1)?.body).toBe(`Duplicate of #${first?.number}: one issue per data branch.`)
    expect(world.github.issues).toHaveLength(2)
  })

  it('reports a run that stops after a pass was committed: the commit is kept and listed', async () => {
    world = await startWorld()
    const range = backfill(world, 6, { blobsPerHour: 2, recordsPerBlob: 10 })
    // The first pass commits; every later ref update is refused, as a token without write access would be.
    world.github.faults.add(refUpdateForbidden())
    const record = await runInProcess(world, { ...range, 'records-per-commit': '40' })
    expect(record.failed).toMatch(/GitHub refused to update branch 'audit-data' in contoso\/audit \(403 /)
    const made = await commits(world)
    expect(made).toHaveLength(1)
    expect(record.summary).toContain('The run stopped while committing to the data branch')
    expect(record.summary).toMatch(/Committed before it stopped: \d+ new records in 1 commit\(s\), kept/)
    expect(record.summary).toContain(`/commit/${made[0]?.slice(0, 40)}`)
  })

  it(
    'adds rows beside a day hour by hour, then compacts it when it settles, every record once throughout',
    async () => {
      world = await startWorld({ emulator: { seed: 3 } })
      // A day that has ended, collected hour by hour: more additions than the run has connections.
      const start = new Date(Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR + 4 * HOUR)
      world.emulator.generate({
        contentTypes: ['Audit.General'],
        from: start,
        to: new Date(start.getTime() + 11 * HOUR),
        blobsPerHour: 2,
        recordsPerBlob: 8
      })
      const blobReads: number[] = []
      for (let hour = 0; hour < 11; hour++) {
        const from = new Date(start.getTime() + hour * HOUR)
        const requestsBefore = world.github.requests.length
        const record = await runInProcess(world, {
          start: from.toISOString(),
          end: new Date(from.getTime() + HOUR).toISOString()
        })
        expect(record.failed).toBeUndefined()
        const requests = world.github.requests
          .slice(requestsBefore)
          .map((request) => `${request.method} ${request.path}`)
        blobReads.push(requests.filter((request) => /^GET .*\/git\/blobs\//.test(request)).length)
        // One request a day the run adds to (this day, and the day before for late records).
        const graphqlQueries = world.github.requests
          .slice(requestsBefore)
          .filter((request) => request.path === '/graphql' && !JSON.stringify(request.body).includes('updateRefs'))
        expect(graphqlQueries.length).toBeLessThanOrEqual(2)
      }
      // However many additions the day gathers (more than 8 below, the REST reads a run makes at
      // once), a run reads their key files
      // in one request: its REST reads are the few state files of the branch and of the days.
      expect(Math.max(...blobReads)).toBeLessThanOrEqual(10)
      const served = await expectBranchHoldsExactlyServed(world, ['Audit.General'])
      const files = async (): Promise<string[]> => [...(await world!.github.readAllFiles(BRANCH)).keys()]
      const day = start.toISOString().slice(0, 10)
      expect((await files()).filter((path) => path.includes(`${day}.added-`)).length).toBeGreaterThan(8)

      const settled = await runInProcess(
        world,
        { start: start.toISOString(), end: new Date(start.getTime() + HOUR).toISOString() },
        { env: { [TEST_HOOKS.settleAfterMs]: '0' } }
      )
      expect(settled.failed).toBeUndefined()
      expect(await expectBranchHoldsExactlyServed(world, ['Audit.General'])).toBe(served)
      expect((await files()).filter((path) => path.includes('.added-') || path.startsWith('state/keys/'))).toEqual([])
      expect(settled.outputs['records-added']).toBe('0')
      expect(settled.summary).toMatch(
        new RegExp(`Compacted \\d settled day\\(s\\) into their parts: .*Audit.General ${day}`)
      )
      // A dozen runs in process: the budget of a scenario, not of a unit test.
    },
    E2E_TEST_BUDGET_MS
  )

  it('reports every invalid input at once and requests nothing', async () => {
    world = await startWorld()
    const record = await runInProcess(world, { 'tenant-id': 'x', cloud: 'mars', format: 'xml' })
    expect(record.errors.map((error) => error.title)).toEqual([
      "Invalid input 'tenant-id'",
      "Invalid input 'cloud'",
      "Invalid input 'format'"
    ])
    expect(record.failed).toBe('3 inputs are invalid (see above); nothing was requested or written.')
    expect(world.emulator.requests.length + world.github.requests.length).toBe(0)
  })
})

describe('sync(): the orchestrator against any source', () => {
  /** A Management API of one blob, in memory. */
  function oneBlobSource(records: object[]) {
    const blob: ContentBlob = {
      contentType: 'Audit.General',
      contentId: 'blob-1',
      contentUri: 'memory:blob-1',
      contentCreated: '2026-01-01T00:00:00.000Z',
      contentExpiration: ''
    }
    const bytes = Buffer.from(JSON.stringify(records))
    return {
      listSubscriptions: async () => [{ contentType: 'Audit.General', status: 'enabled' }],
      startSubscription: async () => 'already-enabled' as const,
      async *listContent() {
        yield [blob]
      },
      fetchBlob: async <T>(_: ContentBlob, use: (content: BlobContent) => T) =>
        use({ bytes, records: scanRecords(bytes, fieldKeys(SCANNED_COLUMNS)) })
    }
  }

  it('commits what a source serves, and stops with its progress when a later step fails', async () => {
    world = await startWorld()
    const now = new Date()
    const time = new Date(now.getTime() - HOUR).toISOString().slice(0, 19)
    const given: Record<string, string> = {
      'tenant-id': TENANT,
      'client-id': TENANT,
      'client-secret': 'x',
      'github-token': GITHUB_TOKEN,
      repository: 'contoso/audit',
      lookback: '2h'
    }
    const { settings } = readSettings({ getInput: (name) => given[name] ?? '', setSecret: () => {}, env: {} }, now)
    const octokit = createGitHubClient({ token: GITHUB_TOKEN, baseUrl: world.github.url, pacingMs: 0 })
    const git = createGitDatabase(octokit, { owner: 'contoso', repo: 'audit' })
    const temp = await mkdtemp(join(tmpdir(), 'm365-action-run-'))
    dirs.push(temp)
    const log: string[] = []
    const deps = {
      tempDir: temp,
      workspace: temp,
      git,
      now: () => now,
      log: (line: string) => log.push(line),
      group: <T>(_: string, work: () => Promise<T>) => work()
    }

    const records = [{ Id: 'A', CreationTime: time, Operation: 'LaunchPowerApp', Workload: 'PowerApps' }]
    const result = await sync(settings, { ...deps, api: oneBlobSource(records) })
    expect(result.report.recordsAdded).toBe(1)
    expect(result.stats).toMatchObject({ windowsListed: 2, blobsDownloaded: 1, blobsSkipped: 1, recordsReceived: 1 })
    expect((await world.branchRows()).map((entry) => entry.row.Id)).toEqual(['a'])

    const failing = {
      ...oneBlobSource(records),
      listSubscriptions: () => Promise.reject(new Error('the service is down'))
    }
    const stopped = await sync(settings, { ...deps, api: failing }).catch((error: unknown) => error)
    expect(stopped).toBeInstanceOf(SyncStopped)
    expect((stopped as SyncStopped).message).toBe('the service is down')
    expect((stopped as SyncStopped).progress).toMatchObject({ step: 'subscriptions', windowsTotal: 2, commits: [] })
  })
})
