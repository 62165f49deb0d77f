// Coalescing restarts (docs/restart.md#coalescing-restarts), on the rolling test bed (real kube-apiserver,
// kube-controller-manager, node stand-in): two mappings of two AWS secrets, both listing the same Deployment in
// `restart`, rotated together. With `restartWindowSeconds` both restart at the same window boundary with the same
// patch: the Deployment's pod template changes once (one generation, one new ReplicaSet, one rollout) and the second
// mapping's follow sees that rollout done. Control: the option off (0), the same rotation changes it twice.
import { afterAll, describe, expect, it } from 'vitest';
import { RESTARTED_AT_ANNOTATION, RESTARTED_FOR_VERSION_ANNOTATION } from '../../functions/domain/restart.ts';
import { clusterStatusText, expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { type ExecutionRecord, type LocalMapping, TestMapping } from '../support/pipeline.ts';
import { waitRolledOut } from '../support/rollouts.ts';
import { workload } from '../support/workloads.ts';

const CANARY = 'CANARY-5d20c1-coalesce';
/** Small, as the local runner really waits: a rotation's two syncs take a few seconds on the test bed. */
const WINDOW_SECONDS = 10;

interface Observed {
  readonly generation: number;
  readonly observedGeneration: number;
  readonly replicaSets: number;
  readonly annotations: Record<string, string>;
}

async function observe(ns: string): Promise<Observed> {
  const d = (await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/api`)).body;
  const rs = (await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).body.items;
  return {
    generation: d.metadata.generation,
    observedGeneration: d.status?.observedGeneration ?? 0,
    replicaSets: rs.filter((r: any) => r.metadata.ownerReferences?.some((o: any) => o.uid === d.metadata.uid)).length,
    annotations: d.spec.template.metadata.annotations ?? {},
  };
}

/** Waits until `offset` ms after a boundary of the W-second grid, so that both writes land in one window. */
async function justAfterBoundary(windowSeconds: number, offsetMs = 200): Promise<void> {
  const w = windowSeconds * 1000;
  const wait = (w - (Date.now() % w) + offsetMs) % w;
  await new Promise((r) => setTimeout(r, wait));
}

describe('two mappings rotated together restart a shared Deployment', () => {
  const mappings: LocalMapping[] = [];
  const namespaces: string[] = [];
  let n = 0;
  const value = () => JSON.stringify({ password: `${CANARY}-${++n}` });
  afterAll(async () => {
    await Promise.all(mappings.map((m) => m.close()));
  });

  /** A namespace with deployment/api (2 replicas) rolled out and two mappings restarting it, first syncs done. */
  async function twoMappings(restartWindowSeconds: number | undefined): Promise<[LocalMapping, LocalMapping]> {
    const ns = await createNamespace('coalesce');
    namespaces.push(ns);
    const w = workload('Deployment', ns, 'api');
    (w.spec as Record<string, unknown>).replicas = 2;
    await adminApply([w]);
    await waitRolledOut(ns, 'deployment/api');
    const made: LocalMapping[] = [];
    for (const [id, secretName] of [
      ['coalesce-db', 'db'],
      ['coalesce-cache', 'cache'],
    ] as const) {
      const m = await TestMapping.create({
        id,
        namespace: ns,
        secretName,
        restart: ['deployment/api'],
        rolloutTimeoutSeconds: 60,
        ...(restartWindowSeconds !== undefined && { restartWindowSeconds }),
        secretString: value(),
      });
      mappings.push(m);
      made.push(m);
      // The first sync creates the Secret and restarts (one after the other: not the rotation under test).
      expect((await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' })).status).toBe('SUCCEEDED');
      await waitRolledOut(ns, 'deployment/api');
    }
    return made as [LocalMapping, LocalMapping];
  }

  /** Both AWS secrets get a new version; both syncs run at once, starting just after a window boundary. */
  async function rotateTogether(ms: readonly LocalMapping[], windowSeconds: number): Promise<ExecutionRecord[]> {
    const versions = await Promise.all(ms.map((m) => m.putSecret({ secretString: value() })));
    await justAfterBoundary(windowSeconds);
    return Promise.all(ms.map((m, i) => m.run(m.labelEvent(versions[i]!))));
  }

  const entered = (r: ExecutionRecord, state: string) =>
    r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;

  it(`with restartWindowSeconds ${WINDOW_SECONDS}: one new restart value, one generation, one new ReplicaSet`, async () => {
    // Prepare
    const [db, cache] = await twoMappings(WINDOW_SECONDS);
    const before = await observe(db.namespace);
    const restartCalls: number[] = [];
    for (const m of [db, cache]) {
      const f = m.functions.RestartWorkloads;
      const invoke = f.invoke.bind(f);
      f.invoke = (event: unknown) => {
        restartCalls.push(Date.now());
        return invoke(event);
      };
    }

    // Act
    const runs = await rotateTogether([db, cache], WINDOW_SECONDS);

    // Assess: both synced, both waited for the same boundary and wrote it as the restart time
    for (const r of runs) {
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output.results[0]).toMatchObject({ outcome: 'synced', failed: false, restarted: { rolledOut: true } });
      expect(entered(r, 'WaitForRestartWindow')).toBe(1);
    }
    const [a, b] = runs.map((r) => r.output.results[0].restarted.restartedAt as string);
    expect(a, 'both writes landed in one window (precondition)').toBe(b);
    expect(Date.parse(a!) % (WINDOW_SECONDS * 1000)).toBe(0);
    // Each restart ran at or after the boundary (the Wait really waited), and each write before it.
    for (const t of restartCalls) expect(t).toBeGreaterThanOrEqual(Date.parse(a!));
    expect(restartCalls).toHaveLength(2);

    await waitRolledOut(db.namespace, 'deployment/api');
    const after = await observe(db.namespace);
    expect(after.annotations[RESTARTED_AT_ANNOTATION]).toBe(a);
    expect(after.annotations[RESTARTED_FOR_VERSION_ANNOTATION]).toBeUndefined();
    expect(after.generation).toBe(before.generation + 1);
    expect(after.observedGeneration).toBe(before.generation + 1);
    expect(after.replicaSets).toBe(before.replicaSets + 1);
    console.log(
      `coalesced: generation ${before.generation} -> ${after.generation}, ` +
        `ReplicaSets ${before.replicaSets} -> ${after.replicaSets}`,
    );
  });

  it('control: with restartWindowSeconds 0 the same rotation changes the pod template twice', async () => {
    // Prepare
    const [db, cache] = await twoMappings(undefined);
    const before = await observe(db.namespace);

    // Act
    const runs = await rotateTogether([db, cache], WINDOW_SECONDS);

    // Assess
    for (const r of runs) {
      expect(r.status).toBe('SUCCEEDED');
      expect(r.output.results[0]).toMatchObject({ outcome: 'synced', restarted: { rolledOut: true } });
      expect(entered(r, 'WaitForRestartWindow')).toBe(0);
    }
    await waitRolledOut(db.namespace, 'deployment/api');
    const after = await observe(db.namespace);
    expect(after.generation).toBe(before.generation + 2);
    expect(after.replicaSets).toBeGreaterThan(before.replicaSets);
    console.log(
      `control: generation ${before.generation} -> ${after.generation}, ` +
        `ReplicaSets ${before.replicaSets} -> ${after.replicaSets}`,
    );
  });

  it('leaves no secret material in the logs, the states, the DLQ messages or the workloads', async () => {
    expect(mappings.length).toBe(4);
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY]);
    const workloads = await Promise.all(
      namespaces.map(async (ns) =>
        JSON.stringify((await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${ns}/deployments`)).body),
      ),
    );
    expectNoSecretMaterial([await clusterStatusText(namespaces), ...workloads].join('\n'), [CANARY]);
  });
});
