// Adopting a Secret External Secrets Operator owns, on the real apiserver with ESO's own ExternalSecret CRD
// (fetched from the Go module proxy on first use): without `adopt` the sync refuses it by name and writes
// nothing; with `adopt` the first write removes the ownerReference, takes the keys under this tool's field
// manager and keeps the keys it does not manage. The steps are those of docs/migrating-from-eso.md. ESO's
// controller does not run: the Secret is written as it writes one (ownerReference with controller: true, its
// field manager), and the guide's step 2 (creationPolicy Orphan, refreshInterval "0") is applied to the
// ExternalSecret but has no controller to obey it. The garbage collector runs (testbed/testbed.ts's
// TESTBED_CONTROLLERS): deleting the ExternalSecret leaves the adopted Secret, and deletes a Secret it still owns
// (the control).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataShape } from '../../functions/domain/shape.ts';
import { EXTERNAL_SECRET_API_VERSION, externalSecretCrd } from '../../testbed/eso-crds.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { secretOf } from '../support/fault-matrix.ts';
import { adminToken, kube } from '../support/kube.ts';
import { stepResults, TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-3c7e20-adoption-do-not-log';
const ESO_VALUE = `${CANARY}-eso`;
const AWS_VALUE = `${CANARY}-aws`;
const OTHER_VALUE = `${CANARY}-other`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const mappings: LocalMapping[] = [];
const SHAPE: DataShape = { data: { DB_PASSWORD: { from: 'password' } }, includeOtherKeys: false };
const ESO_MANAGER = 'external-secrets';

beforeAll(async () => {
  const crd = externalSecretCrd();
  const r = await kube(adminToken(), 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  expect([201, 409], JSON.stringify(r.body).slice(0, 300)).toContain(r.status);
  for (let i = 0; i < 100; i++) {
    const list = await kube(adminToken(), 'GET', `/apis/${EXTERNAL_SECRET_API_VERSION}/externalsecrets`);
    if (list.status === 200) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the ExternalSecret CRD was not served within 10 s');
}, 120_000);

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

/** A mapping whose target Secret ESO already wrote: an ExternalSecret and the Secret it owns. */
async function esoOwned(adopt: boolean) {
  const m = await TestMapping.create({
    secretString: JSON.stringify({ password: AWS_VALUE }),
    dataShape: SHAPE,
    adopt,
  });
  mappings.push(m);
  const es = await kube(
    adminToken(),
    'POST',
    `/apis/${EXTERNAL_SECRET_API_VERSION}/namespaces/${m.namespace}/externalsecrets`,
    {
      apiVersion: EXTERNAL_SECRET_API_VERSION,
      kind: 'ExternalSecret',
      metadata: { name: m.secretName, namespace: m.namespace },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'SecretStore', name: 'aws' },
        target: { name: m.secretName, creationPolicy: 'Owner' },
        data: [{ secretKey: 'DB_PASSWORD', remoteRef: { key: 'app/db', property: 'password' } }],
      },
    },
  );
  expect(es.status, JSON.stringify(es.body).slice(0, 300)).toBe(201);
  const owner = {
    apiVersion: EXTERNAL_SECRET_API_VERSION,
    kind: 'ExternalSecret',
    name: m.secretName,
    uid: es.body.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: m.secretName,
      namespace: m.namespace,
      ownerReferences: [owner],
      labels: { 'reconcile.external-secrets.io/managed': 'true' },
      annotations: { 'reconcile.external-secrets.io/data-hash': 'f00d' },
    },
    type: 'Opaque',
    data: { DB_PASSWORD: b64(ESO_VALUE), OTHER: b64(OTHER_VALUE) },
  };
  const path = `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}?fieldManager=${ESO_MANAGER}`;
  const w = await kube(adminToken(), 'PATCH', path, secret, 'application/apply-patch+yaml');
  expect(w.status, JSON.stringify(w.body).slice(0, 300)).toBe(201);
  return { m, owner };
}

/** ReadSecret's plan (it reads and plans: the observation stays in the function, the plan's `adopt` says it). */
function planOf(r: ExecutionRecord) {
  return stepResults(r, 'ReadSecret')[0];
}

const managersOf = (s: any, key: string): string[] =>
  (s.metadata.managedFields ?? [])
    .filter((f: any) => f.fieldsV1?.['f:data']?.[`f:${key}`] !== undefined)
    .map((f: any) => `${f.manager}/${f.operation}`)
    .sort();

describe('adopting a Secret External Secrets Operator owns', () => {
  it('refuses it without adopt, naming the owner in the DLQ, and writes nothing', async () => {
    const { m } = await esoOwned(false);
    const before = (await secretOf(m)).body;

    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    expect(r.status).toBe('FAILED');
    const [msg, ...rest] = await m.receiveDlq();
    expect(rest).toHaveLength(0);
    expect(msg).toMatchObject({ mappingId: m.id, failedStep: 'ReadSecret', error: 'ForeignOwnerError' });
    expect(JSON.parse(msg.cause).errorMessage).toContain(
      `owned by another controller, ExternalSecret "${m.secretName}"`,
    );
    const after = (await secretOf(m)).body;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('takes it over with adopt: owner removed, keys under its field manager, other keys and metadata kept', async () => {
    const { m, owner } = await esoOwned(true);
    // The guide's step 2, as it is written: creationPolicy Orphan and refreshInterval "0" on the ExternalSecret,
    // accepted by ESO's own schema (what ESO's controller then does: docs/migrating-from-eso.md).
    const esPath = `/apis/${EXTERNAL_SECRET_API_VERSION}/namespaces/${m.namespace}/externalsecrets/${m.secretName}`;
    const stop = await kube(
      adminToken(),
      'PATCH',
      esPath,
      { spec: { refreshInterval: '0', target: { creationPolicy: 'Orphan' } } },
      'application/merge-patch+json',
    );
    expect(stop.status, JSON.stringify(stop.body).slice(0, 300)).toBe(200);
    expect(stop.body.spec.refreshInterval).toBe('0');
    expect(stop.body.spec.target).toMatchObject({ name: m.secretName, creationPolicy: 'Orphan' });

    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    expect(r.status).toBe('SUCCEEDED');
    // The owner read and the keys taken from ESO's field manager, as the plan ReadSecret made from what it read.
    expect(planOf(r).adopt).toEqual({
      removedOwners: [
        { apiVersion: owner.apiVersion, kind: 'ExternalSecret', name: owner.name, uid: owner.uid, controller: true },
      ],
      takeKeys: ['DB_PASSWORD'],
    });
    const s = (await secretOf(m)).body;
    expect(s.metadata.ownerReferences).toBeUndefined();
    expect(s.data).toEqual({ DB_PASSWORD: b64(AWS_VALUE), OTHER: b64(OTHER_VALUE) });
    // The merge patch that changed the value (Update) and the forced apply (Apply): this tool's managers only.
    expect(managersOf(s, 'DB_PASSWORD')).toEqual(['eks-secret-sync/Apply', 'eks-secret-sync/Update']);
    expect(managersOf(s, 'OTHER')).toEqual([`${ESO_MANAGER}/Apply`]);
    expect(s.metadata.labels['reconcile.external-secrets.io/managed']).toBe('true');
    expect(s.metadata.annotations['reconcile.external-secrets.io/data-hash']).toBe('f00d');

    const again = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Scheduled sync' });
    expect(again.status).toBe('SUCCEEDED');
    // Nothing left to take: no owner, no other manager of a desired key.
    expect(planOf(again)).toMatchObject({ action: 'none' });
    expect(planOf(again).adopt).toBeUndefined();
    expect(await m.receiveDlq()).toEqual([]);
  });

  it('adopts when ESO wrote the same value (a merge patch alone would not move the key)', async () => {
    const { m } = await esoOwned(true);
    await m.putSecret({ secretString: JSON.stringify({ password: ESO_VALUE }) });

    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    expect(r.status).toBe('SUCCEEDED');
    const s = (await secretOf(m)).body;
    expect(s.data.DB_PASSWORD).toBe(b64(ESO_VALUE));
    expect(managersOf(s, 'DB_PASSWORD')).toEqual(['eks-secret-sync/Apply']);
  });

  it('keeps the adopted Secret and its values when the ExternalSecret is deleted (garbage collector on)', async () => {
    // Both Secrets ESO owns; only the first is adopted. Then both ExternalSecrets are deleted.
    const adopted = await esoOwned(true);
    const control = await esoOwned(false);
    const r = await adopted.m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    expect(r.status).toBe('SUCCEEDED');
    for (const { m } of [adopted, control]) {
      const path = `/apis/${EXTERNAL_SECRET_API_VERSION}/namespaces/${m.namespace}/externalsecrets/${m.secretName}`;
      const d = await kube(adminToken(), 'DELETE', path);
      expect(d.status, JSON.stringify(d.body).slice(0, 300)).toBe(200);
    }
    // The control: the garbage collector deletes the Secret still owned by its deleted ExternalSecret (it learns a
    // new CRD by discovery, every 30 s), so the check below is made with the collector at work, not absent.
    let gone = false;
    for (let i = 0; i < 180 && !gone; i++) {
      gone = (await secretOf(control.m)).status === 404;
      if (!gone) await new Promise((res) => setTimeout(res, 500));
    }
    expect(gone, 'the garbage collector deleted the Secret the ExternalSecret still owned').toBe(true);
    const s = await secretOf(adopted.m);
    expect(s.status).toBe(200);
    expect(s.body.data).toEqual({ DB_PASSWORD: b64(AWS_VALUE), OTHER: b64(OTHER_VALUE) });
  }, 120_000);

  it('never lets a value reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [ESO_VALUE, AWS_VALUE, OTHER_VALUE], 500);
  });
});
