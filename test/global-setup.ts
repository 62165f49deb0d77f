import type { TestProject } from 'vitest/node';
import { startTestbed, type TestbedDetails } from '../testbed/testbed.ts';
import { synthBundles, type Bundles } from './support/bundles.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedDetails;
    /** The Lambda bundles of the synthesized cloud assembly, one synth per run. */
    bundles: Bundles;
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
  process.stderr.write(`[testbed] ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  project.provide('testbed', tb.details);
  return async () => {
    const state = (project.vitest as unknown as { state?: { getCountOfFailedTests?: () => number } }).state;
    const failed = state?.getCountOfFailedTests?.() ?? 1;
    const kept = await tb.stop({ keepLogs: failed > 0 });
    if (kept) process.stderr.write(`[testbed] ${failed} test(s) failed; server logs kept in ${kept}\n`);
  };
}
