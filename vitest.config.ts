import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Rebuilds a stale dist/ before the end-to-end tests run it; checks that tests clean up.
    globalSetup: ['test/global-setup.ts'],
    // The product works in UTC whatever the machine's zone; the suite proves it by running
    // in a zone with DST and a non-zero offset.
    env: { TZ: 'America/New_York' },
    // Unit and fake tests take milliseconds; the end-to-end files set budgets of their own,
    // sized from what each scenario does (see test/e2e/budgets.ts).
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most of an end-to-end test's time is the action's own process and the fakes' I/O, so
    // files run side by side even on two cores (vitest would otherwise use one worker there).
    maxWorkers: 3,
    // `npm test -- --coverage` (as CI runs it): what the in-process tests reach of src/. The
    // end-to-end tests run the bundle in a child process, which is not counted. The
    // thresholds sit a little under what the suite reaches, so that coverage cannot decay.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Generated from assembly/ (the WebAssembly as base64).
      exclude: ['src/record/record-scanner-wasm.ts', 'src/types/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'build/coverage',
      thresholds: { statements: 92, branches: 83, functions: 90, lines: 93 }
    }
  }
})
