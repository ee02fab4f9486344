import { describe, expect, it } from 'vitest'
import { InputError, readSettings } from '../../src/action/inputs.js'
import { inputSource } from './fixtures.js'
import { DAY_MS, HOUR_MS } from '../../src/util/duration.js'

const NOW = new Date('2026-11-22T03:57:00Z')
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60'
const SECRET = 'Xy9~s3cr3t.value_with-symbols'
const TOKEN = 'ghs_faketoken0123456789'

/** `context` is what the run context says; by default the workflow runs in contoso/audit. */
function source(
  inputs: Record<string, string>,
  context: { currentRepository?: string } = { currentRepository: 'contoso/audit' }
) {
  return inputSource(
    { 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'github-token': TOKEN },
    inputs,
    context
  )
}

function problemsOf(inputs: Record<string, string>, context?: { currentRepository?: string }) {
  try {
    readSettings(source(inputs, context).input, NOW)
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  throw new Error('expected an InputError')
}

describe('readSettings', () => {
  it('fills every default from the contract', () => {
    const { settings, plan } = readSettings(source({}).input, NOW)
    expect(settings).toEqual({
      tenantId: TENANT,
      clientId: CLIENT,
      credential: { kind: 'client-secret', secret: SECRET },
      cloud: 'commercial',
      authorityHost: 'https://login.microsoftonline.com',
      audience: 'https://manage.office.com',
      source: 'management-api',
      graphUrl: undefined,
      graphLimits: { inFlight: 2, submissionsPerDay: 100, waitMs: 45 * 60_000 },
      contentTypes: ['Audit.General'],
      publisherId: TENANT,
      scope: { mode: 'scheduled', lookbackMs: DAY_MS },
      windowMs: HOUR_MS,
      maxWindows: 200,
      format: 'csv',
      dataBranch: 'audit-data',
      repository: { owner: 'contoso', repo: 'audit' },
      githubToken: TOKEN,
      githubApiUrl: undefined,
      openIssue: true,
      issueLabels: ['audit-sync'],
      failOnError: true,
      concurrency: 8,
      apiQuota: 2000,
      recordsPerCommit: 1_000_000,
      filter: { operations: [], workloads: [], recordTypes: [] },
      usage: true,
      importPatterns: [],
      dryRun: false
    })
    expect(plan.windows).toHaveLength(24)
  })

  it('masks the client secret and the GitHub token as soon as they are read', () => {
    const { input, masked } = source({ 'tenant-id': 'not-a-guid' })
    expect(() => readSettings(input, NOW)).toThrow(InputError)
    expect(masked).toEqual([SECRET, TOKEN])
  })

  it('reads the cloud presets and overrides', () => {
    const gccHigh = readSettings(source({ cloud: 'gcc-high' }).input, NOW).settings
    expect([gccHigh.authorityHost, gccHigh.audience]).toEqual([
      'https://login.microsoftonline.us',
      'https://manage.office365.us'
    ])
    const dod = readSettings(source({ cloud: 'DoD' }).input, NOW).settings
    expect(dod.audience).toBe('https://manage.protection.apps.mil')
    const gcc = readSettings(source({ cloud: 'gcc' }).input, NOW).settings
    expect(gcc.audience).toBe('https://manage-gcc.office.com')
    const custom = readSettings(
      source({ authority: 'https://login.windows.net/', audience: `https://127.0.0.1:8443` }).input,
      NOW
    ).settings
    expect([custom.authorityHost, custom.audience]).toEqual(['https://login.windows.net', 'https://127.0.0.1:8443'])
    const withTenant = readSettings(
      source({ authority: `https://login.microsoftonline.com/${TENANT}` }).input,
      NOW
    ).settings
    expect(withTenant.authorityHost).toBe('https://login.microsoftonline.com')
  })

  it('reads a backfill with content types, separators and case as people write them', () => {
    const { settings, plan } = readSettings(
      source({
        start: '2026-11-20',
        end: '2026-11-21T06:00Z',
        'content-types': 'audit.general, Audit.SharePoint\nAudit.General\n',
        segment: '1 hour',
        'data-branch': 'refs/heads/data/audit',
        'dry-run': 'True',
        concurrency: '16'
      }).input,
      NOW
    )
    expect(settings.scope).toEqual({
      mode: 'backfill',
      start: new Date('2026-11-20T00:00:00Z'),
      end: new Date('2026-11-21T06:00:00Z')
    })
    expect(settings.contentTypes).toEqual(['Audit.General', 'Audit.SharePoint'])
    expect(settings.dataBranch).toBe('data/audit')
    expect(settings.dryRun).toBe(true)
    expect(settings.concurrency).toBe(16)
    expect(plan.windows).toHaveLength(30)
  })

  it.each([
    [{ 'tenant-id': '' }, 'tenant-id', /is required/],
    [
      { 'tenant-id': 'contoso.onmicrosoft.com' },
      'tenant-id',
      /must be the Directory \(tenant\) ID.*got 'contoso.onmicrosoft.com'/
    ],
    [{ 'client-id': '1234' }, 'client-id', /Application \(client\) ID.*got '1234'/],
    [{ 'client-secret': '' }, 'client-secret', /No credential/],
    [{ cloud: 'azure-china' }, 'cloud', /one of commercial, gcc, gcc-high, dod; got 'azure-china'/],
    [{ authority: 'http://login.microsoftonline.com' }, 'authority', /must use https/],
    [{ audience: 'manage.office.com' }, 'audience', /https URL/],
    [{ audience: 'https://manage.office.com/api/v1.0' }, 'audience', /scheme and host only/],
    [
      { 'content-types': 'Audit.General,Audit.PowerApps' },
      'content-types',
      /'Audit.PowerApps'.*Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint, Audit.General, DLP.All/
    ],
    [{ 'content-types': ' , ' }, 'content-types', /names no content type/],
    [{ 'publisher-id': 'me' }, 'publisher-id', /got 'me'/],
    [{ format: 'json' }, 'format', /'csv' or 'parquet'; got 'json'/],
    [{ lookback: 'a while' }, 'lookback', /duration.*got 'a while'/],
    [{ lookback: '8d' }, 'lookback', /at most 7d/],
    [{ segment: '90 seconds' }, 'segment', /duration.*got '90 seconds'/],
    [{ segment: '2 days' }, 'segment', /at most 24 hours/],
    [{ start: 'last tuesday' }, 'start', /ISO 8601.*got 'last tuesday'/],
    [{ start: '2026-11-21', end: '2026-11-20' }, 'start', /must be before 'end'/],
    [{ start: '2026-11-01' }, 'start', /21d3h57m ago.*7 days.*'import'/],
    [{ end: '2026-11-21' }, 'end', /needs 'start'/],
    [{ start: '2026-11-21', end: 'tomorrow' }, 'end', /got 'tomorrow'/],
    [{ segment: '5m', 'max-segments': '60' }, 'max-segments', /takes 288 segments.*\(60\)/],
    [{ 'max-segments': 'lots' }, 'max-segments', /whole number/],
    [
      { 'data-branch': 'audit data' },
      'data-branch',
      /not a valid git branch name: it must not contain spaces; got 'audit data'/
    ],
    [{ 'data-branch': 'audit..data' }, 'data-branch', /'\.\.'/],
    [{ repository: 'just-a-name' }, 'repository', /owner\/name; got 'just-a-name'/],
    [{ 'github-token': '' }, 'github-token', /contents: write/],
    [{ 'github-api-url': 'http://ghes.example.com/api/v3' }, 'github-api-url', /https URL.*got 'http:\/\/ghes/],
    [{ 'github-api-url': 'api.github.com' }, 'github-api-url', /https URL/],
    [{ 'dry-run': 'yes' }, 'dry-run', /true or false; got 'yes'/],
    [{ 'open-issue': '1' }, 'open-issue', /true or false/],
    [{ 'fail-on-error': 'no' }, 'fail-on-error', /true or false/],
    [{ concurrency: '0' }, 'concurrency', /from 1 to 64; got '0'/],
    [{ 'issue-labels': ' , ' }, 'issue-labels', /names no label/],
    [{ 'issue-labels': `ok,${'x'.repeat(51)}` }, 'issue-labels', /over 50 characters/],
    [{ concurrency: '100' }, 'concurrency', /from 1 to 64/],
    [{ 'records-per-commit': '1e5' }, 'records-per-commit', /whole number from 1 to 5000000; got '1e5'/],
    [{ 'records-per-commit': '9000000' }, 'records-per-commit', /from 1 to 5000000/],
    [{ usage: 'off' }, 'usage', /true or false; got 'off'/]
  ])('refuses %j', (inputs, name, message) => {
    const problems = problemsOf(inputs)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.input).toBe(name)
    expect(problems[0]?.message).toMatch(message)
    expect(problems[0]?.message).toContain(`'${name === 'client-secret' ? 'client-secret' : name}'`)
  })

  it('reads the filters, record types by number or enum name in any case', () => {
    const { settings } = readSettings(
      source({
        operations: 'LaunchPowerApp,DeletePowerApp',
        workloads: 'PowerApps\nPowerPlatform',
        'record-types': '45, powerplatformadministratoractivity'
      }).input,
      NOW
    )
    expect(settings.filter).toEqual({
      operations: ['LaunchPowerApp', 'DeletePowerApp'],
      workloads: ['PowerApps', 'PowerPlatform'],
      recordTypes: [45, 256]
    })
  })

  it('names an unknown record type and suggests members of the enum', () => {
    const [problem] = problemsOf({ 'record-types': '45,PowerApp,Teems' })
    expect(problem?.input).toBe('record-types')
    expect(problem?.message).toBe(
      "Input 'record-types' has unknown record type names 'PowerApp' (did you mean PowerAppsApp (45), PowerAppsPlan (46), PowerAppsResource (79)?); " +
        "'Teems' (did you mean PowerAppsApp (45), PowerPlatformAdministratorActivity (256), MicrosoftFlow (30), SharePointFileOperation (6)?). " +
        "Give numbers or the API's RecordType names, for example PowerAppsApp (45) or PowerPlatformAdministratorActivity (256)."
    )
  })

  it('imports only when import is set and content-types is empty or none', () => {
    const read = (inputs: Record<string, string>) => readSettings(source(inputs).input, NOW).settings
    expect(read({ import: 'exports/*.csv' })).toMatchObject({ contentTypes: [], importPatterns: ['exports/*.csv'] })
    expect(read({ import: 'a/*.csv\n\n b/{x,y}.csv \na/*.csv', 'content-types': 'None' })).toMatchObject({
      contentTypes: [],
      importPatterns: ['a/*.csv', 'b/{x,y}.csv']
    })
    expect(read({ import: 'exports/*.csv', 'content-types': 'Audit.General' }).contentTypes).toEqual(['Audit.General'])
    expect(read({ usage: 'false' }).usage).toBe(false)
  })

  it('needs no credential for a run that only imports, but checks one that is given', () => {
    const noCredential = { 'client-secret': '', import: 'exports/*.csv' }
    expect(readSettings(source(noCredential).input, NOW).settings.credential).toBeUndefined()
    expect(problemsOf({ 'client-secret': '' }).map((problem) => problem.input)).toContain('client-secret')
    expect(problemsOf({ ...noCredential, 'certificate-password': 'pw' }).map((problem) => problem.input)).toEqual([
      'certificate-password'
    ])
  })

  it.each([
    [{ 'content-types': 'none' }, /'none', which collects nothing; set 'import'/],
    [{ 'content-types': 'none,Audit.General', import: 'x.csv' }, /either 'none' or the content types/]
  ])('refuses content-types %j', (inputs, message) => {
    const problems = problemsOf(inputs)
    expect(problems.map((problem) => problem.input)).toEqual(['content-types'])
    expect(problems[0]?.message).toMatch(message)
  })

  it('takes another GitHub API root over https, or over http on this machine only', () => {
    const read = (url: string) => readSettings(source({ 'github-api-url': url }).input, NOW).settings.githubApiUrl
    expect(read('https://ghes.example.com/api/v3/')).toBe('https://ghes.example.com/api/v3')
    expect(read('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080')
    expect(read('')).toBeUndefined()
  })

  it('refuses a GitHub API root holding a user name or password, and never repeats it', () => {
    for (const url of [
      'https://octocat:hunter2-secret@ghes.example.com/api/v3',
      'http://octocat:hunter2-secret@ghes.example.com/api/v3',
      'octocat:hunter2-secret@ghes.example.com/api/v3',
      'https://hunter2-secret@ghes.example.com'
    ]) {
      const problems = problemsOf({ 'github-api-url': url })
      expect(problems.map((problem) => problem.input)).toEqual(['github-api-url'])
      expect(problems[0]?.message).toMatch(/must not hold a user name or password/)
      expect(problems[0]?.message).not.toContain('hunter2')
    }
    const path = 'https://ghes.example.com/api/v3/@scope'
    expect(readSettings(source({ 'github-api-url': path }).input, NOW).settings.githubApiUrl).toBe(path)
  })

  it('needs a repository unless it is a dry run', () => {
    expect(problemsOf({}, {}).map((problem) => problem.input)).toEqual(['repository'])
    expect(readSettings(source({ 'dry-run': 'true' }, {}).input, NOW).settings.repository).toBeUndefined()
  })

  it('reports every problem at once, and a bad segment does not hide a bad start', () => {
    const problems = problemsOf({ 'tenant-id': 'x', segment: '3d', start: '2026-10-01', cloud: 'mars' })
    expect(problems.map((problem) => problem.input).sort()).toEqual(['cloud', 'segment', 'start', 'tenant-id'])
  })

  it('never quotes the secret in a message', () => {
    const problems = problemsOf({ 'tenant-id': 'x', 'client-id': 'y', cloud: 'z', format: 'w', 'github-token': '' })
    for (const problem of problems) {
      expect(problem.message).not.toContain(SECRET)
      expect(problem.message).not.toContain(TOKEN)
    }
  })

  it('quotes long or multi-line values on one short line', () => {
    const [problem] = problemsOf({ 'tenant-id': `line one\nline two ${'x'.repeat(200)}` })
    expect(problem?.message).toContain(`'line one\\nline two`)
    expect(problem?.message).toMatch(/\.\.\.'\.$/)
  })
})
