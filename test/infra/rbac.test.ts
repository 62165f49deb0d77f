import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubernetesGroup, rbacManifests, rbacName, rbacYaml } from '../../infra/rbac.ts';

const mapping = { id: 'payments', namespace: 'pay', secretName: 'payments-db' };
const labels = { 'app.kubernetes.io/managed-by': 'eks-secret-sync', 'eks-secret-sync.io/mapping': 'payments' };

describe('rbacManifests', () => {
  it('grants the mapping\'s group get, create (server-side apply), update and patch on its one Secret', () => {
    expect(rbacManifests(mapping)).toStrictEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'eks-secret-sync-payments', namespace: 'pay', labels },
        rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs: ['get', 'create', 'update', 'patch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'eks-secret-sync-payments', namespace: 'pay', labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-secret-sync-payments' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'eks-secret-sync:payments' }],
      },
    ]);
  });

  it('binds the same group the access entry maps the identity to', () => {
    const [, binding] = rbacManifests(mapping);
    expect((binding.subjects as { name: string }[])[0]!.name).toBe(kubernetesGroup('payments'));
    expect(rbacName('payments')).toBe('eks-secret-sync-payments');
  });
});

describe('rbacYaml', () => {
  it('is a multi-document stream of exactly the manifests, ready for kubectl apply -f -', () => {
    const text = rbacYaml(mapping);
    expect(text.startsWith('---\n')).toBe(true);
    const docs = parseAllDocuments(text);
    expect(docs.map((d) => d.errors)).toStrictEqual([[], []]);
    expect(docs.map((d) => d.toJS())).toStrictEqual(rbacManifests(mapping));
  });
});
