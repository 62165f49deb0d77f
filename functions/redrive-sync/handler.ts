import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CLIENT_OPTIONS } from '../adapters/aws.ts';
import { ConfigError } from '../domain/errors.ts';
import { jsonValue, readEnv } from '../runtime/env.ts';
import { ENV } from '../runtime/env-contract.ts';
import { logger } from '../runtime/logger.ts';
import { RecentFailures, redriveMessage, stringAttributes } from '../adapters/redrive-io.ts';
import type { RedriveSettings } from '../domain/redrive.ts';

/** The part of Lambda's SQS record this function reads. */
interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes?: Record<string, { readonly stringValue?: string; readonly dataType?: string }>;
}

/** Lambda's partial batch response (the event source mapping has ReportBatchItemFailures). */
interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

const env = readEnv('redrive-sync');
const settings: RedriveSettings = {
  stateMachines: stateMachinesFromEnv(),
  stateMachineArnPrefix: stateMachineArnPrefixFromEnv(),
  maxAttempts: maxAttemptsFromEnv(),
};
/**
 * The failures this environment redrove or parked: a second copy of one (SendToDlq stored it twice) is acknowledged
 * without a second start, in the same batch or a later one while the environment lives (docs/operations.md).
 */
const handled = new RecentFailures();
const targets = {
  sfn: new SFNClient(AWS_CLIENT_OPTIONS),
  sqs: new SQSClient(AWS_CLIENT_OPTIONS),
  parkedQueueUrl: env[ENV.parkedQueueUrl],
};

/**
 * Turns each message moved back from the DLQ ("Start DLQ redrive" into the
 * sync-requests queue) into the next attempt of its mapping's sync, or parks
 * it. A message whose StartExecution or parking failed is reported as a batch
 * item failure: SQS delivers it again, and after the queue's maxReceiveCount
 * it returns to the DLQ. Nothing is dropped.
 */
export async function handler(event: { readonly Records?: readonly SqsRecord[] }): Promise<BatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event?.Records ?? []) {
    try {
      const out = await redriveMessage(
        { body: record.body ?? '', attributes: stringAttributes(record.messageAttributes) },
        settings,
        targets,
        new Date(),
        handled,
      );
      const failed = out.decision.failed;
      const fields = {
        messageId: record.messageId,
        mappingId: failed?.mappingId,
        target: failed?.target,
        failedAttempt: failed?.attempt,
        failedStep: failed?.failedStep,
        error: failed?.error,
      };
      if (out.action === 'redriven')
        logger.info('redriven', { ...fields, attempt: out.decision.input.attempt, executionArn: out.executionArn });
      else if (out.action === 'duplicate') logger.info('duplicate', { ...fields, failureKey: out.key });
      else logger.warn('parked', { ...fields, reason: out.decision.reason, detail: out.decision.detail });
    } catch (e) {
      const err = e as { name?: string; message?: string };
      logger.error('redrive failed; SQS will deliver the message again', {
        messageId: record.messageId,
        error: err.name,
        message: err.message,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** @throws ConfigError unless STATE_MACHINE_ARN_PREFIX is a state machine ARN up to the name's prefix. */
function stateMachineArnPrefixFromEnv(): string {
  const value = env[ENV.stateMachineArnPrefix];
  if (typeof value !== 'string' || !/^arn:[^:]+:states:[^:]+:\d{12}:stateMachine:.+$/.test(value)) {
    throw new ConfigError(
      `environment variable ${ENV.stateMachineArnPrefix} must be arn:<partition>:states:<region>:<account>:` +
        'stateMachine:<name prefix>',
    );
  }
  return value;
}

/** @throws ConfigError unless STATE_MACHINES, when set, is a JSON object of mapping id -> state machine ARN. */
function stateMachinesFromEnv(): Record<string, string> {
  const value = jsonValue<unknown>(ENV.stateMachines, env[ENV.stateMachines], {});
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' && v.startsWith('arn:'));
  if (!ok) {
    const what = 'a JSON object of mapping id -> state machine ARN';
    throw new ConfigError(`environment variable ${ENV.stateMachines} must be ${what}`);
  }
  return value as Record<string, string>;
}

/** @throws ConfigError unless REDRIVE_MAX_ATTEMPTS is a whole number >= 1. */
function maxAttemptsFromEnv(): number {
  const raw = env[ENV.redriveMaxAttempts];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    const got = JSON.stringify(raw);
    throw new ConfigError(`environment variable ${ENV.redriveMaxAttempts} is ${got}; expected a whole number >= 1`);
  }
  return n;
}
