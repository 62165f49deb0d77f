/**
 * The doctor's Kubernetes checks of one mapping, made as the caller (who needs
 * get on namespaces and create on subjectaccessreviews: a cluster admin):
 * the namespace exists, and SubjectAccessReviews for the pipeline's identity
 * (the access entry's username and the group eks-secret-sync:<id>) show that
 * RBAC allows exactly what the sync needs and no more.
 */
import { secretVerbs } from '../../../infra/rbac.ts';
import type { Mapping } from '../../../infra/config.ts';
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
