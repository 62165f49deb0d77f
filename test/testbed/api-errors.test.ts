// The apiserver's answers the adapters translate: 409 on a stale
// resourceVersion and 422 on a key Kubernetes refuses (bodies recorded in
// docs/kubernetes-facts.md).
import { beforeAll, describe, expect, it } from 'vitest';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';

describe('optimistic concurrency and validation', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('errors');
    await adminApply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: ns }, data: { a: 'YQ==' } },
    ]);
  });

  it.each([
    ['PUT', 'application/json'],
    ['PATCH', 'application/merge-patch+json'],
  ])('answers 409 Conflict to a %s carrying a stale resourceVersion', async (method, contentType) => {
    const path = `/api/v1/namespaces/${ns}/secrets/s`;
    const before = await kube(adminToken(), 'GET', path);
    const stale = before.body.metadata.resourceVersion;
    const bump = await kube(
      adminToken(),
      'PATCH',
      path,
      { data: { b: Buffer.from(method).toString('base64') } },
      'application/merge-patch+json',
    );
    expect(bump.status).toBe(200);
    const body =
      method === 'PUT'
        ? { ...before.body, data: { a: 'Yw==' } }
        : { metadata: { resourceVersion: stale }, data: { a: 'Yw==' } };
    const r = await kube(adminToken(), method, path, body, contentType);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      details: { name: 's', kind: 'secrets' },
    });
    expect(r.body.message).toBe(
      'Operation cannot be fulfilled on secrets "s": the object has been modified; please apply your changes to the ' +
        'latest version and try again',
    );
    const after = await kube(adminToken(), 'GET', path);
    expect(after.body.data.a).toBe('YQ==');
  });

  it('answers 422 Invalid naming the field when a data key is outside [-._a-zA-Z0-9]+', async () => {
    const r = await kube(
      adminToken(),
      'PATCH',
      `/api/v1/namespaces/${ns}/secrets/s`,
      { data: { 'bad key!': 'eA==' } },
      'application/merge-patch+json',
    );
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(r.body.details.causes).toContainEqual({
      reason: 'FieldValueInvalid',
      message:
        "Invalid value: \"bad key!\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' " +
        "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      field: 'data[bad key!]',
    });
  });

  it('answers 404 NotFound with a Status body for a Secret in a missing namespace', async () => {
    const r = await kube(adminToken(), 'GET', '/api/v1/namespaces/does-not-exist/secrets/s');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      details: { name: 's', kind: 'secrets' },
    });
  });
});
