/**
 * The RBAC verbs the apiserver authorizes each call of the Kubernetes client
 * as: the one list the Role is derived from (infra/model/rbac.ts), so a verb is
 * granted exactly when a call needs it. functions/adapters/kube.ts checks at
 * compile time that every client method has an entry and no entry lacks a method.
 */

/** Per call of the Secret client (functions/adapters/kube.ts `SecretClient`). */
export const SECRET_CALL_VERBS = {
  get: ['get'],
  // Server-side apply is a PATCH, authorized as `patch`, and as `create` with the Secret's name when it does not
  // exist yet (docs/kubernetes-facts.md): the one create RBAC can restrict by name.
  apply: ['create', 'patch'],
  mergePatch: ['patch'],
  delete: ['delete'],
} as const;

/** Per call of the workload client (`WorkloadClient`), used by the restart. */
export const WORKLOAD_CALL_VERBS = {
  strategicMergePatch: ['patch'],
  // Following the rollout reads the workload's status (a GET of the workload by name).
  status: ['get'],
} as const;

/**
 * Per call of the event client (`EventClient`), used by the failure report (mapping option `failureEvents`):
 * `create` on `events`, which RBAC cannot restrict by name (the name is not known when a POST is authorized).
 */
export const EVENT_CALL_VERBS = {
  create: ['create'],
} as const;

/** A call of the Secret client. */
export type SecretCall = keyof typeof SECRET_CALL_VERBS;

/**
 * The calls a mapping's sync makes on its Secret: read, create, update, and
 * delete only with deletionPolicy `delete` (`delete-keys` is a merge patch).
 */
export function secretCalls(deletionPolicy: 'retain' | 'delete' = 'retain'): SecretCall[] {
  return ['get', 'apply', 'mergePatch', ...(deletionPolicy === 'delete' ? (['delete'] as const) : [])];
}

/**
 * The verbs every call of the workload client needs, each once, in the order they first appear: the restart's
 * `patch` and the rollout's `get` (`get` first, as Kubernetes lists verbs).
 */
export function workloadVerbs(): string[] {
  return [...new Set([...WORKLOAD_CALL_VERBS.status, ...WORKLOAD_CALL_VERBS.strategicMergePatch])];
}

/** The verbs `calls` need, each once, in the order they first appear. */
export function verbsOf(calls: readonly SecretCall[]): string[] {
  return [...new Set(calls.flatMap((c) => SECRET_CALL_VERBS[c]))];
}
