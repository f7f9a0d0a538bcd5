import { defineConfig } from 'vitest/config';

// Only the fast, in-process tests: Stryker runs them once per mutant, so nothing here may start a process or a
// server. See docs/testing.md.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/property/**/*.test.ts'],
    environment: 'node',
  },
});
