// Kubernetes names scoped to the app (issue 21, finding 2): two apps with a mapping `db` on one cluster get separate
// groups and objects; the ApplySet of `rbac --cluster` is computed as kubectl computes it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  applySetCrd,
  applySetId,
  applySetParent,
  applySetRef,
  rbacApplyCommand,
  rbacSetupCommands,
} from '../../infra/model/applyset.ts';
import { appKey, appScopeOf, kubeNames, legacyKubeNames, type AppScope } from '../../infra/model/kube-names.ts';
import { accessManifests, clusterAccessManifests, legacyClusterObjects, yamlStream } from '../../infra/model/rbac.ts';

const prod: AppScope = { appName: 'EksSecretSync-prod', account: '111122223333', region: 'us-east-1' };
const variants: [string, AppScope][] = [
  ['another app name', { ...prod, appName: 'EksSecretSync-staging' }],
  ['another account', { ...prod, account: '444455556666' }],
  ['another region', { ...prod, region: 'eu-west-1' }],
];
const db = { id: 'db', namespace: 'shop', secretName: 'db', restart: ['deployment/api'] };

/** Every name an object of the manifests carries, with its kind (what collides on a shared cluster). */
function objectKeys(app: AppScope): string[] {
  return accessManifests(db, app).map(
    (o) => `${o.kind}/${'namespace' in o.metadata ? o.metadata.namespace : ''}/${o.metadata.name}`,
  );
}

describe('kubeNames', () => {
  it.each(variants)('gives an app with %s other groups and object names for the same mapping id', (_, other) => {
    const [a, b] = [kubeNames(prod, 'db'), kubeNames(other, 'db')];
    expect(a.group).not.toBe(b.group);
    expect(a.rbacName).not.toBe(b.rbacName);
    expect(a.restartPolicyName).not.toBe(b.restartPolicyName);
    expect(objectKeys(prod).filter((k) => objectKeys(other).includes(k))).toStrictEqual([]);
    const group = (app: AppScope) =>
      accessManifests(db, app).flatMap((o) => ('subjects' in o ? (o.subjects as { name: string }[]) : []));
    expect(group(prod)).toStrictEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: a.group }]);
  });

  it('positive control: the check sees a collision (one app against itself; the names before scoping)', () => {
    expect(objectKeys(prod).filter((k) => objectKeys(prod).includes(k))).toHaveLength(4);
    expect(legacyKubeNames('db')).toStrictEqual({
      group: 'eks-secret-sync:db',
      rbacName: 'eks-secret-sync-db',
      restartPolicyName: 'eks-secret-sync-restart-db',
    });
  });

  it('keeps the longest names within Kubernetes limits and readable (product, app key, mapping id)', () => {
    const id = 'a'.repeat(40); // the schema's longest mapping id
    const n = kubeNames(prod, id);
    expect(n.rbacName).toBe(`eks-secret-sync-${appKey(prod)}-${id}`);
    expect(n.group).toBe(`eks-secret-sync:${appKey(prod)}:${id}`);
    const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    for (const name of [n.rbacName, n.restartPolicyName]) {
      expect(name.length).toBeLessThanOrEqual(253);
      expect(name).toMatch(dns1123Subdomain);
    }
    for (const v of Object.values(n.labels)) expect(v.length).toBeLessThanOrEqual(63);
    expect(n.annotations['eks-secret-sync.io/app-name']).toBe('EksSecretSync-prod (111122223333, us-east-1)');
  });

  it('takes account and region from the secret ARN, as the construct and the CLI both do', () => {
    expect(appScopeOf('EksSecretSync-prod', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf')).toEqual(
      prod,
    );
    expect(() => appScopeOf('x', 'db')).toThrow('db is not a secret ARN');
  });
});

describe('the ApplySet of rbac --cluster', () => {
  it("computes the parent id as kubectl does: base64url(sha256('<name>..ApplySet.eks-secret-sync.io'))", () => {
    const name = `eks-secret-sync-${appKey(prod)}`;
    const digest = createHash('sha256').update(`${name}..ApplySet.eks-secret-sync.io`).digest('base64url');
    expect(applySetId(prod)).toBe(`applyset-${digest}-v1`);
    expect(applySetRef(prod)).toBe(`applysets.eks-secret-sync.io/${name}`);
    expect(applySetParent(prod)).toMatchObject({
      kind: 'ApplySet',
      metadata: { name, labels: { 'applyset.kubernetes.io/id': applySetId(prod) } },
    });
  });

  it('gives each app its own parent, so one app never prunes another', () => {
    for (const [, other] of variants) expect(applySetId(other)).not.toBe(applySetId(prod));
  });

  it('declares the parent kind cluster-scoped and marked as an ApplySet parent type', () => {
    expect(applySetCrd()).toMatchObject({
      metadata: { name: 'applysets.eks-secret-sync.io', labels: { 'applyset.kubernetes.io/is-parent-type': 'true' } },
      spec: { scope: 'Cluster', group: 'eks-secret-sync.io' },
    });
  });

  it('prints the exact commands, with the mappings file when one is named', () => {
    expect(rbacApplyCommand(prod, 'east', 'fleet.yaml')).toBe(
      'npx eks-secret-sync rbac --cluster east --mappings fleet.yaml | KUBECTL_APPLYSET=true kubectl apply --prune ' +
        `--applyset=${applySetRef(prod)} -f -`,
    );
    expect(rbacSetupCommands('fleet.yaml')[1]).toBe(
      'npx eks-secret-sync rbac --applyset-parent --mappings fleet.yaml | kubectl apply -f -',
    );
  });
});

describe('clusterAccessManifests and legacyClusterObjects', () => {
  const target = (cluster: string, namespace: string, restart: string[] = []) => ({
    cluster: { name: cluster },
    namespace,
    secretName: 'db',
    deletionPolicy: 'retain' as const,
    restart,
    type: 'Opaque' as const,
    labels: {},
    annotations: {},
    prune: false,
  });
  const mappings = [
    { id: 'a', targets: [target('east', 'x'), target('west', 'y')] },
    { id: 'b', targets: [target('west', 'z', ['deployment/api'])] },
  ];

  it("holds every mapping's objects on that cluster and nothing of another cluster", () => {
    const west = clusterAccessManifests(mappings, 'west', prod);
    expect(west.map((o) => `${o.kind} ${o.metadata.name}`)).toStrictEqual([
      `Role ${kubeNames(prod, 'a').rbacName}`,
      `RoleBinding ${kubeNames(prod, 'a').rbacName}`,
      `Role ${kubeNames(prod, 'b').rbacName}`,
      `RoleBinding ${kubeNames(prod, 'b').rbacName}`,
      `ValidatingAdmissionPolicy ${kubeNames(prod, 'b').restartPolicyName}`,
      `ValidatingAdmissionPolicyBinding ${kubeNames(prod, 'b').restartPolicyName}`,
    ]);
    expect(
      clusterAccessManifests(mappings, 'east', prod).map((o) =>
        'namespace' in o.metadata ? o.metadata.namespace : '-',
      ),
    ).toStrictEqual(['x', 'x']);
    expect(parseAllDocuments(yamlStream(west)).map((d) => d.toJS())).toStrictEqual(west);
  });

  it.each(['y', 'no', 'on', '12345678', '1e234567'])(
    'writes strings YAML 1.1 reads as other types quoted (kubectl parses YAML 1.1): %j',
    (value) => {
      const objects = [{ metadata: { name: value, labels: { 'eks-secret-sync.io/mapping': value } } }];
      const text = yamlStream(objects);
      expect(parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS())).toStrictEqual(objects);
    },
  );

  it('positive control: a mapping id y written as YAML 1.2 is a boolean to a YAML 1.1 parser', () => {
    const bare = stringify({ labels: { mapping: 'y' } }, { version: '1.2' });
    expect(parseAllDocuments(bare, { version: '1.1' })[0]!.toJS()).toStrictEqual({ labels: { mapping: true } });
  });

  it('lists the old names of the objects on that cluster for the migration', () => {
    expect(
      legacyClusterObjects(mappings, 'east').map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`),
    ).toStrictEqual([
      'Role x/eks-secret-sync-a',
      'RoleBinding x/eks-secret-sync-a',
      'ValidatingAdmissionPolicy -/eks-secret-sync-restart-a',
      'ValidatingAdmissionPolicyBinding -/eks-secret-sync-restart-a',
    ]);
  });
});
