import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The default output for people, plus one plain closing line for CI.
    reporters: ['default', './test/support/summaryReporter.ts'],
    // Guards against a hang, never budgets: no test passes or fails on how fast the machine is. On a 2-core machine
    // shared with another suite (scripts/stress-tests.sh), `npm run setup` from source (npm, then tsx) took over 20 s,
    // and three cold limiter processes over 20 s to start; a hang still fails in a minute.
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
