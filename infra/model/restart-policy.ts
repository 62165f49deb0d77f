/**
 * The admission policy that goes with the `restart` RBAC rules. RBAC can grant `patch` on a Deployment,
 * StatefulSet or DaemonSet but cannot say which fields: with patch on a pod template, an identity could change
 * the image, the command, the volumes or the ServiceAccount, and so read every Secret of the namespace. This
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA since Kubernetes 1.30) lets the mapping's
 * group change nothing on those workloads but the two pod-template annotations the restart writes
 * (`kubectl.kubernetes.io/restartedAt` and `eks-secret-sync.io/restarted-for-version`); other identities are
 * not matched. Pure: plain data in, plain data out.
 */
import {
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_VERSION_ANNOTATION,
  WORKLOAD_KINDS,
} from '../../functions/domain/restart.ts';
import type { Mapping } from './config.ts';
import { kubeNames, type AppScope } from './kube-names.ts';

/** The oldest Kubernetes minor version (1.x) that serves admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy. */
export const RESTART_POLICY_MIN_MINOR = 30;

/** API version of the policy and its binding. */
export const ADMISSION_API_VERSION = 'admissionregistration.k8s.io/v1';

/** The pod-template annotations the mapping's identity may change: the restart patch's (domain/restart.ts). */
export const RESTART_ANNOTATIONS = [RESTARTED_AT_ANNOTATION, RESTARTED_FOR_VERSION_ANNOTATION] as const;

/** Name of the policy and of its binding (cluster-scoped objects, one pair per mapping with `restart`). */
export function restartPolicyName(app: AppScope, mappingId: string): string {
  return kubeNames(app, mappingId).restartPolicyName;
}

/**
 * The start of every message the policy denies with. It names the mapping and what may change; never a value
 * of the workload (the apiserver adds the policy's and binding's names).
 */
export function restartPolicyMessage(mappingId: string): string {
  return (
    `eks-secret-sync mapping ${mappingId} may change only the pod-template annotations ` +
    `${RESTART_ANNOTATIONS.join(' and ')} of a workload it restarts`
  );
}

/** A cluster-scoped admission object as plain data. */
export interface AdmissionObject {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'ValidatingAdmissionPolicy' | 'ValidatingAdmissionPolicyBinding';
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: Record<string, unknown>;
}

/** `a.P == b.P`, also when the field is absent from one or both (has() on a missing field is false). */
function same(path: string): string {
  const [n, o] = [`object.${path}`, `oldObject.${path}`];
  return `(has(${n}) == has(${o}) && (!has(${n}) || ${n} == ${o}))`;
}

/** Every field of a workload's spec but `template`, for the three kinds (a field a kind lacks is absent in both). */
const SPEC_FIELDS = [
  'replicas',
  'selector',
  'strategy',
  'updateStrategy',
  'minReadySeconds',
  'revisionHistoryLimit',
  'paused',
  'progressDeadlineSeconds',
  'serviceName',
  'volumeClaimTemplates',
  'podManagementPolicy',
  'persistentVolumeClaimRetentionPolicy',
  'ordinals',
] as const;

/**
 * The map at `path` (labels or annotations) differs between object and oldObject only in the keys of the list
 * `variables.<except>`: every other new key has its old value, and no other old key is gone.
 */
function sameMapExcept(path: string, except: string): string {
  const [n, o] = [`object.${path}`, `oldObject.${path}`];
  return (
    `(!has(${n}) || ${n}.all(k, k in variables.${except} || (has(${o}) && k in ${o} && ${o}[k] == ${n}[k]))) && ` +
    `(!has(${o}) || ${o}.all(k, k in variables.${except} || (has(${n}) && k in ${n})))`
  );
}

/**
 * Workload annotations the apiserver itself rewrites on an update of the pod template: a DaemonSet's template
 * generation (apps/v1 keeps it as this annotation). Not the caller's change, so not refused.
 */
export const SERVER_WRITTEN_ANNOTATIONS = ['deprecated.daemonset.template.generation'] as const;

/** A CEL list literal of strings. */
const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;

/**
 * The ValidatingAdmissionPolicy and its binding for a mapping of app `app` with `restart`; none without (its group
 * may patch no workload). The policy matches requests of the mapping's group (infra/model/kube-names.ts). It matches
 * every
 * operation by that group on the three workload kinds and their subresources, in every namespace, and denies all
 * but an update that changes only the restart annotations.
 */
export function restartPolicyManifests(
  mapping: Pick<Mapping, 'id'> & { readonly restart?: readonly string[] },
  app: AppScope,
): AdmissionObject[] {
  if ((mapping.restart ?? []).length === 0) return [];
  const { restartPolicyName: name, group, labels, annotations } = kubeNames(app, mapping.id);
  const message = restartPolicyMessage(mapping.id);
  const resources = Object.values(WORKLOAD_KINDS).flatMap(({ resource }) => [resource, `${resource}/*`]);
  // Forbidden (403), not the default Invalid (422): the request is refused for who makes it, not for its content.
  const check = (what: string, expression: string) => ({
    expression,
    message: `${message}; ${what}`,
    reason: 'Forbidden',
  });
  return [
    {
      apiVersion: ADMISSION_API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels, annotations },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['apps'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources },
          ],
        },
        matchConditions: [
          { name: 'mapping-identity', expression: `request.userInfo.groups.exists(g, g == '${group}')` },
        ],
        variables: [
          { name: 'allowed', expression: celList(RESTART_ANNOTATIONS) },
          { name: 'serverWritten', expression: celList(SERVER_WRITTEN_ANNOTATIONS) },
        ],
        validations: [
          // subResource is absent, not empty, on a request to the object itself.
          check(
            'it may only update the workload itself',
            "request.operation == 'UPDATE' && (!has(request.subResource) || request.subResource == '')",
          ),
          check(
            "the workload's labels, annotations, owners and finalizers may not change",
            [
              ...['labels', 'ownerReferences', 'finalizers'].map((f) => same(`metadata.${f}`)),
              sameMapExcept('metadata.annotations', 'serverWritten'),
            ].join(' && '),
          ),
          check('the workload spec may not change', SPEC_FIELDS.map((f) => same(`spec.${f}`)).join(' && ')),
          check(
            'the pod spec (images, commands, env, volumes, service account) and pod labels may not change',
            `${same('spec.template.spec')} && ${same('spec.template.metadata.labels')}`,
          ),
          check(
            'no other pod-template annotation may change',
            sameMapExcept('spec.template.metadata.annotations', 'allowed'),
          ),
        ],
      },
    },
    {
      apiVersion: ADMISSION_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels, annotations },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
}
