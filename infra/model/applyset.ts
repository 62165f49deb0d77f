/**
 * One `kubectl apply` per cluster that also removes what the file no longer has: the RBAC objects of an app on a
 * cluster form a kubectl ApplySet (KEP 3659, `KUBECTL_APPLYSET=true kubectl apply --prune --applyset=...`).
 *
 * Why an ApplySet, and why its parent is a cluster-scoped custom resource (kubectl 1.35 source, pkg/cmd/apply;
 * docs/decisions.md#rbac-per-cluster-one-applyset-per-app):
 * - Legacy `--prune -l <selector>` lists candidates only in the namespaces of the objects being applied: the Role
 *   of a mapping removed from a namespace where no other mapping remains would stay for ever.
 * - An ApplySet's parent records every namespace and kind the set ever held (annotations
 *   `applyset.kubernetes.io/additional-namespaces` and `contains-group-kinds`), so a prune also visits the
 *   namespaces the new stream no longer names. Members carry `applyset.kubernetes.io/part-of=<id>` (kubectl adds it).
 * - kubectl accepts a Secret or ConfigMap parent only with `--namespace`, and then refuses objects of any other
 *   namespace; a set spanning namespaces needs a cluster-scoped parent: a custom resource whose CRD is labelled
 *   `applyset.kubernetes.io/is-parent-type`. kubectl does not create custom-resource parents, so the CRD (once per
 *   cluster) and the app's parent (once per app and cluster) are applied before the first `--applyset` apply.
 * Pure: plain data in, plain data out.
 */
import { createHash } from 'node:crypto';
import { appKey, APP_ANNOTATION, APP_LABEL, type AppScope } from './kube-names.ts';
import { PRODUCT_NAME } from '../../functions/domain/product.ts';
import { MANAGED_BY_LABEL, MANAGER_NAME } from '../../functions/domain/metadata.ts';

/** API group of the parent kind. */
export const APPLYSET_GROUP = 'eks-secret-sync.io';

/** The parent kind: one object per app on each cluster, holding nothing but kubectl's ApplySet record. */
export const APPLYSET_KIND = 'ApplySet';

/** Plural resource name of {@link APPLYSET_KIND}. */
const APPLYSET_PLURAL = 'applysets';

/** The environment variable that turns kubectl's (alpha) ApplySet support on. */
export const KUBECTL_APPLYSET_ENV = 'KUBECTL_APPLYSET=true';

/** The name of the app's parent object (cluster-scoped): `eks-secret-sync-<app key>`. */
export function applySetParentName(app: AppScope): string {
  return `${PRODUCT_NAME}-${appKey(app)}`;
}

/** The value of kubectl's `--applyset` flag for the app: `applysets.eks-secret-sync.io/<parent name>`. */
export function applySetRef(app: AppScope): string {
  return `${APPLYSET_PLURAL}.${APPLYSET_GROUP}/${applySetParentName(app)}`;
}

/**
 * The ApplySet id kubectl computes for the parent and writes on every member as `applyset.kubernetes.io/part-of`:
 * `applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1` (namespace empty: the parent is
 * cluster-scoped). The parent must carry it as `applyset.kubernetes.io/id` before kubectl accepts it.
 */
export function applySetId(app: AppScope): string {
  const digest = createHash('sha256')
    .update([applySetParentName(app), '', APPLYSET_KIND, APPLYSET_GROUP].join('.'))
    .digest('base64url');
  return `applyset-${digest}-v1`;
}

/** The CustomResourceDefinition of the parent kind: once per cluster, shared by every app. */
export function applySetCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${APPLYSET_PLURAL}.${APPLYSET_GROUP}`,
      labels: { [MANAGED_BY_LABEL]: MANAGER_NAME, 'applyset.kubernetes.io/is-parent-type': 'true' },
    },
    spec: {
      group: APPLYSET_GROUP,
      scope: 'Cluster',
      names: { plural: APPLYSET_PLURAL, singular: 'applyset', kind: APPLYSET_KIND, listKind: `${APPLYSET_KIND}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                `The record of which ${PRODUCT_NAME} RBAC objects kubectl applied for one app ` +
                '(an ApplySet parent).',
            },
          },
        },
      ],
    },
  };
}

/**
 * The app's parent object, as kubectl requires it to exist: the id label, the tooling annotation (`kubectl/...`)
 * and an empty kinds record. kubectl updates the annotations on each apply.
 */
export function applySetParent(app: AppScope): Record<string, unknown> {
  return {
    apiVersion: `${APPLYSET_GROUP}/v1`,
    kind: APPLYSET_KIND,
    metadata: {
      name: applySetParentName(app),
      labels: {
        [MANAGED_BY_LABEL]: MANAGER_NAME,
        [APP_LABEL]: appKey(app),
        'applyset.kubernetes.io/id': applySetId(app),
      },
      annotations: {
        [APP_ANNOTATION]: `${app.appName} (${app.account}, ${app.region})`,
        'applyset.kubernetes.io/tooling': 'kubectl/v1',
        'applyset.kubernetes.io/contains-group-kinds': '',
      },
    },
  };
}

/** How the commands name the mappings file: `--mappings <file>`, or nothing for the CLI's default. */
function mappingsFlag(mappingsFile: string | undefined): string {
  return mappingsFile === undefined ? '' : ` --mappings ${mappingsFile}`;
}

/**
 * The one command that applies everything cluster `cluster` needs for the file's mappings and prunes what the
 * file no longer has (run with a cluster-admin context of that cluster).
 */
export function rbacApplyCommand(app: AppScope, cluster: string, mappingsFile?: string): string {
  return (
    `npx ${PRODUCT_NAME} rbac --cluster ${cluster}${mappingsFlag(mappingsFile)} | ` +
    `${KUBECTL_APPLYSET_ENV} kubectl apply --prune --applyset=${applySetRef(app)} -f -`
  );
}

/** The commands that prepare a cluster once, before the first {@link rbacApplyCommand}: the CRD, then the parent. */
export function rbacSetupCommands(mappingsFile?: string): [string, string] {
  return [
    `npx ${PRODUCT_NAME} rbac --applyset-crd | kubectl apply -f -`,
    `npx ${PRODUCT_NAME} rbac --applyset-parent${mappingsFlag(mappingsFile)} | kubectl apply -f -`,
  ];
}
