// The test bed rolls out: kube-controller-manager (from the apiserver's own k8s.io/kubernetes module) turns
// workloads into pods, the node stand-in binds them and reports them Ready, or never Ready on command; the garbage
// collector deletes dependents. Judged by the product's rollout check (kubectl's rules) on what the apiserver says.
import { describe, expect, it } from 'vitest';
import { restartPatch } from '../../functions/domain/restart.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { rolloutOf, setNewPodsReady, waitRolledOut } from '../support/rollouts.ts';
import { workload, type Kind } from '../support/workloads.ts';

// DaemonSets are not here: on this bed the daemonset controller schedules no pod on the stand-in's node
// (desiredNumberScheduled stays 0, cause not found yet; docs/testing.md#stand-ins-what-is-real-and-what-is-not),
// so their rollout proves nothing.
const KINDS: [Kind, string][] = [
  ['Deployment', 'deployment'],
  ['StatefulSet', 'statefulset'],
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
    (w.spec as Record<string, unknown>).replicas = 2;
    await adminApply([w]);

    await waitRolledOut(ns, `${word}/app`);
    await restart(ns, `${word}s`, 'app');
    await waitRolledOut(ns, `${word}/app`);

    const pods = await kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/pods`);
    expect(pods.body.items.length).toBe(2);
    for (const p of pods.body.items) {
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
