import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The product works in UTC whatever the machine's zone; the suite proves it by running
    // in a zone with DST and a non-zero offset.
    env: { TZ: 'America/New_York' },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks'
  }
})
