// The apply step against an in-memory cluster: each write action as the apiserver sees it, the field manager of a
// first create, a concurrent writer's 409 passed through, and no value in what it returns or throws.
import { beforeEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, dataHash, MANAGER_NAME, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import type { Sealer } from '../../../functions/domain/ports.ts';
import type { MergePlan, SecretData, SourceVersion } from '../../../functions/domain/types.ts';
import { planMerge } from '../../../functions/domain/plan.ts';
import { type ApplyInput, applyPlan, fieldManagerFor, type ApplySettings } from '../../../functions/steps/apply.ts';
import {
  b64,
  canaryValue,
  CountingSigner,
  expectNoValue,
  MemoryCluster,
  rejection,
  sealData,
  testSealer,
} from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const NOW = '2026-11-23T14:00:00.000Z';
const SETTINGS: ApplySettings = { mappingId: 'db', namespace: 'app', name: 'db', type: 'Opaque' };
const OPTIONS = {
  mappingId: 'db',
  prune: true,
  type: 'Opaque',
  labels: {},
  annotations: {},
  deletionPolicy: 'delete',
} as const;
const v1: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z', current: true };
const v2: SourceVersion = { arn: ARN, versionId: 'v2', createdDate: '2026-11-02T10:00:00.000Z', current: true };
let sealer: Sealer;
let signer: CountingSigner;
let cluster: MemoryCluster;
let canary: string;

/** Plans `desired` from `source` against what the cluster holds now, as ReadSecret would. */
function planFor(source: SourceVersion, desired: SecretData): MergePlan {
  const s = cluster.secret;
  const existing = s && {
    resourceVersion: s.metadata.resourceVersion,
    type: s.type ?? 'Opaque',
    data: { ...s.data },
    labels: {},
    annotations: { ...s.metadata.annotations },
  };
  return planMerge(source, observe(desired, existing), OPTIONS, NOW);
}

async function input(plan: MergePlan, desired: SecretData): Promise<ApplyInput> {
  return { plan, sealedData: await sealData(sealer, 'db', desired) };
}

let keysMade = 0;
/** Deterministic "random" bytes, counting how many keys the step made. */
const randomBytes = (n: number) => Buffer.alloc(n, ++keysMade);
const ports = () => ({ sealer, signer, kubernetes: cluster.connect, randomBytes });

beforeEach(() => {
  sealer = testSealer();
  signer = new CountingSigner();
  cluster = new MemoryCluster();
  canary = canaryValue();
});

describe('applyPlan', () => {
  it('creates the Secret by server-side apply under a field manager per source version', async () => {
    const desired = { password: b64(canary) };
    const plan = planFor(v1, desired);

    const out = await applyPlan(ports(), SETTINGS, await input(plan, desired));

    expect(out).toStrictEqual({
      action: 'create',
      resourceVersion: cluster.secret!.metadata.resourceVersion,
      added: 1,
      updated: 0,
      pruned: 0,
    });
    expect(cluster.calls.map((c) => c.verb)).toStrictEqual(['apply']);
    // The token is the one the step signed at this call (the mapping's identity); none came in its input.
    expect(cluster.calls[0]!.token).toBe('k8s-aws-v1.canary-token-1');
    expect((cluster.calls[0]!.body as { fieldManager: string }).fieldManager).toBe('eks-secret-sync-v1');
    expect(fieldManagerFor(plan)).toBe('eks-secret-sync-v1');
    expect(cluster.secret).toMatchObject({ type: 'Opaque', data: desired, metadata: { name: 'db', namespace: 'app' } });
    expectNoValue(JSON.stringify(out), [canary]);
  });

  it('says whether the states after the write restart or re-check (the plan ends at the write)', async () => {
    const desired = { password: b64(canary) };
    const plan = planFor(v1, desired);
    const base = await input(plan, desired);
    // A plan from the release before (no restart list, or empty lists) writes as it did: no new field.
    const bare = await applyPlan(ports(), SETTINGS, { ...base, plan: { ...plan, restart: [] } });
    expect(Object.keys(bare).sort()).toStrictEqual(['action', 'added', 'pruned', 'resourceVersion', 'updated']);
    cluster = new MemoryCluster();
    const restart = await applyPlan(ports(), SETTINGS, { ...base, plan: { ...plan, restart: ['deployment/api'] } });
    expect(restart).toMatchObject({ action: 'create', restart: true });
    expect('recheck' in restart).toBe(false);
    cluster = new MemoryCluster();
    const recheck = await applyPlan(ports(), SETTINGS, {
      ...base,
      plan: { ...plan, restart: [], recheck: ['deployment/api'] },
    });
    expect(recheck).toMatchObject({ action: 'create', recheck: true });
    expect('restart' in recheck).toBe(false);
  });

  it('writes the source-* annotations from its source input when the plan leaves them out', async () => {
    const desired = { password: b64(canary) };
    const full = planFor(v1, desired);
    const names: string[] = [ANNOTATIONS.sourceArn, ANNOTATIONS.sourceVersionId, ANNOTATIONS.sourceCreatedDate];
    const lean = {
      ...full,
      annotations: Object.fromEntries(Object.entries(full.annotations).filter(([k]) => !names.includes(k))),
    };

    const out = await applyPlan(ports(), SETTINGS, { ...(await input(lean, desired)), source: v1 });

    expect(out.action).toBe('create');
    // The same Secret as from the full plan (the definition before): the annotations and the field manager.
    expect(cluster.secret!.metadata.annotations).toMatchObject(
      Object.fromEntries(names.map((k) => [k, full.annotations[k]])),
    );
    expect((cluster.calls[0]!.body as { fieldManager: string }).fieldManager).toBe('eks-secret-sync-v1');
    // Control: without the source the lean plan writes no source annotation.
    cluster = new MemoryCluster();
    await applyPlan(ports(), SETTINGS, await input(lean, desired));
    expect(Object.keys(cluster.secret!.metadata.annotations ?? {})).not.toContain(ANNOTATIONS.sourceVersionId);
  });

  it('updates by a merge patch conditional on the resourceVersion read, pruning dropped keys', async () => {
    cluster.setSecret({
      type: 'Opaque',
      data: { a: b64('1'), gone: b64('x') },
      metadata: { annotations: sourceAnnotations(v1, ['a', 'gone']) },
    });
    const desired = { a: b64(canary) };
    const plan = planFor(v2, desired);

    const out = await applyPlan(ports(), SETTINGS, await input(plan, desired));

    expect(out).toMatchObject({ action: 'update', updated: 1, pruned: 1 });
    expect(cluster.calls.map((c) => c.verb)).toStrictEqual(['mergePatch']);
    expect(cluster.secret!.data).toStrictEqual(desired);
  });

  it("passes a concurrent writer's ConflictError through, so the state machine reads again", async () => {
    cluster.setSecret({
      type: 'Opaque',
      data: { a: b64('1') },
      metadata: { annotations: sourceAnnotations(v1, ['a']) },
    });
    const desired = { a: b64(canary) };
    const plan = planFor(v2, desired);
    cluster.beforeWrite = () => cluster.setSecret({ ...cluster.secret!, data: { a: b64('someone else') } });

    const e = await rejection(applyPlan(ports(), SETTINGS, await input(plan, desired)));

    expect(e.name).toBe('ConflictError');
    expectNoValue(e.message, [canary]);
    expect(cluster.secret!.data).toStrictEqual({ a: b64('someone else') });
  });

  it.each([
    [
      "delete-keys: only the keys it wrote go, others' keys stay",
      { theirs: b64('x') },
      'delete-keys',
      { theirs: b64('x') },
    ],
    ['delete-secret: the Secret it created and alone wrote goes', {}, 'delete-secret', null],
  ] as const)('carries out %s', async (_what, others, action, after) => {
    const annotations = { ...sourceAnnotations(v1, ['a']), [ANNOTATIONS.createdBy]: MANAGER_NAME };
    cluster.setSecret({ type: 'Opaque', data: { a: b64(canary), ...others }, metadata: { annotations } });
    const deleted: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: NOW, deleted: true, currentAt: NOW };
    const plan = planFor(deleted, {});
    expect(plan.action).toBe(action);

    const out = await applyPlan(ports(), SETTINGS, await input(plan, {}));

    expect(out.action).toBe(action);
    expect(cluster.secret?.data ?? null).toStrictEqual(after);
    expect(out.resourceVersion).toBe(action === 'delete-secret' ? '' : cluster.secret!.metadata.resourceVersion);
  });

  it('writes a new data-hash key and the hash of the data under it when the Secret has no key', async () => {
    const desired = { password: b64(canary) };
    const plan = planFor(v1, desired);
    expect(plan.annotations[ANNOTATIONS.dataHash]).toBeUndefined();

    const out = await applyPlan(ports(), SETTINGS, await input(plan, desired));

    const annotations = cluster.secret!.metadata.annotations!;
    const key = Buffer.from(annotations[ANNOTATIONS.dataHashKey]!, 'base64');
    expect(key).toStrictEqual(Buffer.alloc(32, keysMade));
    expect(annotations[ANNOTATIONS.dataHash]).toBe(dataHash(key, desired));
    expectNoValue(JSON.stringify(out), [canary, annotations[ANNOTATIONS.dataHashKey]!]);
  });

  it('keeps the key and writes the new hash planned under it when the data changes; a no-op sync stays none', async () => {
    const first = { password: b64('one') };
    await applyPlan(ports(), SETTINGS, await input(planFor(v1, first), first));
    const key = cluster.secret!.metadata.annotations![ANNOTATIONS.dataHashKey];
    const made = keysMade;
    const second = { password: b64(canary) };

    await applyPlan(ports(), SETTINGS, await input(planFor(v2, second), second));

    const annotations = cluster.secret!.metadata.annotations!;
    expect(keysMade).toBe(made);
    expect(annotations[ANNOTATIONS.dataHashKey]).toBe(key);
    expect(annotations[ANNOTATIONS.dataHash]).toBe(dataHash(Buffer.from(key!, 'base64'), second));
    expect(planFor(v2, second).action).toBe('none');
  });

  it('signs a new token at each call, never one from its input, and returns none', async () => {
    const desired = { password: b64(canary) };
    await applyPlan(ports(), SETTINGS, await input(planFor(v1, desired), desired));
    const second = { password: b64(`${canary}-2`) };

    const out = await applyPlan(ports(), SETTINGS, await input(planFor(v2, second), second));

    expect(signer.minted).toBe(2);
    expect(cluster.calls.map((c) => c.token)).toStrictEqual(['k8s-aws-v1.canary-token-1', 'k8s-aws-v1.canary-token-2']);
    expectNoValue(JSON.stringify(out), [canary]);
    // Control: a cluster that accepts only an earlier token refuses the write (the token signed now is what reaches
    // it), with an UnauthorizedError that names no token.
    cluster = new MemoryCluster();
    cluster.acceptedTokens = new Set(['k8s-aws-v1.canary-token-2']);
    const e = await rejection(applyPlan(ports(), SETTINGS, await input(planFor(v1, desired), desired)));
    expect(e.name).toBe('UnauthorizedError');
    expect(cluster.calls.map((c) => c.token)).toStrictEqual(['k8s-aws-v1.canary-token-3']);
    expectNoValue(e.message, [canary]);
  });

  it.each(['none', 'skip-stale', 'retain'])('refuses a %s plan, naming the actions that write', async (action) => {
    const plan = { ...planFor(v1, {}), action } as MergePlan;

    const e = await rejection(applyPlan(ports(), SETTINGS, await input(plan, {})));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toBe(
      `ApplySecret got plan action "${action}"; only create, update, delete-keys, delete-secret write`,
    );
    expect(cluster.calls).toStrictEqual([]);
    expect(signer.minted).toBe(0);
  });
});
