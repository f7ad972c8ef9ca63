import { defineConfig } from 'vitest/config';

// Three projects, all run by `npm test`:
//  unit        — pure logic and the SQLite store, no servers
//  integration — services against real Dovecot/Postfix and a real Secret Service
//  e2e         — the web host driven in Debian's Chromium by playwright-core
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{shared,electron,renderer,scripts}/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          environment: 'node',
          // A guard against hangs, not a speed check: some unit tests start worker threads or write
          // tens of megabytes, which on a busy two-core machine can take longer than vitest's 5 s.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{electron,test}/**/*.integration.test.ts'],
          globalSetup: ['test/setup/global-mailstack.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The suites share one mail stack; running files one at a time keeps rate limits and
          // mailbox contents predictable on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/setup/global-mailstack.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
