import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  noDeadline,
  type SecretDeletionState,
  type SecretSource,
  type SecretVersion,
  type TimeLeft,
} from '../domain/ports.ts';
import { assertTimeForAttempt, deadlineSignal, outOfTime } from './deadline.ts';
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

function versionOf(out: GetSecretValueCommandOutput): SecretVersion {
  return {
    versionId: out.VersionId!,
    createdDate: (out.CreatedDate ?? new Date(0)).toISOString(),
    stages: out.VersionStages ?? [],
    secretString: out.SecretString,
    secretBinary: out.SecretBinary,
  };
}

/** Reads one version of one secret (AWSCURRENT when `versionId` is undefined), within the time left. */
export async function getSecretVersion(
  client: SecretsManagerClient,
  arn: string,
  versionId?: string,
  timeLeft: TimeLeft = noDeadline,
): Promise<SecretVersion> {
  const action = `secretsmanager:GetSecretValue on ${arn}${versionId ? ` version ${versionId}` : ''}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(
      new GetSecretValueCommand(
        versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn, VersionStage: 'AWSCURRENT' },
      ),
      { abortSignal: deadlineSignal(timeLeft) },
    );
    return versionOf(out);
  } catch (e) {
    throw (e as Error).name === 'AbortError' ? outOfTime(action) : awsError(e, action);
  }
}

/**
 * Reads the version carrying `stage`, within the time left; null when no version carries it. Secrets Manager
 * answers ResourceNotFoundException both for a missing secret and for a label no version carries: the caller
 * reads the secret's primary version first, so a NotFound here is the label.
 */
export async function getSecretStage(
  client: SecretsManagerClient,
  arn: string,
  stage: string,
  timeLeft: TimeLeft = noDeadline,
): Promise<SecretVersion | null> {
  const action = `secretsmanager:GetSecretValue on ${arn} stage ${stage}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }), {
      abortSignal: deadlineSignal(timeLeft),
    });
    return versionOf(out);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return null;
    throw (e as Error).name === 'AbortError' ? outOfTime(action) : awsError(e, action);
  }
}

/**
 * Reads whether the secret is scheduled for deletion now. DescribeSecret
 * answers for a secret in its recovery window, unlike GetSecretValue.
 */
export async function describeSecretDeletion(
  client: SecretsManagerClient,
  arn: string,
  timeLeft: TimeLeft = noDeadline,
): Promise<SecretDeletionState> {
  const action = `secretsmanager:DescribeSecret on ${arn}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(new DescribeSecretCommand({ SecretId: arn }), {
      abortSignal: deadlineSignal(timeLeft),
    });
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes('AWSCURRENT'),
    )?.[0];
    return { deletedDate: out.DeletedDate?.toISOString(), currentVersionId: current };
  } catch (e) {
    throw (e as Error).name === 'AbortError' ? outOfTime(action) : awsError(e, action);
  }
}

/** The {@link SecretSource} port over one Secrets Manager client; each call ends within `timeLeft`. */
export function secretsManagerSource(client: SecretsManagerClient, timeLeft: TimeLeft = noDeadline): SecretSource {
  return {
    getSecretVersion: (arn, versionId) => getSecretVersion(client, arn, versionId, timeLeft),
    getSecretStage: (arn, stage) => getSecretStage(client, arn, stage, timeLeft),
    describeSecretDeletion: (arn) => describeSecretDeletion(client, arn, timeLeft),
  };
}
