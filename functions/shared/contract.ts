/**
 * The payloads between states: the ASL contract. Each type is what one Lambda
 * returns into the state (under the ResultPath the ASL gives it) or receives
 * (built by the state's Parameters). None of them holds a value or a token in
 * plain text: those travel only as {@link Sealed} envelopes.
 */
import type { MergePlan, NameList, Observation, SourceVersion } from './domain/types.ts';
import type { Sealed } from './seal.ts';

/** Execution input: the triggering event and which delivery of it this is. */
export interface SyncInput {
  /** The EventBridge event that started the sync (or a synthetic one from redrive, schedule, deploy). */
  readonly event: Record<string, unknown>;
  /** 1 for the first delivery; redrive increments it. */
  readonly attempt: number;
}

/** FetchSecret: in `{ event }`, out at `$.fetched`. */
export interface FetchOutput {
  readonly source: SourceVersion;
  readonly keys: NameList;
  readonly sealedData: Sealed;
}

/** MintToken: in `{}`, out at `$.token`. */
export interface TokenOutput {
  readonly sealedToken: Sealed;
  /** When clients should stop using the token (14 minutes after signing). */
  readonly expiresAt: string;
}

/** ReadSecret: in, out at `$.observed` ({@link Observation}). */
export interface ReadInput {
  readonly sealedData: Sealed;
  readonly sealedToken: Sealed;
}

/** PlanMerge: in, out at `$.plan` ({@link MergePlan}). */
export interface PlanInput {
  readonly source: SourceVersion;
  readonly observed: Observation;
}

/** ApplySecret: in, out at `$.applied`. */
export interface ApplyInput {
  readonly plan: MergePlan;
  readonly sealedData: Sealed;
  readonly sealedToken: Sealed;
}

/** What ApplySecret wrote. */
export interface ApplyOutput {
  readonly action: 'create' | 'update';
  readonly resourceVersion: string;
  readonly added: number;
  readonly updated: number;
  readonly pruned: number;
}
