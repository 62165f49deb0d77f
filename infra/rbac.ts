/**
 * The Kubernetes RBAC objects one mapping needs, generated from the mapping.
 * They give the mapping's group exactly one Secret in one namespace.
 *
 * Why these verbs: `get` to read it, `patch` for the merge-patch update and
 * the server-side apply, `update` for a full replace, and `create`, which with
 * `resourceNames` allows only a server-side-apply create of exactly that name
 * (a POST create stays forbidden: the name is not known when POST is
 * authorized). The test bed proves this on a real kube-apiserver
 * (test/testbed/rbac.test.ts).
 *
 * The stack cannot apply them: that would need a standing cluster-admin
 * identity. The CLI prints them (`eks-secret-sync rbac --mapping <id>`) for
 * someone with that right to `kubectl apply`.
 */
import { stringify } from 'yaml';
import { managedLabels } from '../functions/shared/domain/metadata.ts';
import type { Mapping } from './config.ts';

/** The Kubernetes group the mapping's EKS access entry puts its identity in. */
export function kubernetesGroup(mappingId: string): string {
  return `eks-secret-sync:${mappingId}`;
}

/** The name of the Role and the RoleBinding. */
export function rbacName(mappingId: string): string {
  return `eks-secret-sync-${mappingId}`;
}

/** A namespaced Role or RoleBinding, as plain data. */
export interface RbacObject {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'Role' | 'RoleBinding';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

/** The RBAC objects of one mapping: a Role on its one Secret and a RoleBinding to its group. Pure. */
export function rbacManifests(mapping: Pick<Mapping, 'id' | 'namespace' | 'secretName'>): [RbacObject, RbacObject] {
  const metadata = { name: rbacName(mapping.id), namespace: mapping.namespace, labels: managedLabels(mapping.id) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [mapping.secretName], verbs: ['get', 'create', 'update', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: kubernetesGroup(mapping.id) }],
    },
  ];
}

/** {@link rbacManifests} as a multi-document YAML stream for `kubectl apply -f -`. */
export function rbacYaml(mapping: Pick<Mapping, 'id' | 'namespace' | 'secretName'>): string {
  return rbacManifests(mapping)
    .map((o) => `---\n${stringify(o)}`)
    .join('');
}
