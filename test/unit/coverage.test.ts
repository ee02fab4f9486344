import { describe, expect, it } from 'vitest'
import { renderCoverageSvg } from '../../src/branch/coverage-chart.js'
import { coverage, renderCoverageTable } from '../../src/branch/coverage.js'
import { emptyGraphLedger } from '../../src/branch/graph-ledger.js'
import { emptyLedger, type Ledger } from '../../src/branch/ledger.js'
import type { Manifest, ManifestEntry } from '../../src/branch/manifest.js'

const entry = (rows: number): ManifestEntry => ({
  rows,
  bytes: 1,
  sha256: 'x',
  firstCreationTime: '',
  lastCreationTime: ''
})

const manifest: Manifest = {
  version: 1,
  files: {
    'audit/Audit.General/2026/11/2026-11-28.csv': entry(10),
    'audit/Audit.General/2026/11/2026-11-30.1.parquet': entry(1000),
    'audit/Audit.General/2026/11/2026-11-30.2.parquet': entry(234),
    'audit/Audit.SharePoint/2026/11/2026-11-01.csv': entry(99),
    'audit/Audit.SharePoint/2026/11/2026-11-29.csv': entry(5),
    'usage/power-apps/2026/11/2026-11-30.csv': entry(3)
  }
}

function ledger(): Ledger {
  const state = emptyLedger()
  state.contentTypes['Audit.General'] = {
    fetched: {},
    failed: [
      {
        start: '2026-11-29T23:00:00Z',
        end: '2026-11-30T01:00:00Z',
        code: 'AF429',
        message: 'throttled',
        attempts: 2,
        firstFailure: '',
        lastFailure: ''
      }
    ],
    gaps: [
      {
        start: '2026-11-28T05:00:00Z',
        end: '2026-11-28T06:00:00Z',
        reason: 'expired-blob',
        code: 'AF20051',
        message: 'expired',
        recordedAt: ''
      }
    ]
  }
  return state
}

describe('coverage of the data branch', () => {
  it('counts records per type and UTC day, parts summed, and marks the days failing windows and gaps touch', () => {
    const types = coverage(manifest, ledger(), '2026-11-30', 3)
    expect(types).toEqual([
      {
        type: 'Audit.SharePoint',
        days: [
          { day: '2026-11-28', records: 0, failedWindows: 0, gaps: 0 },
          { day: '2026-11-29', records: 5, failedWindows: 0, gaps: 0 },
          { day: '2026-11-30', records: 0, failedWindows: 0, gaps: 0 }
        ]
      },
      {
        type: 'Audit.General',
        days: [
          { day: '2026-11-28', records: 10, failedWindows: 0, gaps: 1 },
          { day: '2026-11-29', records: 0, failedWindows: 1, gaps: 0 },
          { day: '2026-11-30', records: 1234, failedWindows: 1, gaps: 0 }
        ]
      }
    ])
  })

  it('marks the days a failed Graph query window touches in every content type: one query serves them all', () => {
    const state = ledger()
    state.graph = {
      ...emptyGraphLedger(),
      failed: [
        {
          start: '2026-11-28T00:00:00Z',
          end: '2026-11-29T00:00:00Z',
          code: 'QueryFailed',
          message: 'its query ended failed 3 times',
          attempts: 1,
          firstFailure: '',
          lastFailure: ''
        }
      ]
    }
    const marked = coverage(manifest, state, '2026-11-30', 3).map((type) => type.days.map((day) => day.failedWindows))
    expect(marked).toEqual([
      [1, 0, 0],
      [1, 1, 1]
    ])
  })

  it('renders a table, newest day first, and a chart with a bar per day and its marks', () => {
    const types = coverage(manifest, ledger(), '2026-11-30', 30)
    const table = renderCoverageTable(types)
    expect(table.split('\n')[0]).toBe('| Day (UTC) | Audit.SharePoint | Audit.General |')
    expect(table).toContain('| 2026-11-30 | 0 | 1,234 ⚠ 1 failed |')
    expect(table).toContain('| 2026-11-28 | 0 | 10 ✖ 1 gap |')
    expect(table.indexOf('2026-11-30')).toBeLessThan(table.indexOf('2026-11-01'))

    const svg = renderCoverageSvg(types)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg.match(/records<\/title>/g)).toHaveLength(60)
    expect(svg).toContain('<title>Audit.General 2026-11-30: 1234 records</title>')
    expect(svg.match(/failing window/g)).toHaveLength(2)
    expect(svg.match(/gap\(s\)/g)).toHaveLength(1)
    expect(svg).toContain('Records per UTC day, 2026-11-01 to 2026-11-30')
  })

  it('says so when nothing has been collected', () => {
    expect(renderCoverageTable(coverage({ version: 1, files: {} }, emptyLedger(), '2026-11-30', 30))).toBe(
      '_Nothing collected yet._\n'
    )
  })
})
