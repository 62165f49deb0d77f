/**
 * The payloads several states share: the execution input and what every Kubernetes step receives besides its own
 * fields. Each step's own input and output types live with the step that reads or returns them
 * (`functions/steps/<verb>.ts`: `FetchOutput` in fetch.ts, `TokenOutput` in token.ts, ...), so a new step declares
 * its contract in its own module. None of them holds a value or a token in plain text: those travel only as
 * sealed envelopes.
 */
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

/** What the Kubernetes steps receive besides their own fields: the Map item and the mapping's clusters. */
export interface TargetInput {
  readonly target: TargetRef;
  readonly clusters: ClusterMap;
}
