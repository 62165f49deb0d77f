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
 * A mapping with `restart` gets one more rule per workload kind: `get` and `patch` in
 * API group `apps` on exactly the listed names, which is all a rollout restart
 * (a strategic merge patch of the pod template) and following its rollout (a GET of the workload's status, by
 * name: docs/restart.md#follow-the-rollout) need. One rule per kind,
 * because a rule's `resourceNames` apply to every resource it lists: one rule
 * for deployments and statefulsets would let `deployment/api` also patch a
 * StatefulSet named api (test/e2e/restart.test.ts proves the rules on the
 * apiserver). Patch on a pod template could change its image or volumes, so
 * these rules come with an admission policy that allows only the restart's two
 * annotations (infra/model/restart-policy.ts, {@link accessManifests}).
 *
 * A mapping with `failureEvents` gets one more rule per namespace: `create` on core `events`, the one call of
 * the failure report (EVENT_CALL_VERBS). It cannot carry `resourceNames` (a POST create is authorized before the
 * object has a name), so the group may create any Event in the namespace, about any object: the reach this option
 * adds, stated in the security table of README.md (test/e2e/failure-events.test.ts proves it on the apiserver).
 *
 * Every name carries the app's key (infra/model/kube-names.ts): two apps with a mapping `db` on one cluster get
 * separate groups, Roles and policies.
 *
 * The stack cannot apply them: that would need a standing cluster-admin
 * identity. The CLI prints them (`eks-secret-sync rbac --cluster <name>`, one
 * ApplySet per app and cluster, infra/model/applyset.ts) for someone with that right
 * to `kubectl apply`.
 */
import { EVENT_CALL_VERBS, secretCalls, verbsOf, workloadVerbs } from '../../functions/domain/kube-verbs.ts';
import { stringify } from 'yaml';
import { parseWorkloads, WORKLOAD_KINDS } from '../../functions/domain/restart.ts';
import type { Mapping, Target } from './config.ts';
import { kubeNames, legacyKubeNames, type AppScope } from './kube-names.ts';
import { ADMISSION_API_VERSION, restartPolicyManifests, type AdmissionObject } from './restart-policy.ts';

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
  /** The mapping option `failureEvents`: `create` on events in the namespace. @default false */
  readonly failureEvents?: boolean;
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

/** What a mapping's grants depend on: its id, its targets and whether it records failure Events. */
export type GrantMapping = Pick<Mapping, 'id' | 'targets'> & { readonly failureEvents?: boolean };

/**
 * A mapping's namespace grants by cluster name (clusters and namespaces in the order its targets first name
 * them): each target's Secret in its namespace, and the union of the workloads the targets of a namespace
 * restart. Pure.
 */
export function namespaceGrants(mapping: GrantMapping): Map<string, RbacNamespace[]> {
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
      [...spaces].map(([namespace, g]) => ({
        id: mapping.id,
        namespace,
        secrets: g.secrets,
        restart: g.restart,
        ...(mapping.failureEvents === true && { failureEvents: true }),
      })),
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
  /** Absent only on the events rule, which RBAC cannot restrict by name. */
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** The rule of the failure report (`failureEvents`): `create` on core events, every name (none can be given). */
export function eventRules(failureEvents: boolean | undefined): PolicyRule[] {
  return failureEvents === true
    ? [{ apiGroups: [''], resources: ['events'], verbs: [...EVENT_CALL_VERBS.create] }]
    : [];
}

/** The Kubernetes group the mapping's EKS access entry puts its identity in (infra/model/kube-names.ts). */
export function kubernetesGroup(app: AppScope, mappingId: string): string {
  return kubeNames(app, mappingId).group;
}

/** The name of the Role and the RoleBinding (infra/model/kube-names.ts). */
export function rbacName(app: AppScope, mappingId: string): string {
  return kubeNames(app, mappingId).rbacName;
}

/** A namespaced Role or RoleBinding, as plain data. */
export interface RbacObject {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'Role' | 'RoleBinding';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/**
 * The rules that let the mapping restart its workloads and follow their rollouts: `get` and `patch` on exactly
 * the listed names, one rule per kind (deployments, statefulsets, daemonsets, in
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
            verbs: workloadVerbs(),
          },
        ];
  });
}

/**
 * The RBAC objects of one mapping of app `app` in one namespace: a Role on exactly its Secrets there (and the
 * workloads they restart) and a RoleBinding to its group. Pure.
 */
export function rbacManifests(target: RbacMapping | RbacNamespace, app: AppScope): [RbacObject, RbacObject] {
  const grant = asNamespace(target);
  const names = kubeNames(app, grant.id);
  const metadata = {
    name: names.rbacName,
    namespace: grant.namespace,
    labels: names.labels,
    annotations: names.annotations,
  };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [...secretRules(grant), ...restartRules(grant.restart), ...eventRules(grant.failureEvents)],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: names.group }],
    },
  ];
}

/**
 * Everything `eks-secret-sync rbac` prints for one mapping in one cluster, in apply order: a Role and
 * RoleBinding per namespace of its targets there ({@link rbacManifests}), then, when one of those targets
 * restarts workloads, the ValidatingAdmissionPolicy and its binding that let the group change nothing on its
 * workloads but the restart annotations (infra/model/restart-policy.ts). Pure.
 */
export function accessManifests(
  mapping: RbacMapping | readonly RbacNamespace[],
  app: AppScope,
): (RbacObject | AdmissionObject)[] {
  const grants = 'id' in mapping ? [asNamespace(mapping)] : mapping;
  const id = grants[0]!.id;
  const restart = grants.flatMap((g) => g.restart);
  return [...grants.flatMap((g) => rbacManifests(g, app)), ...restartPolicyManifests({ id, restart }, app)];
}

/** {@link accessManifests} as a multi-document YAML stream for `kubectl apply -f -`. */
export function rbacYaml(mapping: RbacMapping | readonly RbacNamespace[], app: AppScope): string {
  return yamlStream(accessManifests(mapping, app));
}

/** The objects of every mapping of `mappings` that has a target on cluster `cluster`, in file order. Pure. */
export function clusterAccessManifests(
  mappings: readonly GrantMapping[],
  cluster: string,
  app: AppScope,
): (RbacObject | AdmissionObject)[] {
  return mappings.flatMap((m) => {
    const grants = namespaceGrants(m).get(cluster);
    return grants === undefined ? [] : accessManifests(grants, app);
  });
}

/** An object as `kubectl delete -f -` needs it: kind and name (and namespace). */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/**
 * The objects the file's mappings had on cluster `cluster` under the names before they were scoped to the app
 * (infra/model/kube-names.ts, `legacyKubeNames`), for `kubectl delete --ignore-not-found -f -` once the app's new
 * objects are applied and its stacks deployed (docs/deploy.md#moving-to-app-scoped-kubernetes-names). Pure.
 */
export function legacyClusterObjects(
  mappings: readonly Pick<Mapping, 'id' | 'targets'>[],
  cluster: string,
): ObjectRef[] {
  return mappings.flatMap((m) => {
    const grants = namespaceGrants(m).get(cluster);
    if (grants === undefined) return [];
    const { rbacName: name, restartPolicyName } = legacyKubeNames(m.id);
    const rbac = 'rbac.authorization.k8s.io/v1';
    const namespaced = grants.flatMap(({ namespace }) =>
      (['Role', 'RoleBinding'] as const).map((kind) => ({ apiVersion: rbac, kind, metadata: { name, namespace } })),
    );
    // Listed whether or not the mapping restarts now: it may have before (delete --ignore-not-found skips absent ones).
    const policies = (['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'] as const).map((kind) => ({
      apiVersion: ADMISSION_API_VERSION,
      kind,
      metadata: { name: restartPolicyName },
    }));
    return [...namespaced, ...policies];
  });
}

/**
 * Objects as a multi-document YAML stream for kubectl. Written as YAML 1.1, which kubectl's parser
 * (sigs.k8s.io/yaml) reads: a string YAML 1.1 would take for a boolean or number (a mapping id `y` or `no`, an
 * app key of 8 decimal digits) is quoted, where YAML 1.2 output leaves it bare and kubectl refuses the object.
 */
export function yamlStream(objects: readonly object[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, version: '1.1' })}`).join('');
}
