// The restart step against an in-memory cluster: every listed workload patched like `kubectl rollout restart`,
// failures named per workload, and nothing of the Secret in the patch.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  parseWorkloads,
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_VERSION_ANNOTATION,
} from '../../../functions/domain/restart.ts';
import { ROLLOUT_POLL_MS, restartWorkloads, type RestartSettings } from '../../../functions/steps/restart.ts';
import type { WorkloadStatusView } from '../../../functions/domain/rollout.ts';
import { CountingSigner, MemoryCluster, ROLLED_OUT, rejection } from '../../support/ports.ts';

const TOKEN = 'k8s-aws-v1.restart-token-1';
const SETTINGS: RestartSettings = { mappingId: 'db', targets: parseWorkloads(['statefulset/db', 'deployment/api']) };
let signer: CountingSigner;
let cluster: MemoryCluster;

function input(requestedAt = '2026-11-23T14:00:00.123Z') {
  return { versionId: 'v2', requestedAt };
}

beforeEach(() => {
  signer = new CountingSigner('k8s-aws-v1.restart-token');
  cluster = new MemoryCluster();
  cluster.workloads.set('deployments/api', null).set('statefulsets/db', null);
});

describe('restartWorkloads', () => {
  it("patches each workload's pod template with the request time (whole seconds) and the version", async () => {
    const out = await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input());

    expect(out).toStrictEqual({
      workloads: ['deployment/api', 'statefulset/db'],
      restartedAt: '2026-11-23T14:00:00Z',
      versionId: 'v2',
    });
    const annotations = { [RESTARTED_AT_ANNOTATION]: '2026-11-23T14:00:00Z', [RESTARTED_FOR_VERSION_ANNOTATION]: 'v2' };
    for (const id of ['deployments/api', 'statefulsets/db']) {
      expect(cluster.workloads.get(id)).toStrictEqual({ spec: { template: { metadata: { annotations } } } });
    }
    // One token, signed at this call, for every call to the cluster.
    expect(new Set(cluster.calls.map((c) => c.token))).toStrictEqual(new Set([TOKEN]));
    expect(signer.minted).toBe(1);
  });

  it("with ApplySecret's restartAt (restartWindowSeconds): restarts at that boundary with the coalesced patch", async () => {
    const applied = { restartAt: '2026-11-23T14:00:10Z' };
    const out = await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, {
      ...input(),
      applied,
    });

    expect(out).toMatchObject({ restartedAt: '2026-11-23T14:00:10Z', versionId: 'v2' });
    const annotations = { [RESTARTED_AT_ANNOTATION]: '2026-11-23T14:00:10Z', [RESTARTED_FOR_VERSION_ANNOTATION]: null };
    for (const id of ['deployments/api', 'statefulsets/db']) {
      expect(cluster.workloads.get(id)).toStrictEqual({ spec: { template: { metadata: { annotations } } } });
    }
  });

  it('without restartAt (the option off, ApplySecret output without it) restarts at the request time as before', async () => {
    const out = await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, {
      ...input(),
      applied: {},
    });
    expect(out.restartedAt).toBe('2026-11-23T14:00:00Z');
    expect(cluster.workloads.get('deployments/api')!.spec.template.metadata.annotations).toStrictEqual({
      [RESTARTED_AT_ANNOTATION]: '2026-11-23T14:00:00Z',
      [RESTARTED_FOR_VERSION_ANNOTATION]: 'v2',
    });
  });

  it('restarts the others and fails naming a missing workload and how to fix the mapping', async () => {
    cluster.workloads.delete('statefulsets/db');

    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input()));

    expect(e.name).toBe('NotFoundError');
    expect(e.message).toContain(
      'statefulset/db: statefulsets.apps "db" not found (create it, or remove statefulset/db',
    );
    expect(e.message).toContain('restarted: deployment/api');
    expect(cluster.workloads.get('deployments/api')).not.toBeNull();
  });

  it('fails with UnauthorizedError when the cluster refuses the token, so the state machine runs it again', async () => {
    cluster.acceptedTokens = new Set();

    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input()));

    expect(e.name).toBe('UnauthorizedError');
    expect(e.message).not.toContain('k8s-aws-v1.');
  });

  it('signs a new token at each call: the run again after a 401 reaches the cluster with another one', async () => {
    cluster.acceptedTokens = new Set(['k8s-aws-v1.restart-token-2']);
    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input()));
    expect(e.name).toBe('UnauthorizedError');

    const out = await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input());

    expect(out.workloads).toStrictEqual(['deployment/api', 'statefulset/db']);
    expect(signer.minted).toBe(2);
    const tokens = cluster.calls.filter((c) => c.verb === 'patch').map((c) => c.token);
    expect(new Set(tokens)).toStrictEqual(new Set([TOKEN, 'k8s-aws-v1.restart-token-2']));
  });

  it.each([
    ['neither version nor request time', {}],
    ['a version without a request time', { versionId: 'v1' }],
    ['a request time without a version', { requestedAt: '2026-11-23T14:00:00Z' }],
    ['no input at all', undefined],
  ])('refuses an input with %s before it signs a token', async (_what, bad) => {
    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, bad as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toBe('RestartWorkloads needs {versionId, requestedAt} from the previous states');
    expect(cluster.calls).toStrictEqual([]);
    expect(signer.minted).toBe(0);
  });
});

/** A fake clock the step's sleep advances: following takes no real time. */
function fakeTime(start = Date.parse('2026-11-23T14:00:01Z')) {
  let t = start;
  const sleep = async (ms: number) => {
    t += ms;
  };
  return { now: () => t, sleep, elapsed: () => t - start };
}
const NOT_READY: WorkloadStatusView = {
  ...ROLLED_OUT,
  status: { ...ROLLED_OUT.status, availableReplicas: 0, readyReplicas: 0 },
};
const FOLLOW: RestartSettings = { ...SETTINGS, rolloutTimeoutSeconds: 30, where: 'cluster prod, namespace shop' };

describe('restartWorkloads following the rollouts', () => {
  it('ends when every rollout is complete, reading each until then', async () => {
    cluster.rollouts.set('deployments/api', [NOT_READY, NOT_READY, ROLLED_OUT]);
    const time = fakeTime();

    const out = await restartWorkloads({ signer, kubernetes: cluster.connect, ...time }, FOLLOW, input());

    expect(out).toMatchObject({ workloads: ['deployment/api', 'statefulset/db'], rolledOut: true });
    expect(cluster.calls.filter((c) => c.verb === 'get')).toHaveLength(6); // three rounds of both workloads
    expect(time.elapsed()).toBe(4_000);
  });

  it('fails with RolloutUnhealthyError naming the workload, the cluster and the condition unmet, after the timeout', async () => {
    cluster.rollouts.set('deployments/api', [NOT_READY]);
    const time = fakeTime();

    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect, ...time }, FOLLOW, input()));

    expect(e.name).toBe('RolloutUnhealthyError');
    expect(e.message).toBe(
      '1 of 2 workloads not rolled out after 30 s (rolloutTimeoutSeconds 30) in cluster prod, namespace shop: ' +
        'deployment/api: 0 of 1 updated replicas available; rolled out: statefulset/db; the Secret stays written ' +
        '(docs/restart.md#when-a-rollout-does-not-become-healthy)',
    );
    expect(time.elapsed()).toBeLessThanOrEqual(30_000);
    // The patches went out: the Secret and the restart stay; nothing is undone.
    expect(cluster.workloads.get('deployments/api')).not.toBeNull();
  });

  it('stops at once when a rollout cannot complete (a Deployment past its progress deadline)', async () => {
    const stuck = {
      ...NOT_READY,
      status: { ...NOT_READY.status, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] },
    };
    cluster.rollouts.set('deployments/api', [stuck]);
    const time = fakeTime();

    const e = await rejection(restartWorkloads({ signer, kubernetes: cluster.connect, ...time }, FOLLOW, input()));

    expect(e.message).toContain('deployment/api: exceeded its progress deadline');
    expect(time.elapsed()).toBe(0);
  });

  it("stops in time to report when the invocation's time runs out before the timeout", async () => {
    cluster.rollouts.set('deployments/api', [NOT_READY]);
    const time = fakeTime();
    const timeLeft = () => 10_000 - time.elapsed();

    const e = await rejection(
      restartWorkloads({ signer, kubernetes: cluster.connect, ...time, timeLeft }, FOLLOW, input()),
    );

    expect(e.name).toBe('RolloutUnhealthyError');
    // It never sleeps into the last poll interval: a read and the report still fit.
    expect(time.elapsed()).toBeGreaterThan(0);
    expect(time.elapsed()).toBeLessThanOrEqual(10_000 - ROLLOUT_POLL_MS);
  });

  it('does not read the workloads without rolloutTimeoutSeconds', async () => {
    cluster.rollouts.set('deployments/api', [NOT_READY]);

    const out = await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input());

    expect(out).not.toHaveProperty('rolledOut');
    expect(cluster.calls.filter((c) => c.verb === 'get')).toStrictEqual([]);
  });
});

describe('restartWorkloads re-checking on a redrive', () => {
  it('patches only the workloads not yet restarted for this version, then follows every rollout', async () => {
    // The failed attempt restarted deployment/api for v2 (a day earlier); statefulset/db still has v1.
    await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input('2026-11-22T14:00:00Z'));
    cluster.workloads.set('statefulsets/db', {
      spec: { template: { metadata: { annotations: { [RESTARTED_FOR_VERSION_ANNOTATION]: 'v1' } } } },
    });
    const time = fakeTime();

    const out = await restartWorkloads({ signer, kubernetes: cluster.connect, ...time }, FOLLOW, {
      ...input(),
      recheck: true,
    });

    expect(out).toMatchObject({ alreadyRestarted: ['deployment/api'], rolledOut: true });
    // deployment/api kept the first attempt's restart time: not rolled again.
    expect(cluster.workloads.get('deployments/api')!.spec.template.metadata.annotations).toMatchObject({
      [RESTARTED_AT_ANNOTATION]: '2026-11-22T14:00:00Z',
    });
    expect(cluster.workloads.get('statefulsets/db')!.spec.template.metadata.annotations).toStrictEqual({
      [RESTARTED_AT_ANNOTATION]: '2026-11-23T14:00:00Z',
      [RESTARTED_FOR_VERSION_ANNOTATION]: 'v2',
    });
  });

  it('fails again, naming the workload, when the rollout is still not healthy', async () => {
    await restartWorkloads({ signer, kubernetes: cluster.connect }, SETTINGS, input());
    cluster.rollouts.set('statefulsets/db', [{ ...NOT_READY, status: { ...NOT_READY.status, readyReplicas: 0 } }]);
    const patches = cluster.calls.filter((c) => c.verb === 'patch').length;

    const e = await rejection(
      restartWorkloads({ signer, kubernetes: cluster.connect, ...fakeTime() }, FOLLOW, {
        ...input(),
        recheck: true,
      }),
    );

    expect(e.message).toContain('statefulset/db: 1 of 1 pods not ready');
    expect(cluster.calls.filter((c) => c.verb === 'patch')).toHaveLength(patches);
  });
});
