/**
 * The opt-in rollout restart of the workloads that read the Secret: which
 * workloads, when, and the patch that restarts them the way
 * `kubectl rollout restart` does. Pure: plain data in, plain data out.
 */
import { InvalidInputError, TransientError, UnauthorizedError, type SyncError } from './errors.ts';
import { BUDGET_PARAMETER, budgetLeftMs, budgetSecondsOf } from './execution-budget.ts';
import { sortedUnique } from './names.ts';
import type { MergePlan } from './types.ts';

/** The workload kinds the `restart` option accepts, by the word used in the mapping (`deployment/<name>`). */
export const WORKLOAD_KINDS = {
  deployment: { kind: 'Deployment', resource: 'deployments' },
  statefulset: { kind: 'StatefulSet', resource: 'statefulsets' },
  daemonset: { kind: 'DaemonSet', resource: 'daemonsets' },
} as const;

/** One of the keys of {@link WORKLOAD_KINDS}. */
export type WorkloadWord = keyof typeof WORKLOAD_KINDS;

/** A workload to restart, in the Secret's namespace (API group `apps`, version v1). */
export interface WorkloadRef {
  /** As written in the mapping: `deployment/api`. */
  readonly ref: string;
  /** Kubernetes kind: Deployment, StatefulSet or DaemonSet. */
  readonly kind: (typeof WORKLOAD_KINDS)[WorkloadWord]['kind'];
  /** Resource name in the API path and in RBAC rules: deployments, statefulsets, daemonsets. */
  readonly resource: (typeof WORKLOAD_KINDS)[WorkloadWord]['resource'];
  readonly name: string;
}

/** The annotation `kubectl rollout restart` sets on the pod template (RFC 3339 time). */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Our pod template annotation: the AWS secret version the restart was for. */
export const RESTARTED_FOR_VERSION_ANNOTATION = 'eks-secret-sync.io/restarted-for-version';

const REF = /^(deployment|statefulset|daemonset)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

/**
 * Parses `deployment/<name>`, `statefulset/<name>` or `daemonset/<name>`.
 *
 * @throws InvalidInputError for anything else.
 */
export function parseWorkload(ref: string): WorkloadRef {
  const m = REF.exec(ref);
  if (!m || m[2]!.length > 253) {
    throw new InvalidInputError(
      `${JSON.stringify(ref)} is not a workload; expected deployment/<name>, statefulset/<name> or daemonset/<name>`,
    );
  }
  const word = m[1] as WorkloadWord;
  return { ref, ...WORKLOAD_KINDS[word], name: m[2]! };
}

/**
 * Parses a mapping's `restart` list: sorted, without duplicates.
 *
 * @throws InvalidInputError naming the first entry that is not a workload.
 */
export function parseWorkloads(refs: readonly string[]): WorkloadRef[] {
  return sortedUnique(refs).map(parseWorkload);
}

/**
 * The workloads to restart once `plan` is written: all of `targets` when the
 * write changes data (a key added, updated or pruned), none otherwise. A write
 * that only records a new version in the annotations, and no write at all
 * (`none`, `skip-stale`), restart nothing.
 */
export function restartAfter(
  plan: Pick<MergePlan, 'action' | 'added' | 'updated' | 'pruned'>,
  targets: readonly string[],
): string[] {
  const writes = plan.action === 'create' || plan.action === 'update';
  const changesData = plan.added.length + plan.updated.length + plan.pruned.length > 0;
  return writes && changesData ? sortedUnique(targets) : [];
}

/**
 * The workloads a redrive re-checks (attempt 2 or later) when this run writes no new data: the earlier attempt
 * wrote the Secret and failed at the restart or its rollout, so the state machine goes to RecheckRollouts, which
 * restarts only a workload not yet restarted for this version and follows every rollout again. Empty on a first
 * attempt, when the write changes data ({@link restartAfter} restarts then), and for a plan that is not a write
 * of this version (`retain`, `skip-stale`, deletions).
 */
export function recheckAfter(
  plan: Pick<MergePlan, 'action' | 'added' | 'updated' | 'pruned'>,
  targets: readonly string[],
  attempt: number | undefined,
): string[] {
  if (attempt === undefined || !(attempt > 1)) return [];
  if (plan.action !== 'none' && plan.action !== 'update') return [];
  return restartAfter(plan, targets).length === 0 ? sortedUnique(targets) : [];
}

/** The restart annotations a pod template carries (absent: never restarted by a sync). */
export function restartedForVersion(template: { readonly annotations?: Readonly<Record<string, string>> } | undefined) {
  return template?.annotations?.[RESTARTED_FOR_VERSION_ANNOTATION];
}

/**
 * An ISO 8601 time as RFC 3339 in UTC without fractional seconds, the form
 * `kubectl rollout restart` writes.
 *
 * @throws InvalidInputError when `time` is not a date.
 */
export function rfc3339Seconds(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new InvalidInputError(`restart time ${JSON.stringify(time)} is not an ISO 8601 date`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The longest restart window (`restartWindowSeconds`): the wait for the window's boundary comes out of the
 * execution's budget (domain/execution-budget.ts) before RestartWorkloads, next to the rollout's follow
 * (`MAX_ROLLOUT_TIMEOUT_SECONDS` in domain/rollout.ts); infra/model/asl-budget.ts counts it.
 */
export const MAX_RESTART_WINDOW_SECONDS = 30;

/**
 * What a coalesced restart keeps of the execution's budget after its window's boundary, for the patches (and a
 * short follow): a boundary later than that restarts at once instead ({@link restartBoundary}).
 */
export const RESTART_BUDGET_MS = 10_000;

/**
 * The restart time of a coalesced restart (`restartWindowSeconds` W > 0): the first boundary of the W-second grid
 * of the epoch at or after `writtenAtMs`, taken once the write completed, as RFC 3339 (whole seconds). Every sync
 * whose write lands in the same window restarts at the same boundary with the same annotation value, so the second
 * patch of a workload changes nothing (no new generation, no second rollout), and the pods started at the boundary
 * see every write made before it (docs/restart.md#coalescing-restarts).
 *
 * Undefined when the boundary lies past `budgetEndMs` (the end of the execution's budget, domain/execution-budget.ts,
 * less {@link RESTART_BUDGET_MS}): the wait must not outlast the budget (infra/model/asl-budget.ts counts on it), so
 * that write restarts at once, not coalesced.
 *
 * @throws InvalidInputError for a window that is not a whole number from 1 to {@link MAX_RESTART_WINDOW_SECONDS}.
 */
export function restartBoundary(writtenAtMs: number, windowSeconds: number, budgetEndMs?: number): string | undefined {
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > MAX_RESTART_WINDOW_SECONDS) {
    throw new InvalidInputError(
      `restart window ${JSON.stringify(windowSeconds)} is not a whole number of seconds from 1 to ` +
        `${MAX_RESTART_WINDOW_SECONDS}`,
    );
  }
  const w = windowSeconds * 1000;
  const boundary = Math.ceil(writtenAtMs / w) * w;
  if (budgetEndMs !== undefined && boundary > budgetEndMs) return undefined;
  return new Date(boundary).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * ApplySecret's `restartAt` ({@link restartBoundary}): for a create or update with a window, the boundary after
 * `writtenAtMs` that still leaves the restart {@link RESTART_BUDGET_MS} of the execution's budget (its start time is
 * `input[BUDGET_PARAMETER]`); undefined otherwise (no window, a deletion, too late: restart at once).
 */
export function restartAtAfterWrite(
  action: string,
  windowSeconds: number,
  writtenAtMs: number,
  input: object,
): string | undefined {
  if (windowSeconds === 0 || (action !== 'create' && action !== 'update')) return undefined;
  const left = budgetLeftMs((input as Record<string, unknown>)[BUDGET_PARAMETER], writtenAtMs, budgetSecondsOf(input));
  const latest = left === undefined ? undefined : writtenAtMs + left - RESTART_BUDGET_MS;
  return restartBoundary(writtenAtMs, windowSeconds, latest);
}

/**
 * The strategic merge patch of a restart: the pod template's annotations, nothing else (a null removes one).
 */
export interface RestartPatch {
  readonly spec: {
    readonly template: { readonly metadata: { readonly annotations: Readonly<Record<string, string | null>> } };
  };
}

/**
 * The patch that restarts a workload like `kubectl rollout restart`: a new
 * pod template annotation makes its controller roll the pods. It carries the
 * time and the AWS secret's version id, nothing of the Secret's data. The
 * same time and version give the same patch, so a retried restart of a
 * workload that was already patched changes nothing and rolls nothing again.
 *
 * A coalesced restart (`coalesced`, the time a window's boundary, {@link restartBoundary}) carries the time alone
 * and removes the version annotation: syncs of different secrets (different versions) restarting in the same
 * window must send the same patch, or the second would roll the workload again.
 *
 * @param restartedAt - RFC 3339 time (see {@link rfc3339Seconds}).
 * @param versionId - The Secrets Manager version that was written.
 */
export function restartPatch(restartedAt: string, versionId: string, coalesced = false): RestartPatch {
  return {
    spec: {
      template: {
        metadata: {
          annotations: {
            [RESTARTED_AT_ANNOTATION]: restartedAt,
            [RESTARTED_FOR_VERSION_ANNOTATION]: coalesced ? null : versionId,
          },
        },
      },
    },
  };
}

/** The outcome of restarting one workload. */
export interface RestartOutcome {
  readonly ref: string;
  /** Why it was not restarted; absent when it was. */
  readonly error?: SyncError;
}

/**
 * One error for a restart in which some workloads failed, or undefined when
 * none did. Its class decides what the state machine does, so the most
 * recoverable failure wins: a refused token (mint a new one and restart
 * again), then a transient failure (retry), else the first permanent one.
 * Retrying restarts the workloads that succeeded too, which is harmless (see
 * {@link restartPatch}). The message names every workload restarted and
 * every one that failed, with its reason.
 */
export function restartFailure(outcomes: readonly RestartOutcome[]): SyncError | undefined {
  const failed = outcomes.filter((o): o is Required<RestartOutcome> => o.error !== undefined);
  if (failed.length === 0) return undefined;
  const lead =
    failed.find((o) => o.error instanceof UnauthorizedError) ??
    failed.find((o) => o.error instanceof TransientError) ??
    failed[0]!;
  const done = outcomes.filter((o) => o.error === undefined).map((o) => o.ref);
  const message =
    `${failed.length} of ${outcomes.length} workloads not restarted: ` +
    failed.map((o) => `${o.ref}: ${o.error.message}`).join('; ') +
    (done.length > 0 ? `; restarted: ${done.join(', ')}` : '');
  const Ctor = lead.error.constructor as new (message: string, options?: { cause?: unknown }) => SyncError;
  return new Ctor(message, { cause: lead.error });
}
