/**
 * The payloads between states: the ASL contract. Each type is what one Lambda
 * returns into the state (under the ResultPath the ASL gives it) or receives
 * (built by the state's Parameters). None of them holds a value or a token in
 * plain text: those travel only as {@link Sealed} envelopes.
 */
import type { MergePlan, NameList, Observation, SourceVersion } from './types.ts';
import type { Sealed } from './ports.ts';
import type { ClusterMap, TargetRef } from './target.ts';

/** Execution input: the triggering event and which delivery of it this is. */
export interface SyncInput {
  /** The EventBridge event that started the sync (or a synthetic one from redrive, schedule, deploy). */
  readonly event: Record<string, unknown>;
  /** 1 for the first delivery; redrive increments it. */
  readonly attempt: number;
  /**
   * Run only this target (its {@link TargetRef.name}, `<cluster>/<namespace>/<secretName>`): redrive of one
   * target's DLQ message. The state machine skips every other target and sends an unknown name to the DLQ.
   */
  readonly onlyTarget?: string;
}

/** FetchSecret: in `{ event }`, out at `$.fetched`. */
export interface FetchOutput {
  readonly source: SourceVersion;
  readonly keys: NameList;
  readonly sealedData: Sealed;
  /**
   * When the version changed (the `Secret Label Updated` event's time, domain/freshness.ts), null for triggers
   * that do not say: the start of the freshness metric ApplySecret records.
   */
  readonly changedAt: string | null;
  /**
   * The staging labels `data` entries read that no version carried (AWSPREVIOUS of a secret's first version):
   * their keys are left out of the data. Absent when every label was found.
   */
  readonly missingStages?: readonly string[];
  /**
   * When the execution's budget ends (domain/execution-budget.ts `budgetEndsAt`): the deadline the wave loop of a
   * mapping with `waves` checks before each new wave. Absent without the execution's start time (a direct call).
   */
  readonly budgetEndsAt?: string;
}

/** MintToken (and RemintToken): in, the target's cluster. */
export interface TokenInput {
  /** The EKS cluster the token is for (signed into it as `x-k8s-aws-id`). */
  readonly clusterName: string;
}

/** What the Kubernetes steps receive besides their own fields: the Map item and the mapping's clusters. */
export interface TargetInput {
  readonly target: TargetRef;
  readonly clusters: ClusterMap;
}

/** MintToken: in {@link TokenInput}, out at `$.write.token`. */
export interface TokenOutput {
  readonly sealedToken: Sealed;
  /** When clients should stop using the token (14 minutes after signing). */
  readonly expiresAt: string;
}

/** ReadSecret: in, out at `$.observed` ({@link Observation}). */
export interface ReadInput extends Partial<TargetInput> {
  readonly sealedData: Sealed;
  readonly sealedToken: Sealed;
}

/** PlanMerge: in, out at `$.plan` ({@link PlanOutput}). */
export interface PlanInput {
  /** The target whose overrides apply (absent: the mapping's options as they are). */
  readonly target?: TargetRef;
  readonly source: SourceVersion;
  readonly observed: Observation;
  /** The execution's attempt (`$$.Execution.Input.attempt`; 2 and up: a redrive), for {@link PlanOutput.recheck}. */
  readonly attempt?: number;
}

/**
 * What PlanMerge returns: the merge plan, and the workloads to restart once
 * it is written. `restart` is how the state machine knows whether to restart:
 * the Choice after ApplySecret goes to RestartWorkloads only when
 * `$.plan.restart[0]` is present, that is when the mapping lists workloads
 * (RESTART_TARGETS) AND the write changes data (a key added, updated or
 * pruned; see `restartAfter` in domain/restart.ts). A write that only
 * records a new version in the annotations, a no-op and a stale version
 * restart nothing. The plan is made again after a conflict, so `restart`
 * always belongs to the write that succeeded.
 */
export interface PlanOutput extends MergePlan {
  /** `deployment/<name>`, `statefulset/<name>`, `daemonset/<name>`, sorted; empty for no restart. */
  readonly restart: readonly string[];
  /**
   * On a redrive that writes no new data: the workloads whose restart and rollout are checked again
   * (RecheckRollouts; `recheckAfter` in domain/restart.ts). Absent or empty otherwise.
   */
  readonly recheck?: readonly string[];
}

/** ApplySecret: in, out at `$.write.applied`. */
export interface ApplyInput extends Partial<TargetInput> {
  readonly plan: MergePlan;
  readonly sealedData: Sealed;
  readonly sealedToken: Sealed;
  /** {@link FetchOutput.changedAt}: a write of the version records its freshness (absent or null: none). */
  readonly changedAt?: string | null;
}

/** What ApplySecret wrote. */
export interface ApplyOutput {
  readonly action: 'create' | 'update' | 'delete-keys' | 'delete-secret';
  /** The Secret's resourceVersion after the write; empty after `delete-secret`. */
  readonly resourceVersion: string;
  readonly added: number;
  readonly updated: number;
  /** Keys removed: pruned, or removed by a deletion. */
  readonly pruned: number;
  /**
   * With `restartWindowSeconds` W > 0, after a create or update: the boundary of the W-second window the write
   * completed in (`restartBoundary` in domain/restart.ts). WaitForRestartWindow waits until then and
   * RestartWorkloads writes it as the restart time. Absent with W = 0 (restart at the execution's start time).
   */
  readonly restartAt?: string;
}

/**
 * RecordFailureEvent: in (the apply-secret function, after a target's DLQ message, for a mapping with
 * `failureEvents`): the failure as the DLQ message records it and the target's sealed token.
 */
export interface ReportInput extends Partial<TargetInput> {
  readonly report: { readonly failedStep: string; readonly error: string; readonly cause: string };
  readonly sealedToken: Sealed;
}

/** RecordFailureEvent: out at `$.reported`. */
export interface ReportOutput {
  /** The Event's name. */
  readonly event: string;
  /** The Event's reason (`<failedStep>Failed`). */
  readonly reason: string;
  /** Whether the Secret existed (the Event then names its uid, which `kubectl describe secret` matches). */
  readonly secretExists: boolean;
}

/**
 * RestartWorkloads: in (built by the state's Parameters), after an ApplySecret
 * that changed data. The workloads come from the function's own
 * RESTART_TARGETS, never from the state.
 */
export interface RestartInput extends Partial<TargetInput> {
  /** The version just written, recorded on each pod template. */
  readonly versionId: string;
  /**
   * When the restart was requested (the execution's start time): the same
   * for every attempt, so a retry re-sends identical patches and rolls
   * nothing twice.
   */
  readonly requestedAt: string;
  readonly sealedToken: Sealed;
  /**
   * A redrive's re-check (RecheckRollouts): restart only the workloads whose pod template does not yet carry this
   * version, then follow every rollout. Absent: restart every workload (RestartWorkloads).
   */
  readonly recheck?: boolean;
  /**
   * ApplySecret's output (`$.write.applied`; absent for a re-check): its `restartAt`, when present, is the restart time
   * instead of `requestedAt`, and the patch is the coalesced one (`restartPatch` in domain/restart.ts).
   */
  readonly applied?: { readonly restartAt?: string };
}

/** RestartWorkloads: out at `$.restarted`. */
export interface RestartOutput {
  /** The workloads patched, as in the mapping. */
  readonly workloads: readonly string[];
  /** The `kubectl.kubernetes.io/restartedAt` value set (RFC 3339). */
  readonly restartedAt: string;
  readonly versionId: string;
  /** Present (true) when the rollouts were followed to completion (`rolloutTimeoutSeconds` > 0). */
  readonly rolledOut?: true;
  /** A re-check only: the workloads not patched again, their pod template already restarted for this version. */
  readonly alreadyRestarted?: readonly string[];
}
