import { expect, inject } from 'vitest';
import { describeLeaks, scanForLeaks, scanForMarkers, type Secret } from './leak-scanner.ts';

/**
 * The one canary check over captured operator-visible text (function logs,
 * every state's input and output, DLQ bodies, errors, CLI output): the leak
 * scanner (test/support/leak-scanner.ts) searches each canary value, every
 * test-bed identity's access key id, secret key and session token, and the
 * admin token in every encoding it knows, plus the markers of any EKS token
 * or presigned STS URL. Call it from an `it` of its own, never from a hook.
 *
 * @param everything - All captured text, joined.
 * @param canaries - Values planted in the AWS secrets.
 * @param minLength - Guards against a vacuous pass on an empty capture.
 */
export function expectNoSecretMaterial(everything: string, canaries: readonly string[], minLength = 0): void {
  expect(everything.length).toBeGreaterThan(minLength);
  const leaks = [...scanForLeaks(everything, [...canaries.map(canarySecret), ...testbedSecrets()]), ...scanForMarkers(everything)];
  expect(leaks, describeLeaks(leaks)).toEqual([]);
}

function canarySecret(value: string, i: number): Secret {
  return { label: `canary ${i + 1}`, value };
}

/** The credentials of every test-bed identity and the admin token: what a run handles besides the canaries. */
function testbedSecrets(): Secret[] {
  const tb = inject('testbed');
  const creds = Object.entries(tb.identities).flatMap(([name, id]) => [
    { label: `${name} access key id`, value: id.credentials.accessKeyId },
    { label: `${name} secret access key`, value: id.credentials.secretAccessKey },
    ...(id.credentials.sessionToken ? [{ label: `${name} session token`, value: id.credentials.sessionToken }] : []),
  ]);
  return [...creds, { label: 'admin token', value: tb.cluster.adminToken }];
}
