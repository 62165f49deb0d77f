import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TransientError,
  type SyncError,
} from './errors.ts';
import type { KeyService, SealContext } from './seal.ts';

/**
 * Narrow AWS adapters. Clients use the SDK's standard configuration (region,
 * credentials, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> endpoint
 * overrides), so the same bundle runs against AWS and against moto.
 */

/**
 * Options for every AWS client of the functions: the SDK sets no request
 * timeout by default, so a hung call would only end at the Lambda timeout
 * (which the state machine does not retry). With these, a hung call fails as
 * a TimeoutError, which {@link awsError} makes a TransientError that is retried.
 */
export const AWS_CLIENT_OPTIONS = { requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 } } as const;

/** One version of a secret as Secrets Manager returns it. */
export interface SecretVersion {
  readonly versionId: string;
  readonly createdDate: string;
  /** Staging labels of the version when it was read (AWSCURRENT, AWSPREVIOUS, ...). */
  readonly stages: readonly string[];
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/** Reads one version of one secret (AWSCURRENT when `versionId` is undefined). */
export async function getSecretVersion(client: SecretsManagerClient, arn: string, versionId?: string): Promise<SecretVersion> {
  try {
    const out = await client.send(
      new GetSecretValueCommand(versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    return {
      versionId: out.VersionId!,
      createdDate: (out.CreatedDate ?? new Date(0)).toISOString(),
      stages: out.VersionStages ?? [],
      secretString: out.SecretString,
      secretBinary: out.SecretBinary,
    };
  } catch (e) {
    throw awsError(e, `secretsmanager:GetSecretValue on ${arn}${versionId ? ` version ${versionId}` : ''}`);
  }
}

/** Whether a secret is scheduled for deletion, from DescribeSecret (metadata only, never a value). */
export interface SecretDeletionState {
  /** When the secret was deleted (ISO 8601); undefined when it is not scheduled for deletion. */
  readonly deletedDate?: string;
  /** The version that carries AWSCURRENT, when DescribeSecret lists one. */
  readonly currentVersionId?: string;
}

/**
 * Reads whether the secret is scheduled for deletion now. DescribeSecret
 * answers for a secret in its recovery window, unlike GetSecretValue.
 */
export async function describeSecretDeletion(client: SecretsManagerClient, arn: string): Promise<SecretDeletionState> {
  try {
    const out = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    return { deletedDate: out.DeletedDate?.toISOString(), currentVersionId: current };
  } catch (e) {
    throw awsError(e, `secretsmanager:DescribeSecret on ${arn}`);
  }
}

/** KMS envelope keys for {@link seal}/{@link unseal}, bound to the encryption context. */
export function kmsKeyService(client: KMSClient, keyId: string): KeyService {
  const ctx = (c: SealContext) => ({ mappingId: c.mappingId, purpose: c.purpose });
  return {
    generateDataKey: async (c) => {
      try {
        const out = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ctx(c) }));
        return { plaintext: out.Plaintext!, ciphertext: out.CiphertextBlob! };
      } catch (e) {
        throw awsError(e, `kms:GenerateDataKey on ${keyId}`);
      }
    },
    decrypt: async (ciphertext, c) => {
      try {
        const out = await client.send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId, EncryptionContext: ctx(c) }));
        return out.Plaintext!;
      } catch (e) {
        throw awsError(e, `kms:Decrypt on ${keyId}`);
      }
    },
  };
}

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'KMSInternalException', 'InternalServiceError', 'InternalFailure', 'ServiceUnavailable', 'KeyUnavailableException', 'DependencyTimeoutException']);

/**
 * Translates an AWS SDK error into the error contract. The SDK's messages
 * describe the request, never a secret value; they are kept.
 */
export function awsError(e: unknown, action: string): SyncError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode;
  const detail = `${name}: ${err.message ?? ''}`.trim();
  if (name === 'ResourceNotFoundException' || name === 'NotFoundException') return new NotFoundError(`${action} failed: ${detail}`);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || status === 403) {
    return new PermissionDeniedError(`${action} was denied: ${detail}`);
  }
  // AWS: "...because it was marked for deletion."; moto: "...currently marked deleted."
  if (name === 'InvalidRequestException' && /marked (for )?delet/i.test(err.message ?? '')) {
    return new NotFoundError(`${action} failed: the secret is scheduled for deletion (${detail}); restore it with RestoreSecret`);
  }
  if (THROTTLING.has(name) || (status !== undefined && (status >= 500 || status === 429)) || !status) {
    return new TransientError(`${action} failed: ${detail}`);
  }
  return new InvalidInputError(`${action} failed: ${detail}`);
}
