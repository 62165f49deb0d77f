/**
 * The error contract between the Lambdas and the state machine.
 *
 * Step Functions matches `Retry`/`Catch` `ErrorEquals` against the `name` of the
 * error a Lambda throws, so every class sets `name` to its own class name and the
 * ASL file lists exactly these names. Messages must be safe to show anywhere:
 * never a secret value, a token, a signed URL or a kubeconfig.
 */

/** Base of every error this project throws on purpose. */
export class SyncError extends Error {
  override name = 'SyncError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad input or configuration that no retry can fix (a bad key, a wrong type). Never retried. */
export class InvalidInputError extends SyncError {
  override name = 'InvalidInputError';
}

/** Something the sync needs does not exist (the AWS secret, the namespace). Never retried. */
export class NotFoundError extends SyncError {
  override name = 'NotFoundError';
}

/** The Kubernetes Secret changed between read and apply (409). The state machine re-reads and merges again. */
export class ConflictError extends SyncError {
  override name = 'ConflictError';
}

/** A passing failure: 5xx, 429, throttling, timeouts, connection resets. Retried with backoff. */
export class TransientError extends SyncError {
  override name = 'TransientError';
}

/**
 * The caller's identity may not do this (403, AccessDenied). The message names identity, verb and object. Never
 * retried.
 */
export class PermissionDeniedError extends SyncError {
  override name = 'PermissionDeniedError';
}

/**
 * The cluster did not accept the bearer token (401), typically because it expired. The state machine mints a new one.
 */
export class UnauthorizedError extends SyncError {
  override name = 'UnauthorizedError';
}

/** A Lambda's own configuration (environment) is missing or malformed. Thrown at init; never retried. */
export class ConfigError extends SyncError {
  override name = 'ConfigError';
}

/**
 * The execution's time budget (domain/execution-budget.ts) ran out before this step could start or finish. No
 * Retry names it; every task's Catch (States.ALL) sends the sync to SendToDlq while the execution still has time.
 */
export class ExecutionBudgetError extends SyncError {
  override name = 'ExecutionBudgetError';
}

/**
 * The Secret is owned by another controller (an ownerReference with `controller: true`, such as an
 * ExternalSecret) and the mapping does not adopt it: two writers of one Secret fight, so nothing is written.
 * Not retried; every task's Catch (States.ALL) sends the sync to the DLQ, named by this error.
 */
export class ForeignOwnerError extends SyncError {
  override name = 'ForeignOwnerError';
}

/**
 * A restarted workload did not finish its rollout in the mapping's `rolloutTimeoutSeconds` (or cannot: a
 * Deployment past its progress deadline, an OnDelete update strategy). No Retry names it: the sync goes to the DLQ
 * naming each workload and the condition unmet. The Secret stays written.
 */
export class RolloutUnhealthyError extends SyncError {
  override name = 'RolloutUnhealthyError';
}

/** Every error name the state machine may match on, for the ASL contract test. */
export const ERROR_NAMES = [
  'InvalidInputError',
  'NotFoundError',
  'ConflictError',
  'TransientError',
  'PermissionDeniedError',
  'UnauthorizedError',
  'ConfigError',
] as const;

/** One of the names in {@link ERROR_NAMES}. */
export type ErrorName = (typeof ERROR_NAMES)[number];
