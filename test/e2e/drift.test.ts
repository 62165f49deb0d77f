// The initial sync and the drift repair of a resync schedule end to end,
// with the inputs the stack's custom resource and schedule rule send
// (infra/constructs/events.ts; test/infra/lifecycle.test.ts checks the template).
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoSecretMaterial } from '../support/canary.ts';
import {
  INITIAL_SYNC_DETAIL_TYPE,
  SCHEDULED_SYNC_DETAIL_TYPE,
  syntheticExecutionInput,
} from '../../infra/constructs/events.ts';
import { adminToken, kube } from '../support/kube.ts';
import { stepResults, TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-91be3c-drift';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const mappings: LocalMapping[] = [];
const VALUES = { username: 'app', password: `${CANARY}-1` };

async function mapping() {
  const m = await TestMapping.create({ secretString: JSON.stringify(VALUES) });
  mappings.push(m);
  return m;
}

const secretPath = (m: LocalMapping) => `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`;
const secretOf = (m: LocalMapping) => kube(adminToken(), 'GET', secretPath(m));
const planOf = (r: ExecutionRecord) => stepResults(r, 'ReadSecret').at(-1);

/** What the stack's initial sync custom resource and schedule rule start the state machine with. */
const initial = (m: LocalMapping) =>
  syntheticExecutionInput(INITIAL_SYNC_DETAIL_TYPE, { mappingId: m.id, configHash: '0123456789abcdef' });
const scheduled = (m: LocalMapping) => syntheticExecutionInput(SCHEDULED_SYNC_DETAIL_TYPE, { mappingId: m.id });
const run = (m: LocalMapping, input: { event: Record<string, unknown>; attempt: number }) =>
  m.run(input.event, input.attempt);

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('initial sync', () => {
  it('creates the Secret from AWSCURRENT without waiting for a change', async () => {
    // Prepare
    const m = await mapping();
    expect((await secretOf(m)).status).toBe(404);

    // Act
    const r = await run(m, initial(m));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({ action: 'create', added: ['password', 'username'] });
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data).toStrictEqual({ username: b64('app'), password: b64(VALUES.password) });
    expect(s.body.metadata.annotations['eks-secret-sync.io/created-by']).toBe('eks-secret-sync');
  });
});

describe('scheduled sync (drift repair)', () => {
  it('writes the AWS value back over a managed key edited in the cluster, keeping a key others added', async () => {
    // Prepare
    const m = await mapping();
    expect((await run(m, initial(m))).status).toBe('SUCCEEDED');
    const edited = await kube(
      adminToken(),
      'PATCH',
      secretPath(m),
      { data: { password: b64('edited-by-hand'), theirs: b64('x') } },
      'application/merge-patch+json',
    );
    expect(edited.status).toBe(200);

    // Act
    const r = await run(m, scheduled(m));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({
      action: 'update',
      updated: ['password'],
      unchanged: ['username'],
      kept: { count: 1, names: ['theirs'] },
    });
    expect((await secretOf(m)).body.data).toStrictEqual({
      username: b64('app'),
      password: b64(VALUES.password),
      theirs: b64('x'),
    });

    // Act: the next scheduled sync finds nothing to repair and writes nothing
    const before = (await secretOf(m)).body.metadata.resourceVersion;
    const again = await run(m, scheduled(m));

    // Assess
    expect(again.status).toBe('SUCCEEDED');
    expect(planOf(again)).toMatchObject({ action: 'none' });
    expect((await secretOf(m)).body.metadata.resourceVersion).toBe(before);
  });

  it('creates the Secret again after it was deleted in the cluster', async () => {
    // Prepare
    const m = await mapping();
    expect((await run(m, initial(m))).status).toBe('SUCCEEDED');
    expect((await kube(adminToken(), 'DELETE', secretPath(m))).status).toBe(200);
    expect((await secretOf(m)).status).toBe(404);

    // Act
    const r = await run(m, scheduled(m));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({ action: 'create' });
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data).toStrictEqual({ username: b64('app'), password: b64(VALUES.password) });
  });

  it('restores a managed key removed in the cluster', async () => {
    // Prepare
    const m = await mapping();
    expect((await run(m, initial(m))).status).toBe('SUCCEEDED');
    expect(
      (await kube(adminToken(), 'PATCH', secretPath(m), { data: { username: null } }, 'application/merge-patch+json'))
        .status,
    ).toBe(200);

    // Act
    const r = await run(m, scheduled(m));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({ action: 'update', added: ['username'] });
    expect((await secretOf(m)).body.data).toStrictEqual({ username: b64('app'), password: b64(VALUES.password) });
  });
});

describe('secret material', () => {
  it('never reaches the logs, any state, DLQ messages or errors', () => {
    const everything = mappings.map((m) => m.captured()).join('\n');
    expectNoSecretMaterial(everything, [CANARY]);
  });
});
