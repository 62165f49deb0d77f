// TEMPORARY until infra lands: dev bundles and RBAC.
export async function synthBundles() {
  return Object.fromEntries(['fetch-secret', 'mint-token', 'read-secret', 'plan-merge', 'apply-secret'].map((f) => [f, `/tmp/devb/${f}/index.mjs`]));
}
export function rbacManifests(m: { id: string; namespace: string; secretName: string }) {
  const name = `eks-secret-sync-${m.id}`;
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: m.namespace }, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [m.secretName], verbs: ['get', 'create', 'update', 'patch'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: m.namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `eks-secret-sync:${m.id}` }] },
  ];
}
