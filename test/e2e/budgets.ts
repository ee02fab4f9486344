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

/**
 * One run importing the 120,000-row exports of test/e2e/import.e2e.test.ts (about 60 MB of
 * CSV, 7.5 s of CPU): 9–20 s on the 2-core machine at a load average of 3 to 8 (2026-12-01).
 */
export const IMPORT_RUN_BUDGET_MS = 120_000

/**
 * That scenario: a collection, writing the exports, two imports and reading the branch back
 * in the test; 35–65 s at the same loads.
 */
export const IMPORT_TEST_BUDGET_MS = 240_000
