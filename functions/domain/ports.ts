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
  readonly purpose: 'secret-data' | 'eks-token';
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

/** One version of a secret as Secrets Manager returns it. */
export interface SecretVersion {
  readonly versionId: string;
  readonly createdDate: string;
  /** Staging labels of the version when it was read (AWSCURRENT, AWSPREVIOUS, ...). */
  readonly stages: readonly string[];
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/** Whether a secret is scheduled for deletion, from DescribeSecret (metadata only, never a value). */
export interface SecretDeletionState {
  /** When the secret was deleted (ISO 8601); undefined when it is not scheduled for deletion. */
  readonly deletedDate?: string;
  /** The version that carries AWSCURRENT, when DescribeSecret lists one. */
  readonly currentVersionId?: string;
}

/** The two Secrets Manager reads of the fetch step (functions/adapters/aws.ts). */
export interface SecretSource {
  /**
   * One version of the secret: `versionId`, else AWSCURRENT.
   *
   * @throws NotFoundError, PermissionDeniedError, TransientError, InvalidInputError.
   */
  getSecretVersion(arn: string, versionId?: string): Promise<SecretVersion>;
  /** Whether the secret is scheduled for deletion now (answers in the recovery window, unlike a read). */
  describeSecretDeletion(arn: string): Promise<SecretDeletionState>;
}

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
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
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
  apply(manifest: SecretManifest, fieldManager: string): Promise<KubeSecret>;
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
