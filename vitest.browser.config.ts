import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the tests that drive a real Chromium (test/browser). Apart from `npm test`, which must run
// on a fresh machine without a browser; scripts/test-browser.sh installs Debian's Chromium first where it can.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    environment: 'node',
    reporters: ['default', './test/support/summaryReporter.ts'],
    // Guards against a hang, never budgets (see vitest.config.ts).
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
