import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsError } from './aws-errors.ts';

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
export async function getSecretVersion(
  client: SecretsManagerClient,
  arn: string,
  versionId?: string,
): Promise<SecretVersion> {
  try {
    const out = await client.send(
      new GetSecretValueCommand(
        versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn, VersionStage: 'AWSCURRENT' },
      ),
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
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes('AWSCURRENT'),
    )?.[0];
    return { deletedDate: out.DeletedDate?.toISOString(), currentVersionId: current };
  } catch (e) {
    throw awsError(e, `secretsmanager:DescribeSecret on ${arn}`);
  }
}
