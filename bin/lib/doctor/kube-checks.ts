/**
 * The doctor's Kubernetes checks of one mapping, made as the caller (who needs
 * get on namespaces and create on subjectaccessreviews: a cluster admin):
 * the namespace exists, and SubjectAccessReviews for the pipeline's identity
 * (the access entry's username and the group eks-secret-sync:<id>) show that
 * RBAC allows exactly what the sync needs and no more; for a mapping with
 * `restart`, that the cluster is 1.30 or later and the restart admission
 * policy and its binding are in place.
 */
import { secretVerbs } from '../../../infra/model/rbac.ts';
import type { MappingTarget as Mapping } from '../../../infra/model/targets.ts';
import { kubeNames, type AppScope } from '../../../infra/model/kube-names.ts';
import {
  RESTART_POLICY_MIN_MINOR,
  restartPolicyManifests,
  restartPolicyName,
} from '../../../infra/model/restart-policy.ts';
import type { KubeTarget } from '../cluster.ts';
import { kubeCall, kubeError, kubeMessage } from '../kube-http.ts';
import type { ClockSample } from './aws-checks.ts';
import { unchecked, type Finding } from './findings.ts';

/** What the sync does to its Secret (the Role of `eks-secret-sync rbac`). */
// The verbs the product's Role grants a retain-policy mapping: what every sync needs.
const NEEDED = secretVerbs('retain');

/** The namespace of the Secret exists (the tool never creates namespaces). */
export async function checkNamespace(m: Mapping, target: KubeTarget, clock: ClockSample[]): Promise<Finding> {
  try {
    const answer = await kubeCall(target, 'GET', `/api/v1/namespaces/${encodeURIComponent(m.namespace)}`);
    if (answer.date) clock.push({ date: answer.date, localTime: answer.localTime });
    if (answer.status === 200) return { check: 'namespace', verdict: 'ok', message: `namespace ${m.namespace} exists` };
    if (answer.status === 404) {
      return {
        check: 'namespace',
        verdict: 'problem',
        message:
          `namespace ${m.namespace} does not exist: every sync fails with NotFoundError (the tool never ` +
          `creates namespaces)`,
        fix: `kubectl create namespace ${m.namespace}, or correct the mapping's namespace`,
      };
    }
    return unchecked(
      'namespace',
      `namespace ${m.namespace}`,
      kubeError(answer, target, `get namespace ${m.namespace}`).message,
    );
  } catch (e) {
    return unchecked('namespace', `namespace ${m.namespace}`, (e as Error).message);
  }
}

interface Review {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Who the reviews ask about. */
export interface Subject {
  readonly user: string;
  readonly groups: readonly string[];
}

async function review(target: KubeTarget, subject: Subject, attrs: Record<string, string>): Promise<Review> {
  const answer = await kubeCall(target, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: subject.user,
      groups: subject.groups,
      resourceAttributes: { group: '', resource: 'secrets', ...attrs },
    },
  });
  if (answer.status !== 201 && answer.status !== 200) {
    throw new Error(
      answer.status === 403
        ? `${target.identity} may not create subjectaccessreviews (${kubeMessage(answer)}); run doctor as a cluster ` +
            `admin, e.g. with --context`
        : kubeError(answer, target, 'create a SubjectAccessReview').message,
    );
  }
  return { allowed: answer.body?.status?.allowed === true, reason: String(answer.body?.status?.reason ?? '') };
}

/**
 * RBAC allows get, create, update and patch on the Secret (missing: the sync is
 * denied) and denies listing Secrets, getting another Secret, listing Secrets in
 * every namespace and deleting the Secret (allowed: wider than the one Secret).
 */
export async function checkRbac(m: Mapping, target: KubeTarget, subject: Subject): Promise<Finding[]> {
  const on = { namespace: m.namespace, name: m.secretName };
  const rbacFix = `eks-secret-sync rbac --mapping ${m.id} | kubectl apply -f -   (as a cluster admin)`;
  const who = `group ${subject.groups[0]}`;
  try {
    const needed = await Promise.all(
      NEEDED.map(async (verb) => ({ verb, ...(await review(target, subject, { verb, ...on })) })),
    );
    const denied = needed.filter((r) => !r.allowed).map((r) => r.verb);
    const missing: Finding =
      denied.length === 0
        ? {
            check: 'rbac',
            verdict: 'ok',
            message: `${who} may ${NEEDED.join(', ')} Secret ${m.namespace}/${m.secretName}`,
          }
        : {
            check: 'rbac',
            verdict: 'problem',
            message:
              `${who} may not ${denied.join(', ')} Secret ${m.namespace}/${m.secretName}: syncs fail with ` +
              `PermissionDeniedError (403)`,
            fix: rbacFix,
          };
    const probes: { what: string; attrs: Record<string, string> }[] = [
      { what: `list Secrets in ${m.namespace}`, attrs: { verb: 'list', namespace: m.namespace } },
      {
        what: `get other Secrets in ${m.namespace}`,
        attrs: { verb: 'get', namespace: m.namespace, name: `${m.secretName}-not-this-one` },
      },
      { what: 'list Secrets in every namespace', attrs: { verb: 'list' } },
      { what: `delete Secret ${m.namespace}/${m.secretName}`, attrs: { verb: 'delete', ...on } },
    ];
    const broad = (
      await Promise.all(probes.map(async (p) => ({ ...p, ...(await review(target, subject, p.attrs)) })))
    ).filter((p) => p.allowed);
    const scope: Finding =
      broad.length === 0
        ? {
            check: 'rbac-scope',
            verdict: 'ok',
            message: `${who} reaches no other Secret (list, other names, other namespaces and delete are denied)`,
          }
        : {
            check: 'rbac-scope',
            verdict: 'problem',
            message:
              `RBAC is too broad: ${who} may also ` +
              `${broad.map((b) => `${b.what}${b.reason ? ` (${b.reason})` : ''}`).join('; ')}`,
            fix:
              `remove the bindings named above from the group; the mapping needs only the Role of: ` +
              `eks-secret-sync rbac --mapping ${m.id}`,
          };
    return [missing, scope];
  } catch (e) {
    return [unchecked('rbac', 'RBAC', (e as Error).message)];
  }
}

/** A Kubernetes release as `/version` reports it. */
export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
  /** As reported, e.g. v1.35.4 or v1.29.10-eks-1234. */
  readonly text: string;
}

/** The fields of a `/version` answer that name the release. */
export interface VersionAnswer {
  readonly gitVersion?: unknown;
  readonly major?: unknown;
  readonly minor?: unknown;
}

/**
 * The release of a `/version` answer, from `gitVersion` (vMAJOR.MINOR.PATCH...), else `major`/`minor` (EKS
 * reports minor as e.g. "29+"); undefined when neither is a release (a build without version stamps reports
 * v0.0.0-master+$Format:%H$).
 */
export function parseServerVersion(body: VersionAnswer): ServerVersion | undefined {
  const git = typeof body.gitVersion === 'string' ? /^v(\d+)\.(\d+)\./.exec(body.gitVersion) : null;
  const [major, minor] = git
    ? [Number(git[1]), Number(git[2])]
    : [parseInt(String(body.major), 10), parseInt(String(body.minor), 10)];
  if (!Number.isInteger(major) || !Number.isInteger(minor) || major < 1) return undefined;
  return { major, minor, text: typeof body.gitVersion === 'string' ? body.gitVersion : `v${major}.${minor}` };
}

/** What {@link restartPolicyFinding} decides on: the server version, and the policy and binding as read. */
export interface RestartPolicyFacts {
  readonly version: ServerVersion;
  /** The live policy, or undefined when the apiserver answered 404. */
  readonly policy?: { readonly spec?: Record<string, unknown> };
  /** The live binding, or undefined when the apiserver answered 404. */
  readonly binding?: {
    readonly spec?: { readonly policyName?: string; readonly validationActions?: readonly string[] };
  };
}

/** The policy fields doctor compares with what `eks-secret-sync rbac` prints (the apiserver defaults the others). */
const COMPARED_FIELDS = ['matchConditions', 'variables', 'validations', 'failurePolicy'] as const;

const tooOld = (v: ServerVersion) => v.major === 1 && v.minor < RESTART_POLICY_MIN_MINOR;

/**
 * The restart-policy finding of a mapping with `restart`. Pure. A problem when the cluster is older than 1.30
 * (no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy), when the policy or its binding is missing, or
 * when they differ from what `eks-secret-sync rbac` prints: each time the mapping's patch on its workloads is not
 * narrowed to the restart annotations. Messages name objects, never a value.
 */
export function restartPolicyFinding(
  m: Pick<Mapping, 'id' | 'restart'>,
  expected: readonly { readonly kind: string; readonly spec: Record<string, unknown> }[],
  facts: RestartPolicyFacts,
  app: AppScope,
): Finding {
  const check = 'restart-policy';
  const { group, restartPolicyName: name } = kubeNames(app, m.id);
  const risk =
    `group ${group} may patch ${m.restart.join(', ')} without limit: it could change their image, command, volumes ` +
    'or ServiceAccount, and so read any Secret of the namespace';
  const fix = `eks-secret-sync rbac --mapping ${m.id} | kubectl apply -f -   (as a cluster admin)`;
  const { version } = facts;
  const min = `1.${RESTART_POLICY_MIN_MINOR}`;
  if (tooOld(version)) {
    return {
      check,
      verdict: 'problem',
      message:
        `the cluster runs Kubernetes ${version.text}, older than ${min}: it has no ValidatingAdmissionPolicy ` +
        `(admissionregistration.k8s.io/v1), so ${risk}`,
      fix:
        `upgrade the cluster to Kubernetes ${min} or later, or remove restart from mapping ${m.id} ` +
        `and apply: ${fix}`,
    };
  }
  const missing = [
    ...(facts.policy ? [] : [`ValidatingAdmissionPolicy ${name}`]),
    ...(facts.binding ? [] : [`its binding ${name}`]),
  ];
  if (missing.length > 0) {
    return { check, verdict: 'problem', message: `${missing.join(' and ')} missing in the cluster: ${risk}`, fix };
  }
  const want = expected.find((o) => o.kind === 'ValidatingAdmissionPolicy')!.spec;
  const live = facts.policy!.spec ?? {};
  const same = (k: string) => JSON.stringify(live[k] ?? null) === JSON.stringify(want[k] ?? null);
  const differs: string[] = COMPARED_FIELDS.filter((k) => !same(k));
  const b = facts.binding!.spec ?? {};
  if (b.policyName !== name || !(b.validationActions ?? []).includes('Deny')) differs.push('binding');
  if (differs.length > 0) {
    return {
      check,
      verdict: 'problem',
      message:
        `ValidatingAdmissionPolicy ${name} differs from what eks-secret-sync rbac prints (${differs.join(', ')}): ` +
        `its limits on group ${group} are not the product's`,
      fix,
    };
  }
  return {
    check,
    verdict: 'ok',
    message:
      `ValidatingAdmissionPolicy ${name} and its binding are in place (Kubernetes ${version.text}): ` +
      `group ${group} may change only the restart annotations of its workloads`,
  };
}

const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

/**
 * For a mapping with `restart`: the cluster is recent enough for the restart admission policy, and the policy
 * and its binding are in place as `eks-secret-sync rbac` prints them (see {@link restartPolicyFinding}). No
 * finding for a mapping without `restart`.
 */
export async function checkRestartPolicy(m: Mapping, app: AppScope, target: KubeTarget): Promise<Finding[]> {
  if (m.restart.length === 0) return [];
  const expected = restartPolicyManifests(m, app);
  const name = restartPolicyName(app, m.id);
  const cannot = (what: string, why: string) => [unchecked('restart-policy', what, why)];
  try {
    const v = await kubeCall(target, 'GET', '/version');
    if (v.status !== 200) return cannot('the Kubernetes version', kubeError(v, target, 'get /version').message);
    const version = parseServerVersion(v.body ?? {});
    if (!version) {
      const reported = JSON.stringify(String(v.body?.gitVersion));
      return cannot('the Kubernetes version', `the apiserver reports ${reported}, not a release`);
    }
    if (tooOld(version)) return [restartPolicyFinding(m, expected, { version }, app)];
    const read = async (kind: string, plural: string) => {
      const r = await kubeCall(target, 'GET', `${ADMISSION}/${plural}/${name}`);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw kubeError(r, target, `get ${kind} ${name}`);
      return r.body;
    };
    const policy = await read('ValidatingAdmissionPolicy', 'validatingadmissionpolicies');
    const binding = await read('ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings');
    return [restartPolicyFinding(m, expected, { version, policy, binding }, app)];
  } catch (e) {
    return cannot(`the restart admission policy ${name}`, (e as Error).message);
  }
}
