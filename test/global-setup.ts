import type { TestProject } from 'vitest/node';
import { ensureKubectlBinary } from '../testbed/build.ts';
import { startTestbed, type TestbedDetails } from '../testbed/testbed.ts';
import { synthBundles, type Bundles } from './support/bundles.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedDetails;
    /** The Lambda bundles of the synthesized cloud assembly, one synth per run. */
    bundles: Bundles;
    /** The test bed's kubectl (built from the pinned k8s.io/kubectl module, testbed/kubectl), never the machine's. */
    kubectl: string;
  }
}

interface Started {
  readonly tb: Awaited<ReturnType<typeof startTestbed>>;
  readonly bundles: Bundles;
  readonly kubectl: string;
}

/**
 * The one test bed of a run. Both test-bed projects (`testbed`, one file at a time, and `testbed-parallel`,
 * vitest.config.ts) name this file; vitest calls a project's global setup once per project, in the one main
 * process, so the first call starts the test bed and the second gets the same one. Stopped by the last teardown.
 */
const shared = globalThis as { __eksSecretSyncTestbed?: { started: Promise<Started>; users: number } };

async function start(): Promise<Started> {
  const started = Date.now();
  const [tb, bundles] = await Promise.all([
    startTestbed((msg) => process.stderr.write(`[testbed] ${msg}\n`)),
    synthBundles(),
  ]);
  // After the server's build, so the two Go builds never compete for the cores (cached: a hash check).
  const kubectl = await ensureKubectlBinary((msg) => process.stderr.write(`[testbed] ${msg}\n`)).catch(
    async (e: unknown) => {
      await tb.stop({ keepLogs: false });
      throw e;
    },
  );
  process.stderr.write(`[testbed] ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return { tb, bundles, kubectl };
}

/**
 * Starts the real test bed (kube-apiserver, etcd, token webhook, moto) and
 * synthesizes the CDK app for its Lambda bundles once per run, and stops it after the run; server logs
 * are kept under .testbed/logs when any test failed.
 */
export default async function setup(project: TestProject) {
  shared.__eksSecretSyncTestbed ??= { started: start(), users: 0 };
  const one = shared.__eksSecretSyncTestbed;
  one.users++;
  const { tb, bundles, kubectl } = await one.started;
  project.provide('bundles', bundles);
  project.provide('kubectl', kubectl);
  project.provide('testbed', tb.details);
  return async () => {
    if (--one.users > 0) return;
    shared.__eksSecretSyncTestbed = undefined;
    const state = (project.vitest as unknown as { state?: { getCountOfFailedTests?: () => number } }).state;
    const failed = state?.getCountOfFailedTests?.() ?? 1;
    const kept = await tb.stop({ keepLogs: failed > 0 });
    if (kept) process.stderr.write(`[testbed] ${failed} test(s) failed; server logs kept in ${kept}\n`);
  };
}
