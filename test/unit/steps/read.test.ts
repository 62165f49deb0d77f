// The read step against an in-memory cluster: the observation it reports holds key names and versions, never a
// value, and it reaches the cluster only with the token it signed at the call (no token comes in its input). As
// ReadSecret runs it, the step also plans the merge from what it read (readAndPlan).
import { beforeEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import type { Sealer } from '../../../functions/domain/ports.ts';
import type { SourceVersion } from '../../../functions/domain/types.ts';
import { readAndPlan, readSecret } from '../../../functions/steps/read.ts';
import {
  b64,
  canaryValue,
  CountingSigner,
  expectNoValue,
  fixedClock,
  mergeOptions,
  MemoryCluster,
  rejection,
  sealData,
  testSealer,
} from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const NOW = '2026-11-23T14:00:00.000Z';
const TOKEN = 'k8s-aws-v1.read-token-1';
const v1: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z', current: true };
const v2: SourceVersion = { arn: ARN, versionId: 'v2', createdDate: '2026-11-02T10:00:00.000Z', current: true };
const OPTIONS = mergeOptions();
const PLAN_SETTINGS = { mappingId: 'db', options: OPTIONS, restartTargets: ['deployment/api'] };
let sealer: Sealer;
let signer: CountingSigner;
let cluster: MemoryCluster;
let canary: string;

async function input(data: Record<string, string>) {
  return { sealedData: await sealData(sealer, 'db', data) };
}

const ports = () => ({ sealer, signer, kubernetes: cluster.connect, clock: fixedClock(NOW) });

beforeEach(() => {
  sealer = testSealer();
  signer = new CountingSigner('k8s-aws-v1.read-token');
  cluster = new MemoryCluster();
  canary = canaryValue();
});

describe('readSecret', () => {
  it('reports an absent Secret as every key missing', async () => {
    const out = await readSecret(ports(), { mappingId: 'db' }, await input({ a: b64(canary) }));

    expect(out).toMatchObject({ exists: false, missing: ['a'], same: [], changed: [] });
    expect(cluster.calls).toStrictEqual([{ verb: 'get', token: TOKEN, body: undefined }]);
  });

  it("compares key by key, counts others' keys, keeps the resourceVersion and carries no value", async () => {
    const source = { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z' };
    cluster.setSecret({
      type: 'Opaque',
      data: { same: b64(canary), changed: b64('old'), ours: b64(canary), theirs: b64(canary) },
      metadata: { annotations: sourceAnnotations(source, ['same', 'changed', 'ours']) },
    });
    const desired = { same: b64(canary), changed: b64(`${canary}-new`), added: b64(canary) };

    const out = await readSecret(ports(), { mappingId: 'db' }, await input(desired));

    expect(out).toMatchObject({
      exists: true,
      resourceVersion: cluster.secret!.metadata.resourceVersion,
      same: ['same'],
      changed: ['changed'],
      missing: ['added'],
      dropped: ['ours'],
      others: { count: 1, names: ['theirs'], truncated: false },
    });
    expect(out.lastSource?.versionId).toBe('v1');
    expect(JSON.stringify(out)).not.toContain(ANNOTATIONS.managedKeys);
    expectNoValue(JSON.stringify(out), [canary]);
  });

  it('signs a new token at each call (the Retry after a 401 signs again), never taking one from its input', async () => {
    const data = await input({ a: b64(canary) });
    // A state of the definition before carried a sealed token: the step ignores it.
    const old = { ...data, sealedToken: { v: 1, key: 'a2V5', iv: 'aXY=', tag: 'dGFn', data: 'c2VhbGVk' } };

    await readSecret(ports(), { mappingId: 'db' }, old);
    await readSecret(ports(), { mappingId: 'db' }, data);

    expect(signer.minted).toBe(2);
    expect(cluster.calls.map((c) => c.token)).toStrictEqual([TOKEN, 'k8s-aws-v1.read-token-2']);
  });

  it("passes the cluster's UnauthorizedError through, so the state machine runs the step again", async () => {
    cluster.acceptedTokens = new Set(['another token']);

    const e = await rejection(readSecret(ports(), { mappingId: 'db' }, await input({})));

    expect(e.name).toBe('UnauthorizedError');
    expectNoValue(e.message, [TOKEN]);
    // Control: the same call with the signed token accepted reads.
    cluster.acceptedTokens = new Set(['k8s-aws-v1.read-token-2']);
    await expect(readSecret(ports(), { mappingId: 'db' }, await input({}))).resolves.toMatchObject({ exists: false });
  });

  it('refuses data sealed for another mapping before it reaches the cluster', async () => {
    const foreign = { sealedData: await sealData(sealer, 'other', { a: b64(canary) }) };

    const e = await rejection(readSecret(ports(), { mappingId: 'db' }, foreign));

    expect(e.name).toBe('InvalidInputError');
    expectNoValue(e.message, [canary]);
    expect(cluster.calls).toStrictEqual([]);
  });

  it('refuses a state without sealed data, naming what is missing', async () => {
    const e = await rejection(readSecret(ports(), { mappingId: 'db' }, {} as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toMatch(/no sealed secret-data for mapping db/);
    expect(cluster.calls).toStrictEqual([]);
  });
});

describe('readAndPlan (ReadSecret as the state machine runs it)', () => {
  it('plans from what it read: a missing Secret is created and the workloads restarted after it', async () => {
    const plan = await readAndPlan(ports(), PLAN_SETTINGS, { ...(await input({ a: b64(canary) })), source: v1 });

    expect(plan).toMatchObject({ action: 'create', added: ['a'], restart: ['deployment/api'] });
    expect(plan.annotations[ANNOTATIONS.syncedAt]).toBe(NOW);
    expect(cluster.calls).toStrictEqual([{ verb: 'get', token: TOKEN, body: undefined }]);
    expectNoValue(JSON.stringify(plan), [canary]);
  });

  it('plans an update conditional on the resourceVersion read, with the source annotations left to the write', async () => {
    cluster.setSecret({
      type: 'Opaque',
      data: { a: b64('old') },
      metadata: { annotations: sourceAnnotations(v1, ['a']) },
    });
    const inp = { ...(await input({ a: b64(canary) })), source: v2, sourceAnnotationsAtWrite: true, attempt: 1 };

    const plan = await readAndPlan(ports(), PLAN_SETTINGS, inp);

    expect(plan).toMatchObject({
      action: 'update',
      updated: ['a'],
      resourceVersion: cluster.secret!.metadata.resourceVersion,
      restart: ['deployment/api'],
    });
    expect(plan.annotations[ANNOTATIONS.sourceVersionId]).toBeUndefined();
    expectNoValue(JSON.stringify(plan), [canary]);
    // Control: without sourceAnnotationsAtWrite the plan carries them (the CLI's form).
    const full = await readAndPlan(ports(), PLAN_SETTINGS, { ...inp, sourceAnnotationsAtWrite: undefined });
    expect(full.annotations[ANNOTATIONS.sourceVersionId]).toBe('v2');
  });

  it("refuses an input without source (the old definition's), naming the redrive, with no input value", async () => {
    // What a ReadSecret of the definition before got: the sealed data and a sealed token, no source.
    const old = {
      ...(await input({ a: b64(canary) })),
      sealedToken: { v: 1, key: b64(canary), iv: 'aXY=', tag: 'dGFn', data: b64(`k8s-aws-v1.${canary}`) },
      target: { name: `prod/${canary}/db`, cluster: 'prod', namespace: canary, secretName: 'db' },
    };

    const e = await rejection(readAndPlan(ports(), PLAN_SETTINGS, old as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toContain('no source');
    expect(e.message).toMatch(/redrive its DLQ message/);
    expectNoValue(e.message, [canary, old.sealedData.key, old.sealedData.data]);
    // Nothing reached: no token signed, no cluster called.
    expect(signer.minted).toBe(0);
    expect(cluster.calls).toStrictEqual([]);
    // Control: the same input with the version fetched plans.
    await expect(readAndPlan(ports(), PLAN_SETTINGS, { ...old, source: v1 } as never)).resolves.toMatchObject({
      action: 'create',
    });
  });

  it("passes the read's 401 through, naming no token", async () => {
    cluster.acceptedTokens = new Set();

    const e = await rejection(readAndPlan(ports(), PLAN_SETTINGS, { ...(await input({})), source: v1 }));

    expect(e.name).toBe('UnauthorizedError');
    expectNoValue(e.message, []);
  });
});
