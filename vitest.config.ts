import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The default output for people, plus one plain closing line for CI.
    reporters: ['default', './test/support/summaryReporter.ts'],
    // The end-to-end suites start real processes; give them room on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
