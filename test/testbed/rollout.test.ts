// The test bed rolls out: kube-controller-manager (from the apiserver's own k8s.io/kubernetes module) turns
// workloads into pods, the node stand-in binds them and reports them Ready, or never Ready on command; the garbage
// collector deletes dependents. Judged by the product's rollout check (kubectl's rules) on what the apiserver says.
import { afterAll, describe, expect, it } from 'vitest';
import { restartPatch } from '../../functions/domain/restart.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { type ExecutionRecord, type LocalMapping, TestMapping } from '../support/pipeline.ts';
import { rolloutOf, setNewPodsReady, waitRolledOut } from '../support/rollouts.ts';
import { workload, type Kind } from '../support/workloads.ts';

const KINDS: [Kind, string][] = [
  ['Deployment', 'deployment'],
  ['StatefulSet', 'statefulset'],
  ['DaemonSet', 'daemonset'],
];

async function restart(namespace: string, resource: string, name: string): Promise<void> {
  const patch = restartPatch(new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), 'v2');
  const path = `/apis/apps/v1/namespaces/${namespace}/${resource}/${name}`;
  const r = await kube(adminToken(), 'PATCH', path, patch, 'application/strategic-merge-patch+json');
  expect(r.status).toBe(200);
}

describe('test bed controllers and node stand-in', () => {
  it.each(KINDS)('rolls a %s out, and rolls it out again after a restart', async (kind, word) => {
    const ns = await createNamespace('rollout');
    const w = workload(kind, ns, 'app');
    // A DaemonSet has one pod per node: the stand-in's one node.
    const pods = kind === 'DaemonSet' ? 1 : 2;
    if (kind !== 'DaemonSet') (w.spec as Record<string, unknown>).replicas = pods;
    await adminApply([w]);

    await waitRolledOut(ns, `${word}/app`);
    await restart(ns, `${word}s`, 'app');
    await waitRolledOut(ns, `${word}/app`);

    const podList = await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/pods`);
    const live = podList.body.items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(live.length).toBe(pods);
    for (const p of live) {
      expect(p.spec.nodeName).toBe('testbed-node');
      expect(p.metadata.annotations?.['eks-secret-sync.io/restarted-for-version']).toBe('v2');
    }
  });

  it.each(KINDS)('leaves a %s not rolled out when its new pods never become ready', async (kind, word) => {
    const ns = await createNamespace('stuck');
    await adminApply([workload(kind, ns, 'app')]);
    await waitRolledOut(ns, `${word}/app`);

    await setNewPodsReady(ns, false);
    await restart(ns, `${word}s`, 'app');
    await new Promise((r) => setTimeout(r, 3_000));

    const state = await rolloutOf(ns, `${word}/app`);
    expect(state.done).toBe(false);
  });

  it('deletes a dependent through the garbage collector when its owner is deleted', async () => {
    const ns = await createNamespace('gc');
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns } };
    await adminApply([owner]);
    const got = await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/configmaps/owner`);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: got.body.metadata.uid };
    await adminApply([{ ...owner, metadata: { name: 'dependent', namespace: ns, ownerReferences: [ref] } }]);

    expect((await kube(adminToken(), 'DELETE', `/api/v1/namespaces/${ns}/configmaps/owner`)).status).toBe(200);

    const deadline = Date.now() + 20_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/configmaps/dependent`)).status;
    }
    expect(status).toBe(404);
  });
});

// The product on the rolling test bed (docs/restart.md#follow-the-rollout): the sync follows each restarted
// workload's rollout with the mapping's own identity (RBAC `get` on the listed names) and ends Synced only when
// the new pods are available; pods that never become ready end the target in the DLQ, naming the workload, the
// cluster and the unmet condition; a redrive re-checks without restarting again.
describe('the sync follows the rollout', () => {
  const CANARY = 'CANARY-8c41d7-rollout';
  const mappings: LocalMapping[] = [];
  let n = 0;
  const value = () => JSON.stringify({ password: `${CANARY}-${++n}` });
  afterAll(async () => {
    await Promise.all(mappings.map((m) => m.close()));
  });

  async function rollingMapping(restart: string[], rolloutTimeoutSeconds: number): Promise<LocalMapping> {
    const m = await TestMapping.create({ restart, rolloutTimeoutSeconds, secretString: value() });
    mappings.push(m);
    const kinds: Record<string, Kind> = {
      deployment: 'Deployment',
      statefulset: 'StatefulSet',
      daemonset: 'DaemonSet',
    };
    await adminApply(restart.map((r) => workload(kinds[r.split('/')[0]!]!, m.namespace, r.split('/')[1]!)));
    for (const r of restart) await waitRolledOut(m.namespace, r);
    return m;
  }
  const template = async (ns: string, resource: string, name: string) =>
    (await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${ns}/${resource}/${name}`)).body.spec.template;
  const entered = (r: ExecutionRecord, state: string) =>
    r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;

  it('ends Synced once every restarted workload has rolled out its new pods', async () => {
    // Prepare: a Deployment, a StatefulSet and a DaemonSet, rolled out
    const m = await rollingMapping(['daemonset/agent', 'deployment/api', 'statefulset/db'], 60);

    // Act: the first sync creates the Secret, restarts and follows
    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    const result = r.output.results[0];
    expect(result).toMatchObject({ outcome: 'synced', failed: false, restarted: { rolledOut: true } });
    const version = result.restarted.versionId;
    for (const ref of ['daemonset/agent', 'deployment/api', 'statefulset/db']) {
      expect(await rolloutOf(m.namespace, ref), ref).toStrictEqual({ done: true });
      const [word, name] = ref.split('/') as [string, string];
      expect((await template(m.namespace, `${word}s`, name)).metadata.annotations).toMatchObject({
        'eks-secret-sync.io/restarted-for-version': version,
      });
    }
    expect(await m.receiveDlq()).toStrictEqual([]);
  });

  it(
    'sends the target to the DLQ naming the workload, the cluster and the unmet condition when the new pods ' +
      'never become ready; the Secret stays written; a redrive re-checks and does not restart again',
    async () => {
      // Prepare: a Deployment rolled out, then pods created from now on crash-loop (a value that breaks the app)
      const m = await rollingMapping(['deployment/api'], 8);
      await setNewPodsReady(m.namespace, false);

      // Act
      const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

      // Assess: failed after the timeout, one DLQ message naming what did not roll out
      expect(r.status).toBe('FAILED');
      const [msg, ...more] = await m.receiveDlq();
      expect(more).toStrictEqual([]);
      expect(msg).toMatchObject({ failedStep: 'RestartWorkloads', error: 'RolloutUnhealthyError', attempt: 1 });
      const cause = JSON.parse(msg.cause).errorMessage as string;
      expect(cause).toMatch(
        new RegExp(
          `^1 of 1 workloads not rolled out after \\d+ s \\(rolloutTimeoutSeconds 8\\) in cluster testbed, ` +
            `namespace ${m.namespace}: deployment/api: `,
        ),
      );
      expect(cause).toMatch(
        /deployment\/api: (\d+ old replicas pending termination|0 of 1 updated replicas available)/,
      );
      expect(cause).toContain('the Secret stays written');
      // The Secret holds the new version: nothing was rolled back.
      const version = r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output
        .fetched.source.versionId;
      const secret = await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
      expect(secret.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(version);
      const restartedAt = (await template(m.namespace, 'deployments', 'api')).metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ];

      // Act: the operator fixes the app (pods become ready again), the crash-looping pods are replaced, redrive
      await setNewPodsReady(m.namespace, true);
      const pods = await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/pods`);
      for (const p of pods.body.items.filter((p: any) => p.status.containerStatuses?.[0]?.ready === false)) {
        await kube(adminToken(), 'DELETE', `/api/v1/namespaces/${m.namespace}/pods/${p.metadata.name}`);
      }
      const redrive = await m.run(msg.event, 2);

      // Assess: re-checked and rolled out, not restarted again
      expect(redrive.status).toBe('SUCCEEDED');
      expect(redrive.output.results[0]).toMatchObject({
        outcome: 'synced',
        action: 'none',
        restarted: { rolledOut: true, alreadyRestarted: ['deployment/api'] },
      });
      expect(entered(redrive, 'RecheckRollouts')).toBe(1);
      expect(entered(redrive, 'RestartWorkloads')).toBe(0);
      expect(
        (await template(m.namespace, 'deployments', 'api')).metadata.annotations['kubectl.kubernetes.io/restartedAt'],
      ).toBe(restartedAt);
      expect(await m.receiveDlq()).toStrictEqual([]);
    },
  );

  it('leaves no secret material in the logs, the states or the DLQ messages', () => {
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY]);
  });
});
