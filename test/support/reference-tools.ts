/**
 * The test-only reference tools, from PyPI into the project's .venv-reference on first use
 * (testbed/requirements-reference.txt, testbed/python.ts): the AWS CLI, whose `aws eks get-token` judges our EKS
 * token, and libfaketime, whose LD_PRELOAD library gives a process a frozen or shifted wall clock. The tests call
 * them by these paths only: an `aws` on PATH or a Debian libfaketime in /usr is never used.
 */
import { ensureReferenceTools, type ReferenceTools } from '../../testbed/python.ts';

let tools: Promise<ReferenceTools> | undefined;

/** The paths of the reference tools, installed on the first call of this process. */
export function referenceTools(): Promise<ReferenceTools> {
  tools ??= ensureReferenceTools((msg) => process.stderr.write(`[reference tools] ${msg}\n`));
  return tools;
}

/**
 * The environment that runs a process under libfaketime with the clock `spec` (`2026-11-23 14:00:00` freezes
 * the wall clock at that instant in the zone of TZ; `-20m` shifts it). CLOCK_MONOTONIC stays real: a frozen one
 * hangs Node's timers.
 */
export function fakeClockEnv(libfaketime: string, spec: string): Record<string, string> {
  return { LD_PRELOAD: libfaketime, FAKETIME: spec, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}
