// The deliberate break of issue 21 finding 2: Kubernetes names scoped to the app. A deployed mapping's identity
// moves from the group eks-secret-sync:<id> to eks-secret-sync:<app key>:<id> through CloudFormation's in-place
// update of its access entry (test/infra/kube-names-upgrade.test.ts). Following the migration note
// (docs/deploy.md#moving-to-app-scoped-kubernetes-names), no sync is lost at any step, on the real apiserver.
import { afterAll, describe, expect, it } from 'vitest';
import { kubeNames, legacyKubeNames } from '../../infra/model/kube-names.ts';
import { accessManifests, legacyClusterObjects } from '../../infra/model/rbac.ts';
import { replaceAccessEntryGroup } from '../../testbed/identities.ts';
import { adminApply, adminToken, kube } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const mappings: LocalMapping[] = [];
afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

/** A new version of the secret, synced through the whole state machine: it must succeed and land in the Secret. */
async function syncs(m: LocalMapping, step: string): Promise<void> {
  const version = await m.putSecret({ secretString: JSON.stringify({ step }) });
  const r = await m.run(m.labelEvent(version));
  expect(r.status, `${step}: ${JSON.stringify(r.error ?? '')}`).toBe('SUCCEEDED');
  const secret = await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
  expect(Buffer.from(secret.body.data.step, 'base64').toString('utf8'), step).toBe(step);
}

/** The objects a mapping had before the names were scoped: the product's objects under the old names. */
function legacyObjects(m: LocalMapping) {
  const old = legacyKubeNames(m.id);
  return accessManifests({ id: m.id, namespace: m.namespace, secretName: m.secretName }, m.app).map((o) => ({
    ...o,
    metadata: {
      name: old.rbacName,
      namespace: m.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'eks-secret-sync' },
    },
    ...(o.kind === 'RoleBinding' && {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: old.rbacName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: old.group }],
    }),
  }));
}

describe('moving a deployed mapping to app-scoped Kubernetes names', () => {
  it('loses no sync: old group, both RBAC sets, group switched, old objects deleted', async () => {
    // Prepare: a mapping as the previous release left it: its identity in the old group, the old Role and binding
    const m = await TestMapping.create({
      id: 'migrate-names',
      secretString: JSON.stringify({ step: '0' }),
      noRbac: true,
    });
    mappings.push(m);
    const { group } = kubeNames(m.app, m.id);
    const files = m.details.cluster.accessEntriesFile;
    await replaceAccessEntryGroup(files, m.identity.roleArn, group, legacyKubeNames(m.id).group);
    await adminApply(legacyObjects(m));
    await syncs(m, 'old names');

    // 1. Apply the new RBAC first (rbac --cluster): both sets are in the cluster; the old group still syncs
    await adminApply(accessManifests({ id: m.id, namespace: m.namespace, secretName: m.secretName }, m.app));
    await syncs(m, 'both sets');

    // 2. Deploy: the access entry's KubernetesGroups is updated in place to the new group
    await replaceAccessEntryGroup(files, m.identity.roleArn, legacyKubeNames(m.id).group, group);
    await syncs(m, 'new group');

    // 3. Delete the old objects (what rbac --cluster --legacy prints, for kubectl delete)
    const target = {
      cluster: { name: m.details.cluster.name },
      namespace: m.namespace,
      secretName: m.secretName,
      restart: [],
      deletionPolicy: 'retain',
    };
    const objects = legacyClusterObjects([{ id: m.id, targets: [target as never] }], m.details.cluster.name);
    const deleted: string[] = [];
    for (const o of objects) {
      const group = o.apiVersion.split('/')[0];
      const plural = `${o.kind.toLowerCase()}s`.replace(/ys$/, 'ies');
      const ns = o.metadata.namespace === undefined ? '' : `/namespaces/${o.metadata.namespace}`;
      const r = await kube(adminToken(), 'DELETE', `/apis/${o.apiVersion}${ns}/${plural}/${o.metadata.name}`);
      expect([200, 404], `${group} ${o.kind}`).toContain(r.status);
      if (r.status === 200) deleted.push(o.kind);
    }
    expect(deleted).toStrictEqual(['Role', 'RoleBinding']);
    await syncs(m, 'old objects deleted');
  });

  it('positive control: without the new RBAC, the switched group is denied and the sync fails', async () => {
    const m = await TestMapping.create({
      id: 'migrate-early',
      secretString: JSON.stringify({ step: '0' }),
      noRbac: true,
    });
    mappings.push(m);
    const { group } = kubeNames(m.app, m.id);
    const files = m.details.cluster.accessEntriesFile;
    await replaceAccessEntryGroup(files, m.identity.roleArn, group, legacyKubeNames(m.id).group);
    await adminApply(legacyObjects(m));
    await syncs(m, 'old names');
    // Deployed before the new RBAC was applied: the identity's new group is bound to nothing.
    await replaceAccessEntryGroup(files, m.identity.roleArn, legacyKubeNames(m.id).group, group);
    const version = await m.putSecret({ secretString: JSON.stringify({ step: 'denied' }) });
    expect((await m.run(m.labelEvent(version))).status).toBe('FAILED');
  });
});
