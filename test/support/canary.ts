import { expect, inject } from 'vitest';

/**
 * The one canary check: nothing an operator can see (function logs, every
 * state's input and output, DLQ bodies, errors, CLI output) holds a canary
 * value, its base64 form, an EKS token, a signed STS URL, the sync role's
 * secret key or the test bed's admin token.
 *
 * @param everything - All captured text, joined.
 * @param canaries - Values planted in the AWS secrets.
 * @param minLength - Guards against a vacuous pass on an empty capture.
 */
export function expectNoSecretMaterial(everything: string, canaries: readonly string[], minLength = 0): void {
  const tb = inject('testbed');
  expect(everything.length).toBeGreaterThan(minLength);
  for (const canary of canaries) {
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(Buffer.from(canary, 'utf8').toString('base64').slice(0, 16));
  }
  expect(everything).not.toContain('k8s-aws-v1.');
  expect(everything).not.toContain('X-Amz-Signature');
  expect(everything).not.toContain(Buffer.from('https://sts.').toString('base64url').slice(0, 12));
  expect(everything).not.toContain(tb.identities.sync.credentials.secretAccessKey);
  expect(everything).not.toContain(tb.cluster.adminToken);
}
