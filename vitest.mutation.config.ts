import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant of functions/domain and functions/steps (`npm run mutation`,
 * stryker.config.json): the unit tests that need nothing but Node. Not part of `npm test`, which has its own
 * projects in vitest.config.ts.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/infra/rbac.test.ts'],
    exclude: [
      // Need tools or the whole repository rather than the mutated code: docs, line lengths, import layers,
      // the AWS CLI reference (it tests functions/adapters, which is not mutated), the test bed's toolchain, and
      // env-contract, which scans the source files (mutated ones carry Stryker's instrumentation).
      'test/unit/{docs-links,line-length,layers,eks-token,testbed-toolchain,env-contract}.test.ts',
    ],
    testTimeout: 30_000,
  },
});
