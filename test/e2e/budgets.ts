/**
 * Time budgets of the end-to-end tests, sized from what they do rather than one global limit.
 *
 * Measured on a 2-core machine with two CPU-bound processes running beside the whole suite
 * (`npm test`, 2026-12-01): one run of dist/index.js against the fakes took 0.5–5 s, the
 * slowest scenario (three racing runs with forced ref collisions) about 10 s. Each budget
 * keeps at least 3× that, so a slow or busy machine never fails a test that would pass.
 */

/** One `node dist/index.js` against the fakes; its log is kept in the error when it overruns. */
export const ACTION_RUN_BUDGET_MS = 30_000

/** A scenario of up to a handful of runs plus reading the branch back. */
export const E2E_TEST_BUDGET_MS = 60_000
