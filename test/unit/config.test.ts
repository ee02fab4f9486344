import { describe, expect, it } from 'vitest'
import { explainInvalidBranchName } from '../../src/action/branch-name.js'
import { cloudEndpoints, parseCloud } from '../../src/auth/clouds.js'
import { parseContentType } from '../../src/record/content-types.js'
import { DAY_MS, formatDuration, HOUR_MS, MINUTE_MS, parseDuration } from '../../src/util/duration.js'
import { formatInstant, parseInstant } from '../../src/util/time.js'

describe('parseDuration', () => {
  it.each([
    ['15m', 15 * MINUTE_MS],
    ['1h', HOUR_MS],
    ['1d', DAY_MS],
    ['1h30m', 90 * MINUTE_MS],
    ['1 hour', HOUR_MS],
    ['5 minutes', 5 * MINUTE_MS],
    ['2 Days', 2 * DAY_MS],
    ['1 Day', DAY_MS],
    ['  24 hours ', DAY_MS],
    ['1.5h', 90 * MINUTE_MS],
    ['PT1H', HOUR_MS],
    ['PT15M', 15 * MINUTE_MS],
    ['P1D', DAY_MS],
    ['P1DT12H', 36 * HOUR_MS]
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', 'h', '1', '10', 'one hour', '1 fortnight', '-1h', '0m', '1h x', 'P', 'PT', '1h,2m'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined()
    }
  )

  it.each([
    [DAY_MS, '1d'],
    [90 * MINUTE_MS, '1h30m'],
    [5 * MINUTE_MS, '5m']
  ])('formats %i as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('parseInstant', () => {
  it.each([
    ['2026-11-20', '2026-11-20T00:00:00Z'],
    ['2026-11-20T06:00', '2026-11-20T06:00:00Z'],
    ['2026-11-20T06:00Z', '2026-11-20T06:00:00Z'],
    ['2026-11-20T06:00:30', '2026-11-20T06:00:30Z'],
    ['2026-11-20T06:00:00.0000000Z', '2026-11-20T06:00:00Z'],
    ['2026-11-20T08:00:00+02:00', '2026-11-20T06:00:00Z'],
    ['2026-11-20T01:00:00-0500', '2026-11-20T06:00:00Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z']
  ])('%s is %s (naive means UTC, whatever TZ says)', (text, iso) => {
    const date = parseInstant(text)
    expect(date && formatInstant(date)).toBe(iso)
  })

  it.each([
    '',
    'yesterday',
    '11/20/2026',
    '2026-13-01',
    '2026-02-30',
    '2025-02-29',
    '2026-11-20T24:00',
    '2026-11-20T06',
    '20261120'
  ])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeUndefined()
  })
})

describe('explainInvalidBranchName', () => {
  it.each(['audit-data', 'data/audit', 'a.b', 'feature/x-1', 'données'])('accepts %s', (name) => {
    expect(explainInvalidBranchName(name)).toBeUndefined()
  })

  it.each([
    ['', /empty/],
    ['a..b', /'\.\.'/],
    ['a b', /spaces/],
    ['a~b', /'~'/],
    ['a^b', /'\^'/],
    ['a:b', /':'/],
    ['a?b', /'\?'/],
    ['a*b', /'\*'/],
    ['a[b', /'\['/],
    ['a\\b', /'\\'/],
    ['/a', /start or end/],
    ['a/', /start or end/],
    ['a//b', /'\/\/'/],
    ['.a', /must not start with '\.'/],
    ['a/.b', /must not start with '\.'/],
    ['a.lock', /\.lock/],
    ['a/b.lock/c', /\.lock/],
    ['a.', /end with '\.'/],
    ['@', /'@' alone/],
    ['a@{b', /'@\{'/],
    ['-a', /start with '-'/],
    ['a\tb', /control/]
  ])('refuses %j', (name, reason) => {
    expect(explainInvalidBranchName(name)).toMatch(reason)
  })
})

describe('parseCloud and parseContentType', () => {
  it.each([
    ['commercial', 'commercial'],
    ['GCC', 'gcc'],
    ['GCC High', 'gcc-high'],
    ['gcc_high', 'gcc-high'],
    ['DoD', 'dod'],
    ['azure', undefined]
  ])('cloud %s', (text, cloud) => {
    expect(parseCloud(text)).toBe(cloud)
  })

  it.each([
    [
      'commercial',
      'https://login.microsoftonline.com',
      'https://manage.office.com',
      'api://AzureADTokenExchange',
      'https://graph.microsoft.com'
    ],
    [
      'gcc',
      'https://login.microsoftonline.com',
      'https://manage-gcc.office.com',
      'api://AzureADTokenExchange',
      'https://graph.microsoft.com'
    ],
    [
      'gcc-high',
      'https://login.microsoftonline.us',
      'https://manage.office365.us',
      'api://AzureADTokenExchangeUSGov',
      undefined
    ],
    [
      'dod',
      'https://login.microsoftonline.us',
      'https://manage.protection.apps.mil',
      'api://AzureADTokenExchangeUSGov',
      undefined
    ]
  ] as const)(
    '%s signs in at %s, calls %s, federates with %s, queries Graph at %s',
    (cloud, authorityHost, audience, federationAudience, graphUrl) => {
      expect(cloudEndpoints(cloud)).toStrictEqual({ authorityHost, audience, federationAudience, graphUrl })
    }
  )

  it('matches content types regardless of case', () => {
    expect(parseContentType(' audit.general ')).toBe('Audit.General')
    expect(parseContentType('dlp.all')).toBe('DLP.All')
    expect(parseContentType('Audit.PowerApps')).toBeUndefined()
  })
})
