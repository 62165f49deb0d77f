/**
 * The Secrets Manager provider's run-time side: the {@link SecretSource} port over one Secrets Manager client
 * (GetSecretValue for a version, DescribeSecret for a deletion), each call bounded by the invocation's time left.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsError } from '../../adapters/aws-errors.ts';
import { assertTimeForAttempt, deadlineSignal, outOfTime } from '../../adapters/deadline.ts';
import { CURRENT_LABEL } from '../../domain/events.ts';
import { noDeadline, type TimeLeft } from '../../domain/ports.ts';
import type { SecretSource, SourceDeletion, SourceVersion } from '../../domain/source.ts';
import { readSecretsManagerEvent } from './event-reading.ts';

/** Reads one version of one secret (AWSCURRENT when `versionId` is undefined), within the time left. */
export async function getSecretVersion(
  client: SecretsManagerClient,
  arn: string,
  versionId?: string,
  timeLeft: TimeLeft = noDeadline,
): Promise<SourceVersion> {
  const action = `secretsmanager:GetSecretValue on ${arn}${versionId ? ` version ${versionId}` : ''}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(
      new GetSecretValueCommand(
        versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn, VersionStage: CURRENT_LABEL },
      ),
      { abortSignal: deadlineSignal(timeLeft) },
    );
    return {
      versionId: out.VersionId!,
      createdDate: (out.CreatedDate ?? new Date(0)).toISOString(),
      current: (out.VersionStages ?? []).includes(CURRENT_LABEL),
      secretString: out.SecretString,
      secretBinary: out.SecretBinary,
    };
  } catch (e) {
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
): Promise<SourceDeletion> {
  const action = `secretsmanager:DescribeSecret on ${arn}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(new DescribeSecretCommand({ SecretId: arn }), {
      abortSignal: deadlineSignal(timeLeft),
    });
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes(CURRENT_LABEL),
    )?.[0];
    return { deletedDate: out.DeletedDate?.toISOString(), currentVersionId: current };
  } catch (e) {
    throw (e as Error).name === 'AbortError' ? outOfTime(action) : awsError(e, action);
  }
}

/** The {@link SecretSource} port over one Secrets Manager client; each call ends within `timeLeft`. */
export function secretsManagerSource(client: SecretsManagerClient, timeLeft: TimeLeft = noDeadline): SecretSource {
  return {
    readEvent: readSecretsManagerEvent,
    readVersion: (arn, versionId) => getSecretVersion(client, arn, versionId, timeLeft),
    deletion: (arn) => describeSecretDeletion(client, arn, timeLeft),
  };
}
