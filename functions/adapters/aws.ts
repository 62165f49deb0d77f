import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretDeletionState, SecretSource, SecretVersion } from '../domain/ports.ts';
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

/** The {@link SecretSource} port over one Secrets Manager client. */
export function secretsManagerSource(client: SecretsManagerClient): SecretSource {
  return {
    getSecretVersion: (arn, versionId) => getSecretVersion(client, arn, versionId),
    describeSecretDeletion: (arn) => describeSecretDeletion(client, arn),
  };
}
