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
 * apiserver). Patch on a pod template could change its image or volumes, so
 * these rules come with an admission policy that allows only the restart's two
 * annotations (infra/restart-policy.ts, {@link accessManifests}).
 *
 * The stack cannot apply them: that would need a standing cluster-admin
 * identity. The CLI prints them (`eks-secret-sync rbac --mapping <id>`) for
 * someone with that right to `kubectl apply`.
 */
import { secretCalls, verbsOf, WORKLOAD_CALL_VERBS } from '../functions/domain/kube-verbs.ts';
import { stringify } from 'yaml';
import { managedLabels } from '../functions/domain/metadata.ts';
import { parseWorkloads, WORKLOAD_KINDS } from '../functions/domain/restart.ts';
import type { Mapping, Target } from './config.ts';
import { restartPolicyManifests, type AdmissionObject } from './restart-policy.ts';

/**
 * What the RBAC objects depend on: the mapping's id, namespace, Secret and (optionally) workloads to restart and
 * deletion policy.
 */
export type RbacMapping = Pick<Mapping, 'id'> &
  Pick<Target, 'namespace' | 'secretName'> & {
    readonly restart?: readonly string[];
    /** @default 'retain' (no `delete` verb) */
    readonly deletionPolicy?: 'retain' | 'delete';
  };

/**
 * What one mapping may touch in one namespace of one cluster: the Secrets of its targets there (each with its
 * deletion policy) and the workloads those targets restart. One Role and one RoleBinding each.
 */
export interface RbacNamespace {
  readonly id: string;
  readonly namespace: string;
  readonly secrets: readonly { readonly name: string; readonly deletionPolicy: 'retain' | 'delete' }[];
  /** Workloads in the namespace to restart (`deployment/<name>`, ...). */
  readonly restart: readonly string[];
}

/** A single-target {@link RbacMapping} as the namespace grant it stands for. */
function asNamespace(m: RbacMapping | RbacNamespace): RbacNamespace {
  if ('secrets' in m) return m;
  return {
    id: m.id,
    namespace: m.namespace,
    secrets: [{ name: m.secretName, deletionPolicy: m.deletionPolicy ?? 'retain' }],
    restart: m.restart ?? [],
  };
}

/**
 * A mapping's namespace grants by cluster name (clusters and namespaces in the order its targets first name
 * them): each target's Secret in its namespace, and the union of the workloads the targets of a namespace
 * restart. Pure.
 */
export function namespaceGrants(mapping: Pick<Mapping, 'id' | 'targets'>): Map<string, RbacNamespace[]> {
  const byCluster = new Map<string, Map<string, { secrets: RbacNamespace['secrets'][number][]; restart: string[] }>>();
  for (const t of mapping.targets) {
    const spaces = byCluster.get(t.cluster.name) ?? new Map();
    byCluster.set(t.cluster.name, spaces);
    const grant = spaces.get(t.namespace) ?? { secrets: [], restart: [] };
    spaces.set(t.namespace, grant);
    grant.secrets.push({ name: t.secretName, deletionPolicy: t.deletionPolicy });
    for (const w of t.restart) if (!grant.restart.includes(w)) grant.restart.push(w);
  }
  return new Map(
    [...byCluster].map(([cluster, spaces]) => [
      cluster,
      [...spaces].map(([namespace, g]) => ({ id: mapping.id, namespace, secrets: g.secrets, restart: g.restart })),
    ]),
  );
}

/**
 * The Secret rules of one namespace grant: one rule per set of verbs (targets with deletionPolicy `retain`
 * first, then `delete`), each listing exactly its Secrets' names.
 */
function secretRules(grant: RbacNamespace): PolicyRule[] {
  return (['retain', 'delete'] as const).flatMap((policy) => {
    const names = grant.secrets.filter((s) => s.deletionPolicy === policy).map((s) => s.name);
    return names.length === 0
      ? []
      : [{ apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: secretVerbs(policy) }];
  });
}

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
 * The RBAC objects of one mapping in one namespace: a Role on exactly its Secrets there (and the workloads
 * they restart) and a RoleBinding to its group. Pure.
 */
export function rbacManifests(target: RbacMapping | RbacNamespace): [RbacObject, RbacObject] {
  const grant = asNamespace(target);
  const metadata = { name: rbacName(grant.id), namespace: grant.namespace, labels: managedLabels(grant.id) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [...secretRules(grant), ...restartRules(grant.restart)],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: kubernetesGroup(grant.id) }],
    },
  ];
}

/**
 * Everything `eks-secret-sync rbac` prints for one mapping in one cluster, in apply order: a Role and
 * RoleBinding per namespace of its targets there ({@link rbacManifests}), then, when one of those targets
 * restarts workloads, the ValidatingAdmissionPolicy and its binding that let the group change nothing on its
 * workloads but the restart annotations (infra/restart-policy.ts). Pure.
 */
export function accessManifests(mapping: RbacMapping | readonly RbacNamespace[]): (RbacObject | AdmissionObject)[] {
  const grants = 'id' in mapping ? [asNamespace(mapping)] : mapping;
  const id = grants[0]!.id;
  const restart = grants.flatMap((g) => g.restart);
  return [...grants.flatMap((g) => rbacManifests(g)), ...restartPolicyManifests({ id, restart }, kubernetesGroup(id))];
}

/** {@link accessManifests} as a multi-document YAML stream for `kubectl apply -f -`. */
export function rbacYaml(mapping: RbacMapping | readonly RbacNamespace[]): string {
  return accessManifests(mapping)
    .map((o) => `---\n${stringify(o, { lineWidth: 0 })}`)
    .join('');
}
