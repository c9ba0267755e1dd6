import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: argon2, PGlite and Chromium each want one.
    maxWorkers: 2,
    reporters: ['default', './vitest.summary.ts'],
  },
});
