// The read step against an in-memory cluster: the observation it reports holds key names and versions, never a
// value, and it reaches the cluster only with the token it opened.
import { beforeEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import type { Sealer } from '../../../functions/domain/ports.ts';
import { readSecret } from '../../../functions/steps/read.ts';
import {
  b64,
  canaryValue,
  expectNoValue,
  MemoryCluster,
  rejection,
  sealData,
  sealToken,
  testSealer,
} from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const TOKEN = 'k8s-aws-v1.read-token';
let sealer: Sealer;
let cluster: MemoryCluster;
let canary: string;

async function input(data: Record<string, string>) {
  return { sealedData: await sealData(sealer, 'db', data), sealedToken: await sealToken(sealer, 'db', TOKEN) };
}

beforeEach(() => {
  sealer = testSealer();
  cluster = new MemoryCluster();
  canary = canaryValue();
});

describe('readSecret', () => {
  it('reports an absent Secret as every key missing', async () => {
    const out = await readSecret(
      { sealer, kubernetes: cluster.connect },
      { mappingId: 'db' },
      await input({ a: b64(canary) }),
    );

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

    const out = await readSecret({ sealer, kubernetes: cluster.connect }, { mappingId: 'db' }, await input(desired));

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

  it("passes the cluster's UnauthorizedError through, so the state machine mints a new token", async () => {
    cluster.acceptedTokens = new Set(['another token']);

    const e = await rejection(
      readSecret({ sealer, kubernetes: cluster.connect }, { mappingId: 'db' }, await input({})),
    );

    expect(e.name).toBe('UnauthorizedError');
    expectNoValue(e.message, [TOKEN]);
  });

  it('refuses inputs sealed for another mapping before it reaches the cluster', async () => {
    const foreign = {
      sealedData: await sealData(sealer, 'other', { a: b64(canary) }),
      sealedToken: (await input({})).sealedToken,
    };

    const e = await rejection(readSecret({ sealer, kubernetes: cluster.connect }, { mappingId: 'db' }, foreign));

    expect(e.name).toBe('InvalidInputError');
    expectNoValue(e.message, [canary]);
    expect(cluster.calls).toStrictEqual([]);
  });

  it('refuses a state without sealed inputs, naming what is missing', async () => {
    const e = await rejection(readSecret({ sealer, kubernetes: cluster.connect }, { mappingId: 'db' }, {} as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toMatch(/no sealed (secret-data|eks-token) for mapping db/);
  });
});
