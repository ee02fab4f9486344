import { describe, expect, it } from 'vitest'
import { InputError, readSettings } from '../../src/action/inputs.js'
import { inputSource } from './fixtures.js'
import { MINUTE_MS } from '../../src/util/duration.js'

const NOW = new Date('2026-11-22T03:57:00Z')
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT = '0f8d2a6e-5b1c-4d3e-9a7f-1c2b3d4e5f60'
const SECRET = 'Xy9~s3cr3t.value_with-symbols'
const TOKEN = 'ghs_faketoken0123456789'
/** 20 days back: past the Management API's 7 days. */
const OLD_START = '2026-11-02'
/** The oldest start the Management API still lists at NOW: 7 days back, plus 5 minutes of safety. */
const LISTABLE = new Date('2026-11-15T04:02:00Z')

/** The inputs a workflow gives, over the ones every run needs; the workflow runs in contoso/audit. */
function source(inputs: Record<string, string>) {
  return inputSource(
    { 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'github-token': TOKEN },
    inputs
  )
}

const read = (inputs: Record<string, string>) => readSettings(source(inputs).input, NOW)

function problemsOf(inputs: Record<string, string>) {
  try {
    read(inputs)
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  throw new Error('expected an InputError')
}

describe('the source of records', () => {
  it('is the Management API by default, with no Graph root', () => {
    const { settings } = read({})
    expect(settings.source).toBe('management-api')
    expect(settings.graphUrl).toBeUndefined()
    expect(settings.graphLimits).toEqual({ inFlight: 2, submissionsPerDay: 100, waitMs: 45 * MINUTE_MS })
  })

  it.each([
    ['graph', 'graph'],
    ['GRAPH', 'graph'],
    [' Auto ', 'auto'],
    ['Management-API', 'management-api']
  ])('reads %j as %s', (text, name) => {
    expect(read({ source: text }).settings.source).toBe(name)
  })

  it('refuses an unknown source, naming the input and the choices', () => {
    const problems = problemsOf({ source: 'purview' })
    expect(problems.map((problem) => problem.input)).toEqual(['source'])
    expect(problems[0]?.message).toBe("Input 'source' must be one of management-api, graph, auto; got 'purview'.")
  })

  it.each([
    ['graph', 'commercial'],
    ['auto', 'commercial'],
    ['graph', 'gcc'],
    ['auto', 'GCC']
  ])('queries Graph at the global root with source %s in cloud %s', (name, cloud) => {
    expect(read({ source: name, cloud }).settings.graphUrl).toBe('https://graph.microsoft.com')
  })

  it.each([
    ['graph', 'gcc-high'],
    ['auto', 'gcc-high'],
    ['graph', 'dod'],
    ['auto', 'DoD']
  ])('refuses source %s in cloud %s, where Graph serves no audit log queries', (name, cloud) => {
    const problems = problemsOf({ source: name, cloud })
    expect(problems.map((problem) => problem.input)).toEqual(['source'])
    const message = problems[0]?.message ?? ''
    expect(message).toMatch(new RegExp(`Input 'source' is '${name}'.*not served in cloud '${cloud.toLowerCase()}'`))
    expect(message).toContain("'source: management-api'")
    expect(message).toContain("'graph-url'")
  })

  it('takes a Graph root that graph-url names, in any cloud', () => {
    expect(
      read({ source: 'graph', cloud: 'gcc-high', 'graph-url': 'https://graph.microsoft.us/' }).settings
    ).toMatchObject({
      source: 'graph',
      cloud: 'gcc-high',
      graphUrl: 'https://graph.microsoft.us'
    })
    expect(read({ source: 'auto', 'graph-url': 'https://127.0.0.1:9443' }).settings.graphUrl).toBe(
      'https://127.0.0.1:9443'
    )
    // A bad graph-url is one problem, of graph-url, not also one of the cloud.
    const problems = problemsOf({ source: 'graph', cloud: 'dod', 'graph-url': 'http://graph.example' })
    expect(problems.map((problem) => problem.input)).toEqual(['graph-url'])
    expect(problems[0]?.message).toMatch(/must use https/)
  })
})

describe('inputs that contradict the source', () => {
  it('refuses graph-url with source management-api, which makes no Graph call', () => {
    const problems = problemsOf({ 'graph-url': 'https://graph.microsoft.com' })
    expect(problems.map((problem) => problem.input)).toEqual(['graph-url'])
    expect(problems[0]?.message).toMatch(/'source' is management-api.*set 'source' to auto or graph/)
  })

  it('bounds the look-back of a scheduled Graph run as the Management API’s', () => {
    const problems = problemsOf({ source: 'graph', lookback: '8d' })
    expect(problems.map((problem) => problem.input)).toEqual(['lookback'])
  })
})

describe('the bounds of a run’s Graph work', () => {
  it('accepts the ends of each range', () => {
    expect(read({ 'graph-queries': '1', 'graph-submissions': '1', 'graph-wait': '1m' }).settings.graphLimits).toEqual({
      inFlight: 1,
      submissionsPerDay: 1,
      waitMs: MINUTE_MS
    })
    expect(
      read({ 'graph-queries': '10', 'graph-submissions': '10000', 'graph-wait': '5h' }).settings.graphLimits
    ).toEqual({ inFlight: 10, submissionsPerDay: 10_000, waitMs: 300 * MINUTE_MS })
    expect(read({ 'graph-wait': '90 minutes' }).settings.graphLimits.waitMs).toBe(90 * MINUTE_MS)
  })

  it.each([
    [{ 'graph-queries': '0' }, 'graph-queries', /whole number from 1 to 10; got '0'/],
    [{ 'graph-queries': '11' }, 'graph-queries', /from 1 to 10; got '11'/],
    [{ 'graph-queries': 'two' }, 'graph-queries', /whole number/],
    [{ 'graph-submissions': '0' }, 'graph-submissions', /from 1 to 10000; got '0'/],
    [{ 'graph-submissions': '10001' }, 'graph-submissions', /from 1 to 10000; got '10001'/],
    [{ 'graph-wait': '0.5m' }, 'graph-wait', /from 1m to 5h.*got '0.5m'/],
    [{ 'graph-wait': '5h1m' }, 'graph-wait', /from 1m to 5h.*got '5h1m'/],
    [{ 'graph-wait': 'a while' }, 'graph-wait', /duration.*got 'a while'/]
  ])('refuses %j', (inputs, name, message) => {
    const problems = problemsOf(inputs)
    expect(problems.map((problem) => problem.input)).toEqual([name])
    expect(problems[0]?.message).toMatch(message)
    expect(problems[0]?.message).toContain(`'${name}'`)
  })
})

describe('a backfill past the Management API’s 7 days', () => {
  it('is refused with source management-api, pointing at source auto, the Graph permission and import', () => {
    const problems = problemsOf({ start: OLD_START })
    expect(problems.map((problem) => problem.input)).toEqual(['start'])
    const message = problems[0]?.message ?? ''
    expect(message).toContain("'source: auto'")
    expect(message).toContain('AuditLogsQuery.Read.All')
    expect(message).toContain("'import'")
  })

  it('is accepted with source auto, the Management API listing only what it still serves', () => {
    const { settings, plan } = read({ start: OLD_START, source: 'auto' })
    expect(settings.scope).toEqual({ mode: 'backfill', start: new Date('2026-11-02T00:00:00Z') })
    expect(plan.mode).toBe('backfill')
    expect(plan.from).toEqual(LISTABLE)
    expect(plan.to).toEqual(NOW)
    expect(plan.windows[0]?.start).toEqual(LISTABLE)
    expect(plan.windows).toHaveLength(168)
  })

  it('is accepted with source graph, and the plan lists no Management API window', () => {
    const { settings, plan } = read({ start: OLD_START, end: '2026-11-10', source: 'graph' })
    expect(settings.scope).toEqual({
      mode: 'backfill',
      start: new Date('2026-11-02T00:00:00Z'),
      end: new Date('2026-11-10T00:00:00Z')
    })
    expect(plan.windows).toEqual([])
    expect(read({ start: OLD_START, source: 'graph' }).plan.windows).toEqual([])
    // A scheduled Graph run lists nothing from the Management API either.
    expect(read({ source: 'graph' }).plan.windows).toEqual([])
  })

  it('still needs its start before its end, and before now, with source graph', () => {
    const reversed = problemsOf({ start: '2026-11-10', end: '2026-11-05', source: 'graph' })
    expect(reversed.map((problem) => problem.input)).toEqual(['start'])
    expect(reversed[0]?.message).toMatch(/must be before 'end'/)
    const future = problemsOf({ start: '2026-11-23', source: 'graph' })
    expect(future.map((problem) => problem.input)).toEqual(['start'])
    expect(future[0]?.message).toMatch(/is in the future/)
  })
})
