import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The end-to-end suites start real processes; give them room on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
