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

/**
 * Starts the real test bed (kube-apiserver, etcd, token webhook, moto) and
 * synthesizes the CDK app for its Lambda bundles once for the `testbed` project and stops it after the run; server logs
 * are kept
 * under .testbed/logs when any test failed.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const [tb, bundles] = await Promise.all([
    startTestbed((msg) => process.stderr.write(`[testbed] ${msg}\n`)),
    synthBundles(),
  ]);
  project.provide('bundles', bundles);
  // After the server's build, so the two Go builds never compete for the cores (cached: a hash check).
  const kubectl = await ensureKubectlBinary((msg) => process.stderr.write(`[testbed] ${msg}\n`)).catch(
    async (e: unknown) => {
      await tb.stop({ keepLogs: false });
      throw e;
    },
  );
  project.provide('kubectl', kubectl);
  process.stderr.write(`[testbed] ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  project.provide('testbed', tb.details);
  return async () => {
    const state = (project.vitest as unknown as { state?: { getCountOfFailedTests?: () => number } }).state;
    const failed = state?.getCountOfFailedTests?.() ?? 1;
    const kept = await tb.stop({ keepLogs: failed > 0 });
    if (kept) process.stderr.write(`[testbed] ${failed} test(s) failed; server logs kept in ${kept}\n`);
  };
}
