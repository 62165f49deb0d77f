import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { restartPatch } from '../../functions/domain/restart.ts';
import {
  accessManifests,
  kubernetesGroup,
  namespaceGrants,
  rbacManifests,
  rbacName,
  rbacYaml,
  restartRules,
  secretVerbs,
  type RbacObject,
} from '../../infra/model/rbac.ts';
import { appKey, type AppScope } from '../../infra/model/kube-names.ts';
import {
  ADMISSION_API_VERSION,
  RESTART_ANNOTATIONS,
  restartPolicyManifests,
  restartPolicyMessage,
  restartPolicyName,
  type AdmissionObject,
} from '../../infra/model/restart-policy.ts';

const mapping = { id: 'payments', namespace: 'pay', secretName: 'payments-db' };
const app: AppScope = { appName: 'EksSecretSync', account: '111122223333', region: 'us-east-1' };
const key = appKey(app);
const labels = {
  'app.kubernetes.io/managed-by': 'eks-secret-sync',
  'eks-secret-sync.io/mapping': 'payments',
  'eks-secret-sync.io/app': key,
};
const annotations = { 'eks-secret-sync.io/app-name': 'EksSecretSync (111122223333, us-east-1)' };

describe('rbacManifests', () => {
  it("grants the mapping's group get, create (server-side apply) and patch on its one Secret, and no update", () => {
    expect(rbacManifests(mapping, app)).toStrictEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: `eks-secret-sync-${key}-payments`, namespace: 'pay', labels, annotations },
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
        metadata: { name: `eks-secret-sync-${key}-payments`, namespace: 'pay', labels, annotations },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `eks-secret-sync-${key}-payments` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `eks-secret-sync:${key}:payments` }],
      },
    ]);
  });

  it('binds the same group the access entry maps the identity to', () => {
    const [, binding] = rbacManifests(mapping, app);
    expect((binding.subjects as { name: string }[])[0]!.name).toBe(kubernetesGroup(app, 'payments'));
    expect(rbacName(app, 'payments')).toBe(`eks-secret-sync-${key}-payments`);
  });
});

describe('the delete verb', () => {
  it.each([
    [undefined, ['get', 'create', 'patch']],
    ['retain', ['get', 'create', 'patch']],
    ['delete', ['get', 'create', 'patch', 'delete']],
  ] as const)('is granted on the one Secret only for deletionPolicy delete (policy %s)', (deletionPolicy, verbs) => {
    const [role] = rbacManifests({ ...mapping, ...(deletionPolicy && { deletionPolicy }) }, app);
    expect(role.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs },
    ]);
    expect(secretVerbs(deletionPolicy)).toStrictEqual(verbs);
  });
});

describe('restartRules', () => {
  it('adds nothing without restart', () => {
    expect(restartRules([])).toStrictEqual([]);
    expect((rbacManifests({ ...mapping, restart: [] }, app)[0].rules as unknown[]).length).toBe(1);
  });

  it('grants only get and patch in apps on exactly the listed names, one rule per kind so names never cross kinds', () => {
    expect(
      restartRules(['statefulset/db', 'deployment/web', 'daemonset/agent', 'deployment/api', 'deployment/api']),
    ).toStrictEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api', 'web'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['db'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['agent'], verbs: ['get', 'patch'] },
    ]);
  });

  it("puts the rules in the mapping's one Role, after the Secret's", () => {
    const [role, binding] = rbacManifests({ ...mapping, restart: ['deployment/api'] }, app);
    expect(role.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api'], verbs: ['get', 'patch'] },
    ]);
    expect(binding).toStrictEqual(rbacManifests(mapping, app)[1]);
  });

  it.each(['job/x', 'deployment/', 'deployment/Api', 'api'])('refuses %j, which is not a workload', (ref) => {
    expect(() => restartRules([ref])).toThrow(
      /is not a workload; expected deployment\/<name>, statefulset\/<name> or daemonset\/<name>/,
    );
  });
});

describe('rbacYaml', () => {
  it('is a multi-document stream of exactly the manifests, ready for kubectl apply -f -', () => {
    const text = rbacYaml(mapping, app);
    expect(text.startsWith('---\n')).toBe(true);
    const docs = parseAllDocuments(text);
    expect(docs.map((d) => d.errors)).toStrictEqual([[], []]);
    expect(docs.map((d) => d.toJS())).toStrictEqual(rbacManifests(mapping, app));
  });
});

describe('rbacYaml with restart', () => {
  it('carries the restart rules in the Role document, then the admission policy and its binding', () => {
    const m = { ...mapping, restart: ['daemonset/agent'] };
    const docs = parseAllDocuments(rbacYaml(m, app)).map((d) => d.toJS());
    expect(docs).toStrictEqual(accessManifests(m, app));
    expect(docs.slice(0, 2)).toStrictEqual(rbacManifests(m, app));
    expect(docs.map((d) => d.kind)).toStrictEqual([
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });
});

describe('restartPolicyManifests', () => {
  const m = { ...mapping, restart: ['deployment/api', 'statefulset/db'] };
  const [policy, binding] = accessManifests(m, app).slice(2) as AdmissionObject[];

  it('is empty for a mapping without restart: its group may patch no workload', () => {
    expect(accessManifests(mapping, app)).toStrictEqual(rbacManifests(mapping, app));
    expect(restartPolicyManifests({ ...mapping, restart: [] }, app)).toStrictEqual([]);
  });

  it("matches only the mapping's group, on every operation of the three workload kinds and their subresources", () => {
    expect(policy!.metadata.name).toBe(restartPolicyName(app, m.id));
    expect(policy!.spec).toMatchObject({
      failurePolicy: 'Fail',
      matchConditions: [
        {
          name: 'mapping-identity',
          expression: `request.userInfo.groups.exists(g, g == '${kubernetesGroup(app, m.id)}')`,
        },
      ],
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['apps'],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: ['deployments', 'deployments/*', 'statefulsets', 'statefulsets/*', 'daemonsets', 'daemonsets/*'],
          },
        ],
      },
    });
    expect(binding).toStrictEqual({
      apiVersion: ADMISSION_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: policy!.metadata,
      spec: { policyName: restartPolicyName(app, m.id), validationActions: ['Deny'] },
    });
  });

  it("allows exactly the annotations of the product's restart patch", () => {
    const written = Object.keys(restartPatch('2026-01-01T00:00:00Z', 'v1').spec.template.metadata.annotations).sort();
    expect([...RESTART_ANNOTATIONS].sort()).toStrictEqual(written);
    const allowed = (policy!.spec.variables as { name: string; expression: string }[]).find(
      (v) => v.name === 'allowed',
    );
    expect(allowed!.expression).toBe(`[${RESTART_ANNOTATIONS.map((a) => `'${a}'`).join(', ')}]`);
  });

  it('refuses with messages that name the mapping and the annotations, never a value (403 Forbidden)', () => {
    for (const v of policy!.spec.validations as { message: string; reason: string }[]) {
      expect(v.message.startsWith(`${restartPolicyMessage(m.id)}; `)).toBe(true);
      expect(v.reason).toBe('Forbidden');
    }
  });
});

describe('namespaceGrants (a mapping with several targets)', () => {
  const base = { type: 'Opaque' as const, labels: {}, annotations: {}, prune: false };
  const target = (cluster: string, namespace: string, secretName: string, more: object = {}) => ({
    cluster: { name: cluster },
    namespace,
    secretName,
    deletionPolicy: 'retain' as const,
    restart: [] as string[],
    ...base,
    ...more,
  });
  const fanned = {
    id: 'db',
    targets: [
      target('east', 'a', 'db'),
      target('east', 'b', 'db', { restart: ['deployment/api'] }),
      target('east', 'a', 'db-copy', { deletionPolicy: 'delete' }),
      target('west', 'a', 'db', { restart: ['deployment/api'] }),
    ],
  };

  it('gives each cluster one Role and one RoleBinding per namespace, naming exactly its targets there', () => {
    const grants = namespaceGrants(fanned);
    expect([...grants.keys()]).toStrictEqual(['east', 'west']);
    const east = accessManifests(grants.get('east')!, app);
    const roles = east.filter((o): o is RbacObject => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toStrictEqual(['a', 'b']);
    const bindings = east.filter((o): o is RbacObject => o.kind === 'RoleBinding');
    expect(bindings.map((r) => r.metadata.namespace)).toStrictEqual(['a', 'b']);
    expect(roles[0]!.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: secretVerbs('retain') },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['db-copy'], verbs: secretVerbs('delete') },
    ]);
    expect(roles[1]!.rules).toStrictEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: secretVerbs('retain') },
      ...restartRules(['deployment/api']),
    ]);
    // A target that restarts brings the admission policy to its cluster; each cluster gets its own pair.
    expect(east.filter((o) => o.kind === 'ValidatingAdmissionPolicy')).toHaveLength(1);
    const west = accessManifests(grants.get('west')!, app);
    expect(west.map((o) => o.kind)).toStrictEqual([
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });

  it('with failureEvents, adds create on events (no names: RBAC cannot name a create) to each namespace of it', () => {
    const grants = namespaceGrants({ ...fanned, failureEvents: true });
    for (const cluster of ['east', 'west']) {
      const roles = accessManifests(grants.get(cluster)!, app).filter((o): o is RbacObject => o.kind === 'Role');
      for (const role of roles) {
        expect((role.rules as unknown[]).at(-1)).toStrictEqual({
          apiGroups: [''],
          resources: ['events'],
          verbs: ['create'],
        });
      }
    }
    // Without it (the default), no rule names events anywhere.
    const plain = [...namespaceGrants(fanned).values()].flatMap((g) => accessManifests(g, app));
    expect(JSON.stringify(plain)).not.toContain('"events"');
  });

  it('gives a single-target mapping exactly what the single-target form gives', () => {
    const single = { id: 'payments', targets: [target('east', 'pay', 'payments-db')] };
    expect(accessManifests(namespaceGrants(single).get('east')!, app)).toStrictEqual(accessManifests(mapping, app));
  });
});
