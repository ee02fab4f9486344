import { renderCoverageTable, type TypeCoverage } from './coverage.js'
import { COVERAGE_CHART_PATH } from './paths.js'
import { SNAPSHOT_COLUMNS } from '../record/columns.js'

/** The title line every README.md this action generated starts with (before the marker existed too). */
const TITLE = '# Microsoft 365 audit log snapshots'

/** Days of coverage the branch README and its chart show. */
export const BRANCH_COVERAGE_DAYS = 30

/**
 * Whether the branch's README.md is the one this action writes (or there is none yet): a
 * README someone else put on the branch is never overwritten.
 */
export function isGeneratedBranchReadme(text: string | undefined): boolean {
  return text === undefined || text.startsWith(TITLE)
}

/**
 * README.md of the data branch: what is where, how to read it, and the coverage of the last
 * 30 days as a table and a chart (COVERAGE_CHART_PATH, beside it). It changes with the data,
 * so it is rewritten only in commits that change something else anyway: it never causes a
 * commit by itself.
 */
export function renderBranchReadme(branch: string, coverage: readonly TypeCoverage[]): string {
  const days = coverage[0]?.days ?? []
  const span = days.length > 0 ? ` (${days[0]!.day} to ${days.at(-1)!.day})` : ''
  return `${TITLE}

This branch is written by the m365-audit-sync GitHub Action and holds Microsoft 365 audit
records from the Office 365 Management Activity API, one file per content type and UTC day.
Do not edit it by hand: runs add files beside a day's files and compact the day when it
settles.

## Coverage, last ${BRANCH_COVERAGE_DAYS} days${span}

Records per content type and UTC day as of the last commit that changed data, with the days
where a listing window still fails (red) or content can no longer be collected (grey).

![Records per UTC day, last ${BRANCH_COVERAGE_DAYS} days](${COVERAGE_CHART_PATH})

${renderCoverageTable(coverage)}
## Layout

\`\`\`
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.csv      records whose CreationTime falls on that UTC day (format: csv)
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.<n>.csv  part n of a day too large for one file (at most 32 MB each)
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.added-<n>.csv  rows a later run added to the day, until it settles
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.parquet  the same, as Parquet (format: parquet; .<n>.parquet, .added-<n>.parquet)
usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.csv        Power Apps launches and unique users per app, environment and UTC day
${COVERAGE_CHART_PATH}                                         the chart above: records per content type and day, last ${BRANCH_COVERAGE_DAYS} days
state/                                               the action's state: ledger.json (coverage, downloaded blobs), keys/ and usage/ (of days that can still grow)
manifest.json                                        every audit file: format, rows, bytes, sha256, first/last CreationTime
\`\`\`

A day is all of its files: each record is in exactly one of them (de-duplicated by \`Id\`),
and each file is sorted by \`CreationTime\` then \`Id\`. Events arrive late: a run adds the
rows it finds for a day that already has files as a new file of that day (\`.added-<n>\`),
without rewriting the others; 8 days after a day ends, when the Management API can add
nothing more to it, the day is compacted: its files become parts 1, 2, … (or one file), in
one row order, as a backfill of the same records would write them. The globs below read
every shape. A day is in one format only: when the format changes, a day is converted when
it is next written.

## Columns

${SNAPSHOT_COLUMNS.map((column) => `- \`${column}\``).join('\n')}

\`AuditData\` is the full record as JSON, exactly as the API served it (a record imported
from a Purview export: the export's JSON, written compactly). CSV files are
RFC 4180, UTF-8, with a header row; \`CreationTime\` is UTC text (\`YYYY-MM-DDTHH:MM:SSZ\`).
Parquet files are typed: \`CreationTime\` a UTC timestamp, \`RecordType\` and \`UserType\`
integers, the rest strings (absent values null); ZSTD-compressed.

## Power Apps usage

\`usage/power-apps/\` holds one CSV per UTC day with launches: \`Date, EnvironmentId,
EnvironmentName, AppId, AppName, Launches, UniqueUsers\`, one row per app and environment,
counted from every \`LaunchPowerApp\` record of that day in \`audit/Audit.General\` (both the
RecordType 45 and 256 shapes; each record once; users by \`UserKey\`). A day's file is
recounted from the whole day whenever the day gets records, late ones and imports included.

## Query

\`\`\`sh
git clone --branch ${branch} --single-branch <this repository> audit && cd audit
duckdb -c "SELECT Operation, count(*) FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY 2 DESC"
duckdb -c "SELECT Operation, count(*) FROM read_parquet('audit/Audit.General/*/*/*.parquet') GROUP BY 1 ORDER BY 2 DESC"
\`\`\`

\`\`\`python
import pandas as pd, glob
df = pd.concat(pd.read_csv(f) for f in glob.glob("audit/Audit.General/*/*/*.csv"))
launches = df[df.Operation == "LaunchPowerApp"]
df = pd.concat(pd.read_parquet(f) for f in glob.glob("audit/Audit.General/*/*/*.parquet"))  # Parquet (pyarrow)
\`\`\`

Power BI: *Get Data > Parquet* or *Text/CSV* (or *Folder*) on the files; Excel: the CSV files, UTF-8.
`
}
