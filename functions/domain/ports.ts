/**
 * The ports the sync steps (functions/steps) work through: narrow interfaces
 * that the adapters (functions/adapters) implement over AWS, KMS and
 * Kubernetes, and that tests and the CLI implement in memory. Types, and the
 * system clock.
 */
import type { WorkloadStatusView } from './rollout.ts';
import type { SecretDeleteOptions, SecretManifest, SecretMergePatch } from './requests.ts';
import type { RestartPatch, WorkloadRef } from './restart.ts';

/**
 * An envelope-encrypted value carried in the state machine's state: a KMS
 * data key encrypted under the stack's KMS key, and the payload encrypted
 * with that data key (AES-256-GCM). Only holders of kms:Decrypt for the same
 * encryption context can open it, so state, logs and DLQ messages never hold
 * a secret value or a token in plain text.
 */
export interface Sealed {
  readonly v: 1;
  /** Encrypted data key (KMS CiphertextBlob), base64. */
  readonly key: string;
  readonly iv: string;
  readonly tag: string;
  /** AES-256-GCM ciphertext, base64. */
  readonly data: string;
}

/** What a seal is bound to: the mapping and what it holds. KMS checks it on decrypt. */
export interface SealContext {
  readonly mappingId: string;
  readonly purpose: 'secret-data';
}

/** The two KMS calls envelope encryption needs (implemented over KMS in functions/adapters/kms.ts). */
export interface KeyService {
  generateDataKey(context: SealContext): Promise<{ plaintext: Uint8Array; ciphertext: Uint8Array }>;
  decrypt(ciphertext: Uint8Array, context: SealContext): Promise<Uint8Array>;
}

/**
 * Seals and opens values bound to a {@link SealContext}: over KMS envelope
 * encryption in the Lambdas (functions/adapters/seal.ts), with an in-memory
 * key in the CLI, the benchmark baseline and the unit tests
 * (functions/adapters/memory-sealer.ts). Both are AES-256-GCM.
 */
export interface Sealer {
  seal(context: SealContext, plaintext: Uint8Array): Promise<Sealed>;
  /** @throws InvalidInputError when `sealed` is not an envelope for `context`, or was tampered with. */
  open(context: SealContext, sealed: unknown): Promise<Uint8Array>;
}

/** The secret source port is in source.ts (a provider per folder of functions/sources/). */
export type { SecretSource } from './source.ts';

/** Mints the bearer token the cluster accepts (functions/adapters/eks-token.ts). The token is a credential. */
export interface TokenSigner {
  /** @throws InvalidInputError for a malformed cluster name, region or credentials. */
  mint(): Promise<{ readonly token: string; readonly expiresAt: string }>;
}

/** The time, as the steps see it: a port so that tests and replays can fix it. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A Kubernetes Secret as read or written: the fields the steps use. The
 * adapter's V1Secret (@kubernetes/client-node's type) fits it.
 */
export interface KubeSecret {
  readonly metadata?: {
    readonly resourceVersion?: string;
    /** The object's uid: a failure Event names it, so `kubectl describe secret` finds the Event. */
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly {
      readonly apiVersion: string;
      readonly kind: string;
      readonly name: string;
      readonly uid: string;
      readonly controller?: boolean;
    }[];
    /** Server-side apply's record of who set which field (`fieldsV1` holds `f:data` -> `f:<key>`). */
    readonly managedFields?: readonly { readonly manager?: string; readonly fieldsV1?: unknown }[];
  };
  readonly type?: string;
  /** base64 values by key. */
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * The calls the steps make on the mapping's one Secret (functions/adapters/kube.ts,
 * like External Secrets Operator's narrow KClient).
 *
 * Every call throws the error contract's errors: UnauthorizedError (401),
 * PermissionDeniedError (403), NotFoundError (404, e.g. the namespace),
 * ConflictError (409), InvalidInputError (422, other 4xx), TransientError.
 */
export interface SecretStore {
  /** The Secret, or null when it does not exist. */
  get(): Promise<KubeSecret | null>;
  /** Server-side apply (creates the Secret; RBAC can name it, unlike POST). */
  apply(manifest: SecretManifest, fieldManager: string, options?: { readonly force?: boolean }): Promise<KubeSecret>;
  /** JSON merge patch; `metadata.resourceVersion` in the patch makes it conditional. */
  mergePatch(patch: SecretMergePatch): Promise<KubeSecret>;
  /** DELETE with preconditions (409 when the Secret changed); a Secret already gone counts as deleted. */
  delete(options: SecretDeleteOptions): Promise<void>;
}

/**
 * The calls of the restart step on one workload (apps/v1) in the namespace: the restart's strategic merge patch,
 * and the GET that follows its rollout.
 */
export interface WorkloadPatcher {
  /** @throws NotFoundError when the workload does not exist; otherwise as {@link SecretStore}. */
  strategicMergePatch(workload: WorkloadRef, patch: RestartPatch): Promise<void>;
  /** The workload's generation, spec and status. @throws as {@link WorkloadPatcher.strategicMergePatch}. */
  status(workload: WorkloadRef): Promise<WorkloadStatusView>;
}

/** The one call of the failure report: create a core/v1 Event in the namespace (RBAC cannot name it). */
export interface EventRecorder {
  /** @throws as {@link SecretStore}. */
  create(event: KubeEvent): Promise<void>;
}

/** A core/v1 Event as the failure report writes it (functions/domain/failure-event.ts). */
export interface KubeEvent {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
  readonly [field: string]: unknown;
}

/**
 * Connects to the cluster with a bearer token (opened inside the step, so
 * the token never leaves it): how a step gets its Kubernetes client.
 */
export type Connect<Client> = (token: string) => Client;

/**
 * Milliseconds the current invocation has left for calls to the outside: the
 * Lambda's remaining time less a margin to fail with a named error and log
 * it. Adapters bound each attempt by it and give up, as a TransientError the
 * state machine retries, rather than run into the function's timeout.
 */
export type TimeLeft = () => number;

/** No deadline: the CLI, the benchmarks and tests that do not give one. */
export const noDeadline: TimeLeft = () => Number.POSITIVE_INFINITY;
