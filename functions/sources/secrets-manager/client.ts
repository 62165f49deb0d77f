/**
 * The Secrets Manager provider's run-time side: the {@link SecretSource} port over one Secrets Manager client
 * (GetSecretValue for a version, DescribeSecret for a deletion), each call bounded by the invocation's time left.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsError } from '../../adapters/aws-errors.ts';
import { assertTimeForAttempt, deadlineSignal, outOfTime } from '../../adapters/deadline.ts';
import { CURRENT_LABEL } from '../../domain/events.ts';
import { noDeadline, type TimeLeft } from '../../domain/ports.ts';
import type { SecretSource, SourceCurrent, SourceDeletion, SourceVersion } from '../../domain/source.ts';
import { readSecretsManagerEvent } from './event-reading.ts';

function versionOf(out: GetSecretValueCommandOutput, label: string = CURRENT_LABEL): SourceVersion {
  return {
    versionId: out.VersionId!,
    createdDate: (out.CreatedDate ?? new Date(0)).toISOString(),
    current: (out.VersionStages ?? []).includes(label),
    secretString: out.SecretString,
    secretBinary: out.SecretBinary,
  };
}

/**
 * Reads one version of one secret (the one carrying `label`, default AWSCURRENT, when `versionId` is undefined),
 * within the time left; `current` says whether it carries `label`.
 */
export async function getSecretVersion(
  client: SecretsManagerClient,
  arn: string,
  versionId?: string,
  timeLeft: TimeLeft = noDeadline,
  label: string = CURRENT_LABEL,
): Promise<SourceVersion> {
  const which = versionId ? ` version ${versionId}` : label === CURRENT_LABEL ? '' : ` stage ${label}`;
  const action = `secretsmanager:GetSecretValue on ${arn}${which}`;
  assertTimeForAttempt(timeLeft, action);
  try {
    const out = await client.send(
      new GetSecretValueCommand(
        versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn, VersionStage: label },
      ),
      { abortSignal: deadlineSignal(timeLeft) },
    );
    return versionOf(out, label);
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
): Promise<SourceVersion | null> {
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

/**
 * Reads the version id and creation date of the version carrying `label` (default AWSCURRENT; ListSecretVersionIds)
 * and a pending deletion (DescribeSecret); metadata only, never a value.
 *
 * @throws SyncError (awsError) naming the call and the secret; TransientError when the time left runs out.
 */
export async function describeCurrentVersion(
  client: SecretsManagerClient,
  arn: string,
  timeLeft: TimeLeft = noDeadline,
  label: string = CURRENT_LABEL,
): Promise<SourceCurrent> {
  const send = async <T>(action: string, call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> => {
    assertTimeForAttempt(timeLeft, action);
    try {
      return await call(deadlineSignal(timeLeft));
    } catch (e) {
      throw (e as Error).name === 'AbortError' ? outOfTime(action) : awsError(e, action);
    }
  };
  const described = await send(`secretsmanager:DescribeSecret on ${arn}`, (abortSignal) =>
    client.send(new DescribeSecretCommand({ SecretId: arn }), { abortSignal }),
  );
  const versions = await send(`secretsmanager:ListSecretVersionIds on ${arn}`, (abortSignal) =>
    client.send(new ListSecretVersionIdsCommand({ SecretId: arn, MaxResults: 100 }), { abortSignal }),
  );
  const current = (versions.Versions ?? []).find((v) => v.VersionStages?.includes(label));
  return {
    ...(current?.VersionId !== undefined && { currentVersionId: current.VersionId }),
    ...(current?.CreatedDate !== undefined && { createdDate: current.CreatedDate.toISOString() }),
    ...(described.DeletedDate !== undefined && { deletedDate: described.DeletedDate.toISOString() }),
  };
}

/** The {@link SecretSource} port over one Secrets Manager client; each call ends within `timeLeft`. */
export function secretsManagerSource(client: SecretsManagerClient, timeLeft: TimeLeft = noDeadline): SecretSource {
  return {
    readEvent: readSecretsManagerEvent,
    readVersion: (arn, versionId, label) => getSecretVersion(client, arn, versionId, timeLeft, label),
    readStage: (arn, stage) => getSecretStage(client, arn, stage, timeLeft),
    deletion: (arn) => describeSecretDeletion(client, arn, timeLeft),
    current: (arn, label) => describeCurrentVersion(client, arn, timeLeft, label),
  };
}
