/** Test bed helpers for rollouts: read a workload's rollout as the product does, and command the node stand-in. */
import { parseWorkload } from '../../functions/domain/restart.ts';
import { rolloutState, type RolloutState } from '../../functions/domain/rollout.ts';
import { adminToken, kube } from './kube.ts';

/**
 * The namespace annotation the test bed's node stand-in reads (testbed/controllers/kubelet.go): "false" makes the
 * pods created in the namespace from then on never become Ready.
 */
export const NEW_PODS_READY = 'testbed.eks-secret-sync.io/new-pods-ready';

/** Commands the stand-in: pods created in `namespace` from now on become Ready (`ready`) or never do. */
export async function setNewPodsReady(namespace: string, ready: boolean): Promise<void> {
  const patch = { metadata: { annotations: { [NEW_PODS_READY]: ready ? null : 'false' } } };
  const r = await kube(adminToken(), 'PATCH', `/api/v1/namespaces/${namespace}`, patch, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`annotate namespace ${namespace}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The rollout state of `ref` (`deployment/<name>`, ...) in `namespace`, read as admin. */
export async function rolloutOf(namespace: string, ref: string): Promise<RolloutState> {
  const w = parseWorkload(ref);
  const r = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${namespace}/${w.resource}/${w.name}`);
  if (r.status !== 200) throw new Error(`get ${ref}: ${r.status} ${JSON.stringify(r.body)}`);
  return rolloutState(w, r.body);
}

/** Polls until `ref`'s rollout is complete; fails with the unmet condition after `timeoutMs`. */
export async function waitRolledOut(namespace: string, ref: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await rolloutOf(namespace, ref);
    if (s.done) return;
    if (Date.now() > deadline) throw new Error(`${namespace}/${ref} not rolled out: ${s.unmet}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
