/**
 * The Kubernetes RBAC objects one mapping needs, generated from the mapping.
 * They give the mapping's group exactly one Secret in one namespace.
 *
 * Why these verbs (exactly those the client's calls are authorized as,
 * functions/domain/kube-verbs.ts): `get` to read it, `patch` for the
 * merge-patch update and the server-side apply, and `create`, which with
 * `resourceNames` allows only a server-side-apply create of exactly that name
 * (a POST create stays forbidden: the name is not known when POST is
 * authorized). The test bed proves this on a real kube-apiserver
 * (test/testbed/rbac.test.ts).
 *
 * A mapping with `deletionPolicy: delete` also gets `delete` on the one
 * Secret name (to delete a Secret this tool created once the AWS secret is
 * deleted); with `retain` (the default) the identity cannot delete it
 * (test/e2e/deletion.test.ts proves the 403 on the apiserver).
 *
 * A mapping with `restart` gets one more rule per workload kind: `patch` in
 * API group `apps` on exactly the listed names, which is all a rollout restart
 * (a strategic merge patch of the pod template) needs. One rule per kind,
 * because a rule's `resourceNames` apply to every resource it lists: one rule
 * for deployments and statefulsets would let `deployment/api` also patch a
 * StatefulSet named api (test/e2e/restart.test.ts proves the rules on the
 * apiserver).
 *
 * The stack cannot apply them: that would need a standing cluster-admin
 * identity. The CLI prints them (`eks-secret-sync rbac --mapping <id>`) for
 * someone with that right to `kubectl apply`.
 */
import { secretCalls, verbsOf, WORKLOAD_CALL_VERBS } from '../functions/domain/kube-verbs.ts';
import { stringify } from 'yaml';
import { managedLabels } from '../functions/domain/metadata.ts';
import { parseWorkloads, WORKLOAD_KINDS } from '../functions/domain/restart.ts';
import type { Mapping } from './config.ts';

/**
 * What the RBAC objects depend on: the mapping's id, namespace, Secret and (optionally) workloads to restart and
 * deletion policy.
 */
export type RbacMapping = Pick<Mapping, 'id' | 'namespace' | 'secretName'> & {
  readonly restart?: readonly string[];
  /** @default 'retain' (no `delete` verb) */
  readonly deletionPolicy?: 'retain' | 'delete';
};

/**
 * The verbs on the mapping's one Secret: exactly those of the client calls
 * its sync makes (functions/domain/kube-verbs.ts); `delete` only for
 * deletionPolicy `delete`.
 */
export function secretVerbs(deletionPolicy: 'retain' | 'delete' = 'retain'): string[] {
  return verbsOf(secretCalls(deletionPolicy));
}

/** One rule of a Role. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly verbs: readonly string[];
}

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
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/**
 * The rules that let the mapping restart its workloads: `patch` on exactly the
 * listed names, one rule per kind (deployments, statefulsets, daemonsets, in
 * that order, names sorted); none without `restart`. Pure.
 *
 * @throws InvalidInputError for an entry that is not `<kind>/<name>` (the config schema refuses those first).
 */
export function restartRules(restart: readonly string[]): PolicyRule[] {
  const workloads = parseWorkloads(restart);
  return Object.values(WORKLOAD_KINDS).flatMap(({ resource }) => {
    const names = workloads.filter((w) => w.resource === resource).map((w) => w.name);
    return names.length === 0
      ? []
      : [
          {
            apiGroups: ['apps'],
            resources: [resource],
            resourceNames: names,
            verbs: [...WORKLOAD_CALL_VERBS.strategicMergePatch],
          },
        ];
  });
}

/**
 * The RBAC objects of one mapping: a Role on its one Secret (and the
 * workloads it restarts) and a RoleBinding to its group. Pure.
 */
export function rbacManifests(mapping: RbacMapping): [RbacObject, RbacObject] {
  const metadata = { name: rbacName(mapping.id), namespace: mapping.namespace, labels: managedLabels(mapping.id) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [mapping.secretName],
          verbs: secretVerbs(mapping.deletionPolicy),
        },
        ...restartRules(mapping.restart ?? []),
      ],
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
export function rbacYaml(mapping: RbacMapping): string {
  return rbacManifests(mapping)
    .map((o) => `---\n${stringify(o)}`)
    .join('');
}
