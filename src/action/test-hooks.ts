/**
 * Settings only a test suite changes, read from the environment (never inputs, so that no
 * workflow turns off the pacing github.com asks for by accident). Each shortens a wait or a
 * size that is right for production but would make tests against local fakes slow; none
 * changes what the action does, only how long it waits or how large a file grows.
 *
 * | variable | production value | what it scales |
 * |---|---|---|
 * | `M365_AUDIT_SYNC_TEST_GITHUB_PACING_MS` | 1000 | spacing of GitHub writes (×3 for issues), GitHub retry backoff |
 * | `M365_AUDIT_SYNC_TEST_RETRY_BASE_MS` | 500 | first backoff of a failed Management API call (doubles per attempt) |
 * | `M365_AUDIT_SYNC_TEST_MAX_PART_BYTES` | 33554432 | size at which a day's snapshot is cut into parts |
 * | `M365_AUDIT_SYNC_TEST_PROGRESS_MS` | 30000 | how often a long run logs its progress |
 * | `M365_AUDIT_SYNC_TEST_SETTLE_MS` | 691200000 | how long after its end a day settles and is compacted |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_POLL_MS` | 5000 | first wait between status polls of a Graph query (it doubles up to 24×) |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_RETRY_MS` | 2000 | first backoff of a failed Graph call (doubles per attempt) |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_SETTLE_MS` | 86400000 | how long after its end a Graph window is queried again |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_WAIT_MS` | `graph-wait` | how long a run waits for its Graph queries (the input allows 1m at least) |
 */
export const TEST_HOOKS = {
  githubPacingMs: 'M365_AUDIT_SYNC_TEST_GITHUB_PACING_MS',
  retryBaseDelayMs: 'M365_AUDIT_SYNC_TEST_RETRY_BASE_MS',
  maxPartBytes: 'M365_AUDIT_SYNC_TEST_MAX_PART_BYTES',
  progressEveryMs: 'M365_AUDIT_SYNC_TEST_PROGRESS_MS',
  settleAfterMs: 'M365_AUDIT_SYNC_TEST_SETTLE_MS',
  graphPollMs: 'M365_AUDIT_SYNC_TEST_GRAPH_POLL_MS',
  graphRetryMs: 'M365_AUDIT_SYNC_TEST_GRAPH_RETRY_MS',
  graphWaitMs: 'M365_AUDIT_SYNC_TEST_GRAPH_WAIT_MS',
  graphSettleMs: 'M365_AUDIT_SYNC_TEST_GRAPH_SETTLE_MS'
} as const

/** The hooks that are set, as numbers; an unset or unreadable one is left out. */
export type TestHooks = Partial<Record<keyof typeof TEST_HOOKS, number>>

export function readTestHooks(env: Readonly<Record<string, string | undefined>>): TestHooks {
  const hooks: TestHooks = {}
  for (const [key, variable] of Object.entries(TEST_HOOKS) as [keyof typeof TEST_HOOKS, string][]) {
    const text = env[variable]?.trim()
    const value = text ? Number(text) : NaN
    if (Number.isFinite(value) && value >= 0) hooks[key] = value
  }
  return hooks
}
