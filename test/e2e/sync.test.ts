// The pipeline end to end: the deployed ASL, the synthesized bundles, moto and
// the real kube-apiserver. Every scenario checks the Secret on the apiserver.
import { afterAll, describe, expect, it } from 'vitest';
import { adminToken, kube } from '../support/kube.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { stepResults, TestMapping, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-7f3a9c-do-not-log';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const mappings: LocalMapping[] = [];

async function mapping(opts: Parameters<typeof TestMapping.create>[0]) {
  const m = await TestMapping.create(opts);
  mappings.push(m);
  return m;
}

async function secretOf(m: LocalMapping) {
  return kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('sync pipeline on the test bed', () => {
  it('creates the Secret with every key, labels and source annotations when it does not exist', async () => {
    const m = await mapping({
      secretString: JSON.stringify({ username: 'app', password: `${CANARY}-1`, port: 5432 }),
      labels: { team: 'payments' },
    });
    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    expect(r.status).toBe('SUCCEEDED');
    const s = await secretOf(m);
    expect(s.status).toBe(200);
    expect(s.body.data).toEqual({ username: b64('app'), password: b64(`${CANARY}-1`), port: b64('5432') });
    expect(s.body.type).toBe('Opaque');
    expect(s.body.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'eks-secret-sync',
      team: 'payments',
    });
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-arn']).toBe(m.secretArn);
    const plan = stepResults(r, 'ReadSecret')[0];
    expect(plan).toMatchObject({ action: 'create', added: ['password', 'port', 'username'] });
  });

  it('updates changed keys, keeps keys others wrote, and skips the write when nothing changed', async () => {
    const m = await mapping({ secretString: JSON.stringify({ a: '1', b: `${CANARY}-2` }) });
    expect((await m.run({})).status).toBe('SUCCEEDED');
    const patched = await kube(
      adminToken(),
      'PATCH',
      `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
      { data: { theirs: b64('x') } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    await pause(1100); // Secrets Manager dates have one-second precision
    const v2 = await m.putSecret({ secretString: JSON.stringify({ a: '1', b: `${CANARY}-3`, c: 'new' }) });
    const r = await m.run(m.labelEvent(v2));
    expect(r.status).toBe('SUCCEEDED');
    const s = await secretOf(m);
    expect(s.body.data).toEqual({ a: b64('1'), b: b64(`${CANARY}-3`), c: b64('new'), theirs: b64('x') });
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(v2);
    const plan = stepResults(r, 'ReadSecret')[0];
    expect(plan).toMatchObject({
      action: 'update',
      added: ['c'],
      updated: ['b'],
      unchanged: ['a'],
      kept: { count: 1, names: ['theirs'] },
    });

    const again = await m.run(m.labelEvent(v2));
    expect(again.status).toBe('SUCCEEDED');
    expect(again.events.some((e) => e.type === 'StateEntered' && e.state.name === 'ApplySecret')).toBe(false);
    expect((await secretOf(m)).body.metadata.resourceVersion).toBe(s.body.metadata.resourceVersion);
  });

  it('prunes keys it wrote earlier that the source dropped, never keys others wrote', async () => {
    const m = await mapping({ secretString: JSON.stringify({ keep: '1', drop: '2' }), prune: true });
    expect((await m.run({})).status).toBe('SUCCEEDED');
    await kube(
      adminToken(),
      'PATCH',
      `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
      { data: { theirs: b64('x') } },
      'application/merge-patch+json',
    );
    await pause(1100);
    const v2 = await m.putSecret({ secretString: JSON.stringify({ keep: '1' }) });
    expect((await m.run(m.labelEvent(v2))).status).toBe('SUCCEEDED');
    expect((await secretOf(m)).body.data).toEqual({ keep: b64('1'), theirs: b64('x') });
  });

  it('wraps a non-object secret as `value` and keeps binary bytes unchanged', async () => {
    const bytes = new Uint8Array([0, 255, 1, 254, 10]);
    const m = await mapping({ secretBinary: bytes });
    expect((await m.run({})).status).toBe('SUCCEEDED');
    expect((await secretOf(m)).body.data).toEqual({ value: Buffer.from(bytes).toString('base64') });
  });

  it('re-reads and merges again when another writer changes the Secret between read and apply', async () => {
    const m = await mapping({ secretString: JSON.stringify({ a: '1' }) });
    expect((await m.run({})).status).toBe('SUCCEEDED');
    await pause(1100);
    const v2 = await m.putSecret({ secretString: JSON.stringify({ a: '2' }) });
    const apply = m.functions.ApplySecret;
    const original = apply.invoke.bind(apply);
    let interfered = false;
    apply.invoke = async (input) => {
      if (!interfered) {
        interfered = true;
        const w = await kube(
          adminToken(),
          'PATCH',
          `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
          { data: { concurrent: b64('y') } },
          'application/merge-patch+json',
        );
        expect(w.status).toBe(200);
      }
      return original(input);
    };
    const r = await m.run(m.labelEvent(v2));
    apply.invoke = original;
    expect(r.status).toBe('SUCCEEDED');
    expect(r.events.filter((e) => e.type === 'StateEntered' && e.state.name === 'ReadSecret')).toHaveLength(2);
    expect((await secretOf(m)).body.data).toEqual({ a: b64('2'), concurrent: b64('y') });
  });

  it('ignores an older version that arrives late', async () => {
    const m = await mapping({ secretString: JSON.stringify({ a: 'v1' }) });
    const v1 = (await m.run({})).events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state
      .output.fetched.source.versionId;
    await pause(1100);
    const v2 = await m.putSecret({ secretString: JSON.stringify({ a: 'v2' }) });
    expect((await m.run(m.labelEvent(v2))).status).toBe('SUCCEEDED');
    const late = await m.run(m.labelEvent(v1));
    expect(late.status).toBe('SUCCEEDED');
    const plan = late.events.find((e) => e.type === 'StateExited' && e.state.name === 'ReadSecret').state.output.write
      .plan;
    expect(plan.action).toBe('skip-stale');
    const s = await secretOf(m);
    expect(s.body.data).toEqual({ a: b64('v2') });
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(v2);
  });

  it('sends a sync with a key Kubernetes refuses to the DLQ, naming every bad key, and writes nothing', async () => {
    const m = await mapping({
      secretString: JSON.stringify({ 'bad key!': `${CANARY}-4`, 'also/bad': 'x', good: 'y' }),
    });
    const r = await m.run({ source: 'test' });
    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('InvalidInputError');
    const [msg, ...rest] = await m.receiveDlq();
    expect(rest).toHaveLength(0);
    expect(msg).toMatchObject({
      mappingId: m.id,
      failedStep: 'FetchSecret',
      error: 'InvalidInputError',
      event: { source: 'test' },
      attempt: 1,
    });
    expect(msg.executionId).toMatch(/^arn:aws:states:us-east-1:123456789012:express:/);
    expect(JSON.parse(msg.cause).errorMessage).toMatch(/"also\/bad".*"bad key!"|"bad key!".*"also\/bad"/s);
    expect((await secretOf(m)).status).toBe(404);
  });

  it('sends an RBAC denial to the DLQ naming the identity, the verb and the Secret', async () => {
    const m = await mapping({ secretString: JSON.stringify({ a: '1' }), noRbac: true });
    const r = await m.run({});
    expect(r.status).toBe('FAILED');
    const [msg] = await m.receiveDlq();
    expect(msg).toMatchObject({ failedStep: 'ReadSecret', error: 'PermissionDeniedError' });
    const message = JSON.parse(msg.cause).errorMessage as string;
    expect(message).toContain(`may not get Secret ${m.namespace}/${m.secretName}`);
    expect(message).toContain(`assumed-role/${m.identity.roleArn.split('/').at(-1)}/testbed`);
  });

  it('never lets a value or a token reach logs, state, DLQ messages or errors', async () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
