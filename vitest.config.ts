import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import InterleaveSequencer from './test/support/interleave-sequencer.ts';

/**
 * Test-bed files that run beside other files (docs/testing.md#the-suites-time): each makes its own
 * namespaces, moto secrets, queues, keys and identities (unique names), touches nothing cluster-wide by a fixed
 * name, asserts no wall-clock time, and mostly waits on the servers (the bench smoke test is CPU-bound and runs
 * alone: it timed out beside unit files on a loaded machine). Every other test-bed file, and any new one, runs alone.
 */
const BESIDE = [
  'test/cli/commands.test.ts',
  'test/cli/docs-examples.test.ts',
  'test/cli/doctor-other.test.ts',
  'test/cli/doctor.test.ts',
  'test/cli/failures.test.ts',
  'test/cli/fanout.test.ts',
  'test/cli/plan-sync.test.ts',
  'test/cli/shape.test.ts',
  'test/cli/status.test.ts',
  'test/e2e/deletion.test.ts',
  'test/e2e/dlq-duplicates.test.ts',
  'test/e2e/drift.test.ts',
  'test/e2e/failure-events.test.ts',
  'test/e2e/fanout.test.ts',
  'test/e2e/faults-dlq.test.ts',
  'test/e2e/faults-restart.test.ts',
  'test/e2e/freshness.test.ts',
  'test/e2e/isolation.test.ts',
  'test/e2e/label.test.ts',
  'test/e2e/migration-names.test.ts',
  'test/e2e/redrive-cli.test.ts',
  'test/e2e/redrive.test.ts',
  'test/e2e/restart-policy.test.ts',
  'test/e2e/restart.test.ts',
  'test/e2e/sealing.test.ts',
  'test/e2e/shape.test.ts',
  'test/e2e/sweep.test.ts',
  'test/e2e/sync.test.ts',
  'test/e2e/verbs.test.ts',
  'test/e2e/versions.test.ts',
  'test/testbed/api-errors.test.ts',
  'test/testbed/authentication.test.ts',
  'test/testbed/rbac.test.ts',
  'test/testbed/seal-grants.test.ts',
];

/**
 * Workers of the first group. vitest runs projects of one `sequence.groupOrder` together, which needs one
 * `maxWorkers` for them; at least 2, so on the 2-core CI machine a unit file runs beside a test-bed file that
 * mostly waits on the servers.
 */
const WORKERS = Math.max(2, availableParallelism() - 1);

/**
 * Three projects: `unit` needs nothing but Node; `testbed-parallel` and `testbed` need the real kube-apiserver,
 * etcd and moto, which their global setup starts once per run (one test bed for both). `unit` and
 * `testbed-parallel` run together; then `testbed` one file at a time. `npm test` runs all three.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // unit and test-bed files of the first group handed out in turn, not one project after the other
    sequence: { sequencer: InterleaveSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          testTimeout: 30_000,
          maxWorkers: WORKERS,
        },
      },
      {
        test: {
          name: 'testbed-parallel',
          include: BESIDE,
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: WORKERS,
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
          exclude: BESIDE,
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
