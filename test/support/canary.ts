import { existsSync, readFileSync } from 'node:fs';
import { expect, inject } from 'vitest';
import { AUDITED_NAMESPACES } from '../../testbed/testbed.ts';
import { describeLeaks, scanForLeaks, scanForMarkers, type Secret } from './leak-scanner.ts';
import { adminToken, kube } from './kube.ts';

/**
 * The one canary check over captured operator-visible text (function logs,
 * every state's input and output, DLQ bodies, errors, CLI output): the leak
 * scanner (test/support/leak-scanner.ts) searches each canary value, every
 * test-bed identity's access key id, secret key and session token, and the
 * admin token in every encoding it knows, plus the markers of any EKS token
 * or presigned STS URL. The kube-apiserver's audit log is scanned with the
 * captured text: every event outside AUDITED_NAMESPACES, where the audit
 * policy records Secret writes with their bodies on purpose (race checks); and
 * without the access key ids, which the token webhook puts in `user.extra`
 * as aws-iam-authenticator does on EKS (an identifier, not a credential).
 * Call it from an `it` of its own, never from a hook.
 *
 * @param everything - All captured text, joined.
 * @param canaries - Values planted in the AWS secrets.
 * @param minLength - Guards against a vacuous pass on an empty capture.
 */
export function expectNoSecretMaterial(everything: string, canaries: readonly string[], minLength = 0): void {
  expect(everything.length).toBeGreaterThan(minLength);
  const secrets = [...canaries.map(canarySecret), ...testbedSecrets()];
  const leaks = [...scanForLeaks(everything, secrets), ...scanForMarkers(everything)];
  expect(leaks, describeLeaks(leaks)).toEqual([]);
  const audit = auditLog();
  expect(audit, 'the audit log is there to scan').toContain('"kind":"Event"');
  const auditLeaks = [
    ...scanForLeaks(
      audit,
      secrets.filter((s) => !s.label.endsWith('access key id')),
    ),
    ...scanForMarkers(audit),
  ];
  expect(auditLeaks, `kube-apiserver audit log: ${describeLeaks(auditLeaks)}`).toEqual([]);
}

/** The audit log so far, less the Secret writes it records with bodies on purpose. */
function auditLog(): string {
  const file = inject('testbed').cluster.auditLogFile;
  if (!existsSync(file)) return '';
  const audited = AUDITED_NAMESPACES.map((n) => `"namespace":"${n}"`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !audited.some((a) => line.includes(a)))
    .join('\n');
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

/**
 * What a user with `kubectl` sees of a sync besides the data, for the leak scan: every Event in `namespaces` (whole
 * objects: reason, message, involved object) and every Secret's metadata there (labels and annotations, never
 * `data`, which is where the values belong). Read with the admin token.
 */
export async function clusterStatusText(namespaces: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const ns of new Set(namespaces)) {
    const events = await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/events`);
    const secrets = await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/secrets`);
    expect(events.status, `list events in ${ns}`).toBe(200);
    expect(secrets.status, `list secrets in ${ns}`).toBe(200);
    parts.push(JSON.stringify(events.body.items));
    parts.push(JSON.stringify(secrets.body.items.map((s: { metadata: unknown }) => s.metadata)));
  }
  return parts.join('\n');
}
