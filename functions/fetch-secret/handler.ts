import { AWS_CLIENT_OPTIONS } from '../adapters/aws.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import type { SyncInput } from '../domain/contract.ts';
import { budgetEndsAt } from '../domain/execution-budget.ts';
import { systemClock } from '../domain/ports.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { dataShapeFrom, followLabelFrom, secretTypeFrom, sourceKindFrom } from '../runtime/options.ts';
import { type FetchOutput, fetchSecret, type FetchPorts, type FetchSettings } from '../steps/fetch.ts';
import { OPEN_SOURCE_KINDS, openSource } from '../sources/open.ts';
import { dynamoLedger } from '../adapters/ledger.ts';

const env = readEnv('fetch-secret');
const settings: FetchSettings = {
  mappingId: env[ENV.mappingId],
  secretArn: env[ENV.secretArn],
  type: secretTypeFrom(env),
  shape: dataShapeFrom(env),
  label: followLabelFrom(env),
};
const RESTORED = `DeleteSecret event, but the secret is not scheduled for deletion (restored since): synced ${
  settings.label
}`;
const ports: FetchPorts = {
  source: openSource(sourceKindFrom(env, OPEN_SOURCE_KINDS), AWS_CLIENT_OPTIONS, timeLeft).source,
  sealer: envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft })),
  clock: systemClock,
};
/** The sync ledger the lost-event sweep reads (docs/decisions.md#lost-event-sweep); unset: the sweep is off. */
const ledgerTable = env[ENV.syncLedgerTable];
const ledger = ledgerTable === undefined ? undefined : dynamoLedger(ledgerTable, { timeLeft });

/**
 * Writes the ledger item of this fetch. A failed write does not fail the sync: the ledger only feeds the sweep, which
 * then finds the mapping behind and starts one more (idempotent) sync, and raises SweepBehindAlarm if the writes keep
 * failing (docs/decisions.md#the-ledger-write-without-aws-sdkclient-dynamodb).
 */
async function recordFetch(mappingId: string, versionId: string): Promise<void> {
  try {
    await ledger?.recordFetch(
      { mappingId, secretArn: settings.secretArn, versionId, label: settings.label },
      new Date(),
    );
  } catch (e) {
    const err = e as Error;
    logger.warn('sync ledger not written: the sweep may start this sync again', {
      mappingId,
      versionId,
      error: err.name,
      reason: err.message,
    });
  }
}

/**
 * FetchSecret ({@link fetchSecret}): the secret version the event names, as
 * sealed Kubernetes data; a confirmed DeleteSecret event as a deletion.
 *
 * @throws InvalidInputError for bad keys or values; NotFoundError, PermissionDeniedError, TransientError from AWS.
 */
export async function handler(input: SyncInput, context?: InvocationContext): Promise<FetchOutput> {
  startInvocation(context, input);
  const out = await fetchSecret(ports, settings, input);
  const { mappingId, secretArn } = settings;
  if (out.source.deleted) {
    logger.info('the secret is scheduled for deletion', { mappingId, deletedDate: out.source.createdDate });
  } else {
    // A DeleteSecret event that led to a normal sync: the secret was restored since the event.
    const message = ports.source.readEvent(input.event, secretArn, settings.label).deletion
      ? RESTORED
      : 'fetched secret version';
    const missing = out.missingStages && { missingStages: out.missingStages };
    logger.info(message, { mappingId, versionId: out.source.versionId, keyCount: out.keys.count, ...missing });
    // After the fetch: a sync that got this version either completes or leaves its failure in the DLQ.
    await recordFetch(mappingId, out.source.versionId);
  }
  const ends = budgetEndsAt(input);
  return ends === undefined ? out : { ...out, budgetEndsAt: ends };
}
