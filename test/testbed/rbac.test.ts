// Pins down, on the real kube-apiserver, the RBAC facts the design rests on
// (docs/kubernetes-facts.md records what these tests showed).
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { adminApply, adminToken, createNamespace, kube, tokenFor } from '../support/kube.ts';

const SECRET = 'app-config';

function secret(namespace: string, name: string, data: Record<string, string> = { k: 'dg==' }) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data };
}

/** A namespaced Role limited to one Secret by name, bound to the sync identity's group. */
function oneSecretRbac(namespace: string, name: string, verbs: string[], roleName = 'eks-secret-sync') {
  const group = inject('testbed').identities.sync.groups![0]!;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: roleName, namespace },
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [name], verbs }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: roleName, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    },
  ];
}

async function accessReview(namespace: string, verb: string, name?: string): Promise<boolean> {
  const id = inject('testbed').identities.sync;
  const r = await kube(adminToken(), 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: id.username,
      groups: [...id.groups!, 'system:authenticated'],
      resourceAttributes: { namespace, verb, group: '', resource: 'secrets', name },
    },
  });
  expect(r.status).toBe(201);
  return r.body.status.allowed === true;
}

describe('a Role with resourceNames on one Secret', () => {
  let ns: string;
  let otherNs: string;
  let token: string;

  beforeAll(async () => {
    ns = await createNamespace('rbac');
    otherNs = await createNamespace('rbac-other');
    await adminApply([
      secret(ns, SECRET),
      secret(ns, 'someone-elses'),
      secret(otherNs, SECRET),
      ...oneSecretRbac(ns, SECRET, ['get', 'update', 'patch']),
    ]);
    token = await tokenFor('sync');
  });

  it('allows get, update and patch of that Secret', async () => {
    const got = await kube(token, 'GET', `/api/v1/namespaces/${ns}/secrets/${SECRET}`);
    expect(got.status).toBe(200);
    const put = await kube(token, 'PUT', `/api/v1/namespaces/${ns}/secrets/${SECRET}`, {
      ...got.body,
      data: { k: 'dXBkYXRlZA==' },
    });
    expect(put.status).toBe(200);
    const patch = await kube(
      token,
      'PATCH',
      `/api/v1/namespaces/${ns}/secrets/${SECRET}`,
      { data: { extra: 'eA==' } },
      'application/merge-patch+json',
    );
    expect(patch.status).toBe(200);
    expect(patch.body.data).toEqual({ k: 'dXBkYXRlZA==', extra: 'eA==' });
  });

  it.each([
    ['get another Secret in the namespace', 'GET', () => `/api/v1/namespaces/${ns}/secrets/someone-elses`],
    ['get the same name in another namespace', 'GET', () => `/api/v1/namespaces/${otherNs}/secrets/${SECRET}`],
    ['list Secrets in the namespace', 'GET', () => `/api/v1/namespaces/${ns}/secrets`],
    ['watch Secrets in the namespace', 'GET', () => `/api/v1/namespaces/${ns}/secrets?watch=1&timeoutSeconds=1`],
    [
      'watch that one Secret by field selector',
      'GET',
      () => `/api/v1/namespaces/${ns}/secrets?watch=1&fieldSelector=metadata.name%3D${SECRET}&timeoutSeconds=1`,
    ],
    ['delete that Secret', 'DELETE', () => `/api/v1/namespaces/${ns}/secrets/${SECRET}`],
    ['create any Secret with POST', 'POST', () => `/api/v1/namespaces/${ns}/secrets`],
  ])('refuses to %s (403)', async (_what, method, path) => {
    const body = method === 'POST' ? secret(ns, SECRET) : undefined;
    const r = await kube(token, method, path(), body);
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe('Forbidden');
    expect(r.body.message).toContain(inject('testbed').identities.sync.username);
  });

  it.each([
    ['get', SECRET, true],
    ['update', SECRET, true],
    ['patch', SECRET, true],
    ['get', 'someone-elses', false],
    ['delete', SECRET, false],
    ['list', undefined, false],
    ['watch', undefined, false],
    ['create', undefined, false],
    ['create', SECRET, false],
  ] as const)('SubjectAccessReview agrees: %s %s -> allowed=%s', async (verb, name, allowed) => {
    expect(await accessReview(ns, verb, name)).toBe(allowed);
  });
});

describe('creating the Secret the first time under least privilege', () => {
  it('POST is denied even when the rule lists create with resourceNames', async () => {
    const ns = await createNamespace('create-post');
    await adminApply(oneSecretRbac(ns, SECRET, ['get', 'create', 'update', 'patch']));
    const r = await kube(await tokenFor('sync'), 'POST', `/api/v1/namespaces/${ns}/secrets`, secret(ns, SECRET));
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('cannot create resource "secrets"');
  });

  it('server-side apply creates exactly that Secret with create+patch limited by resourceNames', async () => {
    const ns = await createNamespace('create-ssa');
    await adminApply(oneSecretRbac(ns, SECRET, ['get', 'create', 'update', 'patch']));
    const token = await tokenFor('sync');
    const apply = (name: string) =>
      kube(
        token,
        'PATCH',
        `/api/v1/namespaces/${ns}/secrets/${name}?fieldManager=eks-secret-sync`,
        secret(ns, name),
        'application/apply-patch+yaml',
      );
    const created = await apply(SECRET);
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ k: 'dg==' });
    const other = await apply('not-mine');
    expect(other.status).toBe(403);
    expect(await accessReview(ns, 'create', SECRET)).toBe(true);
  });

  it('server-side apply without create is denied for a Secret that does not exist', async () => {
    const ns = await createNamespace('create-nocreate');
    await adminApply(oneSecretRbac(ns, SECRET, ['get', 'update', 'patch']));
    const r = await kube(
      await tokenFor('sync'),
      'PATCH',
      `/api/v1/namespaces/${ns}/secrets/${SECRET}?fieldManager=eks-secret-sync`,
      secret(ns, SECRET),
      'application/apply-patch+yaml',
    );
    expect(r.status).toBe(403);
  });
});
