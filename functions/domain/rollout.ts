/**
 * Following a restart: whether a workload's rollout is complete, read from its status the way
 * `kubectl rollout status` reads it (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go, v0.35.4). Pure.
 */
import type { WorkloadRef } from './restart.ts';

/**
 * The longest a mapping may follow its rollouts (`rolloutTimeoutSeconds`): what the execution's budget
 * (domain/execution-budget.ts, 165 s) leaves after the steps before the restart. The follow also stops at the
 * budget, so a slow fetch shortens it rather than letting Step Functions stop the execution without a DLQ message.
 */
export const MAX_ROLLOUT_TIMEOUT_SECONDS = 120;

/**
 * The restart step's timeout (the Lambda function's, and RestartWorkloads' TimeoutSeconds in the ASL): the longest
 * follow plus the patches' and reads' time.
 */
export const RESTART_STEP_TIMEOUT_SECONDS = MAX_ROLLOUT_TIMEOUT_SECONDS + 30;

/**
 * The default of `rolloutTimeoutSeconds`: 0, not followed, as before the option existed. Following needs `get` on
 * the workloads, which a cluster's RBAC applied before this release lacks: on by default, an upgrade would start
 * sending every restart to the DLQ until the RBAC is applied again (docs/deploy.md#upgrade keeps syncs going).
 */
export const DEFAULT_ROLLOUT_TIMEOUT_SECONDS = 0;

/** The fields of a Deployment, StatefulSet or DaemonSet (apps/v1) the check reads; the rest is ignored. */
export interface WorkloadStatusView {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: {
    readonly replicas?: number;
    /** The pod template's annotations: whether it was restarted for a version (domain/restart.ts). */
    readonly template?: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } };
    readonly paused?: boolean;
    readonly updateStrategy?: {
      readonly type?: string;
      readonly rollingUpdate?: { readonly partition?: number };
    };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly readyReplicas?: number;
    readonly currentRevision?: string;
    readonly updateRevision?: string;
    readonly desiredNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberAvailable?: number;
    readonly conditions?: readonly { readonly type?: string; readonly reason?: string }[];
  };
}

/** A rollout's state: complete, or the condition still unmet (kubectl's wording, without the workload's name). */
export type RolloutState =
  | { readonly done: true }
  | { readonly done: false; readonly unmet: string; readonly final?: boolean };

/**
 * Whether `w`'s rollout is complete. Deployment: the controller saw the spec (observedGeneration >= generation),
 * `updatedReplicas` >= `spec.replicas`, no old replica left (`replicas` <= `updatedReplicas`) and
 * `availableReplicas` >= `updatedReplicas`; a Progressing condition with reason ProgressDeadlineExceeded is final.
 * StatefulSet: observed, `readyReplicas` >= `spec.replicas`, then with a rolling-update partition `updatedReplicas`
 * >= replicas - partition (the API server always sets one, 0 by default), else `currentRevision` ==
 * `updateRevision`. DaemonSet: observed, `updatedNumberScheduled` and `numberAvailable` >= `desiredNumberScheduled`.
 * A StatefulSet or DaemonSet whose update strategy is not RollingUpdate (OnDelete) has no rollout to follow: final.
 */
export function rolloutState(w: Pick<WorkloadRef, 'kind'>, obj: WorkloadStatusView): RolloutState {
  const generation = obj.metadata?.generation ?? 0;
  const s = obj.status ?? {};
  const observed = s.observedGeneration ?? 0;
  const n = (v: number | undefined) => v ?? 0;
  const waiting = (unmet: string): RolloutState => ({ done: false, unmet });
  switch (w.kind) {
    case 'Deployment': {
      if (generation > observed) return waiting('spec update not yet observed by the deployment controller');
      if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) {
        return {
          done: false,
          unmet: 'exceeded its progress deadline (Progressing: ProgressDeadlineExceeded)',
          final: true,
        };
      }
      const want = obj.spec?.replicas;
      if (want !== undefined && n(s.updatedReplicas) < want) {
        return waiting(`${n(s.updatedReplicas)} of ${want} new replicas updated`);
      }
      if (n(s.replicas) > n(s.updatedReplicas)) {
        return waiting(`${n(s.replicas) - n(s.updatedReplicas)} old replicas pending termination`);
      }
      if (n(s.availableReplicas) < n(s.updatedReplicas)) {
        return waiting(`${n(s.availableReplicas)} of ${n(s.updatedReplicas)} updated replicas available`);
      }
      return { done: true };
    }
    case 'StatefulSet': {
      if (obj.spec?.updateStrategy?.type !== undefined && obj.spec.updateStrategy.type !== 'RollingUpdate') {
        return {
          done: false,
          unmet: 'update strategy is not RollingUpdate: pods change only when deleted',
          final: true,
        };
      }
      if (observed === 0 || generation > observed) {
        return waiting('spec update not yet observed by the statefulset controller');
      }
      const want = obj.spec?.replicas;
      if (want !== undefined && n(s.readyReplicas) < want) {
        return waiting(`${want - n(s.readyReplicas)} of ${want} pods not ready`);
      }
      const partition = obj.spec?.updateStrategy?.rollingUpdate?.partition;
      if (obj.spec?.updateStrategy?.rollingUpdate !== undefined) {
        if (want !== undefined && partition !== undefined && n(s.updatedReplicas) < want - partition) {
          return waiting(`${n(s.updatedReplicas)} of ${want - partition} new pods updated`);
        }
        return { done: true };
      }
      if (s.updateRevision !== s.currentRevision) return waiting('currentRevision is not yet updateRevision');
      return { done: true };
    }
    case 'DaemonSet': {
      if (obj.spec?.updateStrategy?.type !== undefined && obj.spec.updateStrategy.type !== 'RollingUpdate') {
        return {
          done: false,
          unmet: 'update strategy is not RollingUpdate: pods change only when deleted',
          final: true,
        };
      }
      if (generation > observed) return waiting('spec update not yet observed by the daemonset controller');
      const desired = n(s.desiredNumberScheduled);
      if (n(s.updatedNumberScheduled) < desired) {
        return waiting(`${n(s.updatedNumberScheduled)} of ${desired} new pods updated`);
      }
      if (n(s.numberAvailable) < desired)
        return waiting(`${n(s.numberAvailable)} of ${desired} updated pods available`);
      return { done: true };
    }
  }
}
