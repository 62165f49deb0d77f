// The fault matrix, RestartWorkloads: the apiserver failing the restart's
// patch of a workload, through the same fault proxy as the other cells. The
// restart comes after the write, so every cell also asserts that the Secret
// holds the new version whatever happened to the restart, and that a failed
// restart leaves exactly one DLQ message naming RestartWorkloads.
import { describe, expect, it } from 'vitest';
import { kubeStatus, kubeTooManyRequests, type Fault } from '../../testbed/fault-proxy.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { attempts, b64, mappingVia, secretOf, useFaultMatrix } from '../support/fault-matrix.ts';
import { adminApply, adminToken, kube } from '../support/kube.ts';
import type { LocalMapping } from '../support/pipeline.ts';
import { workload } from '../support/workloads.ts';

const CANARY = 'CANARY-7e4b20-restart-faults';
const bed = useFaultMatrix(CANARY);
const WORKLOAD_PATH = /^\/apis\/apps\/v1\/namespaces\/[^/]+\/deployments\/api(\?.*)?$/;
const FOR_VERSION = 'eks-secret-sync.io/restarted-for-version';

/** A mapping through the proxies that restarts `deployment/api`, synced once; the workload exists. */
async function restartMapping(): Promise<LocalMapping> {
  bed.p.kube.reset(); // no rule of an earlier cell may touch this setup
  const m = await mappingVia(bed.p, { restart: ['deployment/api'], secretString: JSON.stringify(bed.next()) });
  bed.mappings.push(m);
  await adminApply([workload('Deployment', m.namespace, 'api')]);
  expect((await m.run({ source: 'setup' })).status).toBe('SUCCEEDED');
  return m;
}

/** The source version the workload's pod template was last restarted for (restartedAt has only seconds). */
async function restartedFor(m: LocalMapping): Promise<string | undefined> {
  const r = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments/api`);
  expect(r.status).toBe(200);
  return r.body.spec.template.metadata.annotations?.[FOR_VERSION];
}

const TRANSIENT: [string, Fault][] = [
  [
    '503 ServiceUnavailable',
    kubeStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
  ],
  ['429 with Retry-After', kubeTooManyRequests(1)],
  ['connection reset', { kind: 'reset' }],
];

describe('RestartWorkloads faults', () => {
  it.each(TRANSIENT)(
    'RestartWorkloads × %s (first 2) → restarted after 2 retries, the Secret holds the new value',
    async (_f, fault) => {
      const m = await restartMapping();
      bed.p.kube.reset();
      const value = bed.next();
      const version = await m.putSecret({ secretString: JSON.stringify(value) });
      const rule = bed.p.kube.add({ method: 'PATCH', path: WORKLOAD_PATH, times: 2, fault });

      const run = await m.run(m.labelEvent(version));

      expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
      expect(attempts(run, 'RestartWorkloads')).toBe(3);
      expect(rule.faulted).toBe(2);
      expect(await restartedFor(m)).toBe(version);
      expect(await m.receiveDlq()).toEqual([]);
      const s = await secretOf(m);
      expect(s.body.data.password).toBe(b64(value.password));
    },
  );

  it('RestartWorkloads × 503 (always) → DLQ TransientError naming RestartWorkloads; the Secret stays written', async () => {
    const m = await restartMapping();
    bed.p.kube.reset();
    const value = bed.next();
    const version = await m.putSecret({ secretString: JSON.stringify(value) });
    bed.p.kube.add({ method: 'PATCH', path: WORKLOAD_PATH, fault: TRANSIENT[0]![1] });

    const run = await m.run(m.labelEvent(version));

    expect(run.status).toBe('FAILED');
    expect(attempts(run, 'RestartWorkloads')).toBe(5);
    const dlq = await m.receiveDlq();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ mappingId: m.id, failedStep: 'RestartWorkloads', error: 'TransientError' });
    expect(JSON.parse(dlq[0].cause).errorMessage).toMatch(
      /deployment\/api: the apiserver failed patch .*\(503 ServiceUnavailable\)/,
    );
    const s = await secretOf(m);
    expect(s.body.data.password).toBe(b64(value.password));
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(version);
  });

  it('RestartWorkloads × 403 (injected) → DLQ PermissionDeniedError at once, never retried', async () => {
    const m = await restartMapping();
    bed.p.kube.reset();
    const version = await m.putSecret({ secretString: JSON.stringify(bed.next()) });
    const denial =
      'deployments.apps "api" is forbidden: User "x" cannot patch resource "deployments" in API group "apps" ' +
      'in the namespace "ns"';
    bed.p.kube.add({ method: 'PATCH', path: WORKLOAD_PATH, fault: kubeStatus(403, 'Forbidden', denial) });

    const run = await m.run(m.labelEvent(version));

    expect(run.status).toBe('FAILED');
    expect(attempts(run, 'RestartWorkloads')).toBe(1);
    const [msg, ...rest] = await m.receiveDlq();
    expect(rest).toEqual([]);
    expect(msg).toMatchObject({ failedStep: 'RestartWorkloads', error: 'PermissionDeniedError' });
  });

  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(bed.mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
