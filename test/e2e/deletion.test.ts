// The deletion policy end to end: CloudTrail DeleteSecret and RestoreSecret
// events (test/fixtures) of a secret deleted and restored in moto, the
// deployed ASL, the synthesized bundles and the real kube-apiserver.
import { DeleteSecretCommand, RestoreSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { cloudTrailEvent } from '../fixtures/cloudtrail.ts';
import { adminToken, kube } from '../support/kube.ts';
import { stepResults, TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-0d4e7b-deletion';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const mappings: LocalMapping[] = [];
let n = 0;
const data = () => JSON.stringify({ username: 'app', password: `${CANARY}-${++n}` });

async function mapping(opts: Parameters<typeof TestMapping.create>[0] = {}) {
  const m = await TestMapping.create({ secretString: data(), ...opts });
  mappings.push(m);
  return m;
}

const secretPath = (m: LocalMapping, name = m.secretName) => `/api/v1/namespaces/${m.namespace}/secrets/${name}`;
const secretOf = (m: LocalMapping) => kube(adminToken(), 'GET', secretPath(m));
const entered = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;
const planOf = (r: ExecutionRecord) => stepResults(r, 'ReadSecret').at(-1);

/** Secrets Manager calls on the mapping's secret, in moto. */
async function secrets(m: LocalMapping, call: 'delete' | 'restore'): Promise<void> {
  const tb = inject('testbed');
  const sm = new SecretsManagerClient({
    region: tb.moto.region,
    endpoint: tb.moto.url,
    credentials: tb.moto.credentials,
  });
  await sm.send(
    call === 'delete'
      ? new DeleteSecretCommand({ SecretId: m.secretArn, RecoveryWindowInDays: 7 })
      : new RestoreSecretCommand({ SecretId: m.secretArn }),
  );
  sm.destroy();
}

/** Creates the Secret with a first sync and returns it as read back. */
async function synced(m: LocalMapping) {
  expect(
    (await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync', detail: { mappingId: m.id } })).status,
  ).toBe('SUCCEEDED');
  const s = await secretOf(m);
  expect(s.status).toBe(200);
  return s.body;
}

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('deletionPolicy retain (the default)', () => {
  it('leaves the Secret unchanged and ends successfully, without a DLQ message', async () => {
    // Prepare
    const m = await mapping();
    const before = await synced(m);
    await secrets(m, 'delete');

    // Act
    const r = await m.run(cloudTrailEvent('DeleteSecret', m.secretArn));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({
      action: 'retain',
      reason: expect.stringContaining('deletionPolicy retain keeps the Secret unchanged'),
    });
    expect(entered(r, 'Retained')).toBe(1);
    expect(entered(r, 'ApplySecret')).toBe(0);
    expect(
      r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output.fetched.source,
    ).toMatchObject({ arn: m.secretArn, deleted: true });
    const after = await secretOf(m);
    expect(after.body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.body.data).toStrictEqual(before.data);
    expect(await m.receiveDlq()).toStrictEqual([]);
  });
});

describe('deletionPolicy delete', () => {
  it('removes the keys it wrote and keeps the keys others wrote', async () => {
    // Prepare: a Secret it created, to which someone added a key
    const m = await mapping({ deletionPolicy: 'delete' });
    await synced(m);
    const patched = await kube(
      adminToken(),
      'PATCH',
      secretPath(m),
      { data: { theirs: b64('x') } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    await secrets(m, 'delete');

    // Act: the event names the secret as the caller did, by name
    const r = await m.run(
      cloudTrailEvent('DeleteSecret', m.secretArn, { secretId: m.secretArn.split(':secret:')[1]!.slice(0, -7) }),
    );

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({
      action: 'delete-keys',
      pruned: ['password', 'username'],
      kept: { count: 1, names: ['theirs'] },
    });
    expect(r.output.results[0].applied).toMatchObject({ action: 'delete-keys', pruned: 2 });
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data).toStrictEqual({ theirs: b64('x') });
    expect(s.body.metadata.annotations['eks-secret-sync.io/managed-keys']).toBe('[]');
    expect(await m.receiveDlq()).toStrictEqual([]);

    // Act: RestoreSecret syncs again
    await secrets(m, 'restore');
    const restored = await m.run(cloudTrailEvent('RestoreSecret', m.secretArn));

    // Assess
    expect(restored.status).toBe('SUCCEEDED');
    expect(planOf(restored)).toMatchObject({ action: 'update', added: ['password', 'username'] });
    expect(Object.keys((await secretOf(m)).body.data).sort()).toStrictEqual(['password', 'theirs', 'username']);
  });

  it('deletes the whole Secret when it created it and no other keys remain, and RestoreSecret creates it again', async () => {
    // Prepare
    const m = await mapping({ deletionPolicy: 'delete' });
    const created = await synced(m);
    expect(created.metadata.annotations['eks-secret-sync.io/created-by']).toBe('eks-secret-sync');
    await secrets(m, 'delete');

    // Act
    const r = await m.run(cloudTrailEvent('DeleteSecret', m.secretArn));

    // Assess
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({ action: 'delete-secret', pruned: ['password', 'username'] });
    expect((await secretOf(m)).status).toBe(404);

    // Act: a duplicate delivery of the same event finds nothing to delete
    const again = await m.run(cloudTrailEvent('DeleteSecret', m.secretArn));
    expect(again.error).toBeUndefined();
    expect(again.status).toBe('SUCCEEDED');
    expect(planOf(again)).toMatchObject({ action: 'none' });

    // Act: RestoreSecret
    await secrets(m, 'restore');
    const restored = await m.run(cloudTrailEvent('RestoreSecret', m.secretArn));

    // Assess
    expect(restored.error).toBeUndefined();
    expect(restored.status).toBe('SUCCEEDED');
    expect(planOf(restored)).toMatchObject({ action: 'create' });
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data).toStrictEqual(created.data);
    expect(await m.receiveDlq()).toStrictEqual([]);
  });

  it('keeps a Secret it did not create (adopted), removing only its keys', async () => {
    // Prepare: the Secret exists before the first sync, with no other keys
    const m = await mapping({ deletionPolicy: 'delete' });
    const made = await kube(adminToken(), 'POST', `/api/v1/namespaces/${m.namespace}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: m.secretName },
      data: {},
    });
    expect(made.status).toBe(201);
    await synced(m);
    await secrets(m, 'delete');

    // Act
    const r = await m.run(cloudTrailEvent('DeleteSecret', m.secretArn));

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({ action: 'delete-keys' });
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data ?? {}).toStrictEqual({});
  });

  it('does not delete for a DeleteSecret event delivered after the secret was restored', async () => {
    // Prepare: deleted and restored before the DeleteSecret event arrives
    const m = await mapping({ deletionPolicy: 'delete' });
    const before = await synced(m);
    await secrets(m, 'delete');
    await secrets(m, 'restore');

    // Act
    const r = await m.run(cloudTrailEvent('DeleteSecret', m.secretArn));

    // Assess: a normal sync of AWSCURRENT, which finds the Secret in step
    expect(r.status).toBe('SUCCEEDED');
    expect(
      r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output.fetched.source
        .deleted,
    ).toBeUndefined();
    expect(planOf(r)).toMatchObject({ action: 'none' });
    const s = await secretOf(m);
    expect(s.body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(s.body.data).toStrictEqual(before.data);
  });

  it('sends a DeleteSecret event of another secret to the DLQ and writes nothing', async () => {
    const m = await mapping({ deletionPolicy: 'delete' });
    await synced(m);
    const other = m.secretArn.replace(/-[A-Za-z0-9]{6}$/, '-two-ZzZzZz');
    const r = await m.run(cloudTrailEvent('DeleteSecret', other));
    expect(r.status).toBe('FAILED');
    const [msg] = await m.receiveDlq();
    expect(msg).toMatchObject({ failedStep: 'FetchSecret', error: 'InvalidInputError' });
    expect((await secretOf(m)).status).toBe(200);
  });
});

describe('RBAC of the deletion policy', () => {
  it('grants delete on the one Secret only to a delete-policy mapping: a retain-policy identity gets 403 on DELETE', async () => {
    // Prepare: one Secret per policy, each mapping with its own identity, group and Role
    const retain = await mapping();
    const del = await mapping({ deletionPolicy: 'delete' });
    await synced(retain);
    await synced(del);
    await kube(adminToken(), 'POST', `/api/v1/namespaces/${del.namespace}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'someone-elses' },
    });
    const [retainToken, delToken] = [await retain.token(), await del.token()];

    // Act
    const denied = await kube(retainToken, 'DELETE', secretPath(retain));
    const otherName = await kube(delToken, 'DELETE', secretPath(del, 'someone-elses'));
    const allowed = await kube(delToken, 'DELETE', secretPath(del));

    // Assess
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain(
      `cannot delete resource "secrets" in API group "" in the namespace "${retain.namespace}"`,
    );
    expect((await secretOf(retain)).status).toBe(200);
    expect(otherName.status).toBe(403);
    expect(allowed.status).toBe(200);
    expect((await secretOf(del)).status).toBe(404);
  });
});

describe('secret material', () => {
  it('never reaches the logs, any state, DLQ messages or errors', () => {
    const everything = mappings.map((m) => m.captured()).join('\n');
    expect(everything).toContain('scheduled for deletion');
    expectNoSecretMaterial(everything, [CANARY]);
  });
});
