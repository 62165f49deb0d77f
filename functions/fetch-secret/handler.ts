import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_CLIENT_OPTIONS, describeSecretDeletion, getSecretVersion } from '../adapters/aws.ts';
import type { FetchOutput, SyncInput } from '../domain/contract.ts';
import { encodeSecretData } from '../domain/data-codec.ts';
import { nameList } from '../domain/names.ts';
import {
  assertValidKeys,
  assertWithinKeyBudget,
  assertWithinSizeLimit,
  parseSecretPayload,
} from '../domain/secret-data.ts';
import { validateTypedValues } from '../domain/secret-types.ts';
import { requireEnv } from '../runtime/env.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { logger } from '../runtime/logger.ts';
import { seal } from '../adapters/seal.ts';
import { secretTypeFromEnv } from '../runtime/options.ts';
import { isDeleteSecretEvent, requestedVersion } from './event.ts';

const MAPPING_ID = requireEnv('MAPPING_ID');
const SECRET_ARN = requireEnv('SECRET_ARN');
const SECRET_TYPE = secretTypeFromEnv();
const keys = kmsKeyService(requireEnv('SEAL_KEY_ID'));
const secrets = new SecretsManagerClient(AWS_CLIENT_OPTIONS);

/**
 * Reads the secret version the event names (else AWSCURRENT), parses it into
 * Kubernetes data, refuses keys Kubernetes would refuse, and seals the data.
 * A CloudTrail DeleteSecret event of this secret is checked against the
 * secret's state now (DescribeSecret): still scheduled for deletion, the
 * output is a deletion (`source.deleted`, no keys, empty data sealed as
 * usual so the next steps run unchanged); restored meanwhile (a late
 * delivery), it is a normal sync of AWSCURRENT.
 *
 * @throws InvalidInputError for bad keys or values; NotFoundError, PermissionDeniedError, TransientError from AWS.
 */
export async function handler(input: SyncInput): Promise<FetchOutput> {
  // Taken before the read: a fetch that starts after a label move can only see the newer version.
  const fetchStarted = new Date().toISOString();
  if (isDeleteSecretEvent(input?.event, SECRET_ARN)) {
    const state = await describeSecretDeletion(secrets, SECRET_ARN);
    if (state.deletedDate !== undefined) return deletion(state.deletedDate, state.currentVersionId, fetchStarted);
    logger.info(
      'DeleteSecret event, but the secret is not scheduled for deletion (restored since): syncing AWSCURRENT',
      { mappingId: MAPPING_ID },
    );
  }
  const version = await getSecretVersion(secrets, SECRET_ARN, requestedVersion(input?.event, SECRET_ARN));
  const data = parseSecretPayload(version);
  const where = `secret ${SECRET_ARN} version ${version.versionId}`;
  assertValidKeys(Object.keys(data), where);
  assertWithinSizeLimit(data, where);
  assertWithinKeyBudget(Object.keys(data), where);
  validateTypedValues(SECRET_TYPE, data);
  const sealedData = await seal(keys, { mappingId: MAPPING_ID, purpose: 'secret-data' }, encodeSecretData(data));
  const out: FetchOutput = {
    source: {
      arn: SECRET_ARN,
      versionId: version.versionId,
      createdDate: version.createdDate,
      ...currency(version.stages, fetchStarted),
    },
    keys: nameList(Object.keys(data)),
    sealedData,
  };
  logger.info('fetched secret version', {
    mappingId: MAPPING_ID,
    versionId: version.versionId,
    keyCount: out.keys.count,
  });
  return out;
}

/** The output for a secret scheduled for deletion: what PlanMerge's deletion policy acts on. */
async function deletion(
  deletedDate: string,
  versionId: string | undefined,
  fetchStarted: string,
): Promise<FetchOutput> {
  const sealedData = await seal(keys, { mappingId: MAPPING_ID, purpose: 'secret-data' }, encodeSecretData({}));
  logger.info('the secret is scheduled for deletion', { mappingId: MAPPING_ID, deletedDate });
  return {
    source: {
      arn: SECRET_ARN,
      versionId: versionId ?? 'deleted',
      createdDate: deletedDate,
      deleted: true,
      currentAt: fetchStarted,
    },
    keys: nameList([]),
    sealedData,
  };
}

/** Whether the version was AWSCURRENT when fetched, and from when (the fetch's start). */
function currency(stages: readonly string[], fetchStarted: string): { current: boolean; currentAt?: string } {
  return stages.includes('AWSCURRENT') ? { current: true, currentAt: fetchStarted } : { current: false };
}
