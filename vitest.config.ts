import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing but Node; `testbed` needs the real
 * kube-apiserver, etcd and moto, which its global setup starts once per run.
 * `npm test` runs both.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'testbed',
          include: [
            'test/testbed/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/bench/**/*.test.ts',
          ],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
