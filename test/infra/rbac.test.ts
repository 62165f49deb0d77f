import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubernetesGroup, rbacManifests, rbacName, rbacYaml, restartRules, secretVerbs } from '../../infra/rbac.ts';

const mapping = { id: 'payments', namespace: 'pay', secretName: 'payments-db' };
const labels = { 'app.kubernetes.io/managed-by': 'eks-secret-sync', 'eks-secret-sync.io/mapping': 'payments' };

describe('rbacManifests', () => {
  it("grants the mapping's group get, create (server-side apply) and patch on its one Secret, and no update", () => {
    expect(rbacManifests(mapping)).toStrictEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'eks-secret-sync-payments', namespace: 'pay', labels },
        rules: [
          {
            apiGroups: [''],
            resources: ['secrets'],
            resourceNames: ['payments-db'],
            verbs: ['get', 'create', 'patch'],
          },
        ],
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

describe('the delete verb', () => {
  it.each([
    [undefined, ['get', 'create', 'patch']],
    ['retain', ['get', 'create', 'patch']],
    ['delete', ['get', 'create', 'patch', 'delete']],
  ] as const)('is granted on the one Secret only for deletionPolicy delete (policy %s)', (deletionPolicy, verbs) => {
    const [role] = rbacManifests({ ...mapping, ...(deletionPolicy && { deletionPolicy }) });
    expect(role.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs },
    ]);
    expect(secretVerbs(deletionPolicy)).toStrictEqual(verbs);
  });
});

describe('restartRules', () => {
  it('adds nothing without restart', () => {
    expect(restartRules([])).toStrictEqual([]);
    expect((rbacManifests({ ...mapping, restart: [] })[0].rules as unknown[]).length).toBe(1);
  });

  it('grants only patch in apps on exactly the listed names, one rule per kind so names never cross kinds', () => {
    expect(
      restartRules(['statefulset/db', 'deployment/web', 'daemonset/agent', 'deployment/api', 'deployment/api']),
    ).toStrictEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api', 'web'], verbs: ['patch'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['db'], verbs: ['patch'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['agent'], verbs: ['patch'] },
    ]);
  });

  it("puts the rules in the mapping's one Role, after the Secret's", () => {
    const [role, binding] = rbacManifests({ ...mapping, restart: ['deployment/api'] });
    expect(role.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api'], verbs: ['patch'] },
    ]);
    expect(binding).toStrictEqual(rbacManifests(mapping)[1]);
  });

  it.each(['job/x', 'deployment/', 'deployment/Api', 'api'])('refuses %j, which is not a workload', (ref) => {
    expect(() => restartRules([ref])).toThrow(
      /is not a workload; expected deployment\/<name>, statefulset\/<name> or daemonset\/<name>/,
    );
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

describe('rbacYaml with restart', () => {
  it('carries the restart rules in the Role document', () => {
    const m = { ...mapping, restart: ['daemonset/agent'] };
    expect(parseAllDocuments(rbacYaml(m)).map((d) => d.toJS())).toStrictEqual(rbacManifests(m));
  });
});
