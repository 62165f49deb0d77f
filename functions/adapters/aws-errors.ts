// Kept apart from aws.ts so that a bundle needing only this does not pull in an SDK client.
import {
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TransientError,
  type SyncError,
} from '../domain/errors.ts';

/** AWS asks the caller to slow down. */
const THROTTLING = [
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
];

/** Worth another attempt: throttling, and the services' own transient failures. */
const RETRYABLE = new Set([
  ...THROTTLING,
  'KMSInternalException',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'KeyUnavailableException',
  'DependencyTimeoutException',
]);

/** Whether an AWS error (SDK-shaped) asks the caller to slow down: a retry should back off longer. */
export function isThrottling(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.$metadata?.httpStatusCode === 429 || THROTTLING.includes(err?.name ?? '');
}

/**
 * Translates an AWS SDK error (or one shaped like it: name, message,
 * `$metadata.httpStatusCode`, as kms.ts builds) into the error contract. AWS
 * messages describe the request, never a secret value; they are kept.
 */
export function awsError(e: unknown, action: string): SyncError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode;
  const detail = `${name}: ${err.message ?? ''}`.trim();
  if (name === 'ResourceNotFoundException' || name === 'NotFoundException')
    return new NotFoundError(`${action} failed: ${detail}`);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || status === 403) {
    return new PermissionDeniedError(`${action} was denied: ${detail}`);
  }
  // AWS: "...because it was marked for deletion."; moto: "...currently marked deleted."
  if (name === 'InvalidRequestException' && /marked (for )?delet/i.test(err.message ?? '')) {
    return new NotFoundError(
      `${action} failed: the secret is scheduled for deletion (${detail}); restore it with RestoreSecret`,
    );
  }
  if (RETRYABLE.has(name) || (status !== undefined && (status >= 500 || status === 429)) || !status) {
    return new TransientError(`${action} failed: ${detail}`);
  }
  return new InvalidInputError(`${action} failed: ${detail}`);
}
