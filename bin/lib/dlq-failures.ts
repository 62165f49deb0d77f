/**
 * The failures the dead-letter queue holds, each counted once. SendToDlq's Retry stores a second, identical message
 * when SQS stored the first but its answer was lost, so the queue's depth can count a failure twice; `status`
 * counts the distinct failure keys (functions/domain/redrive.ts failureKey) of the messages it can see.
 */
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { failureKey, readDeadLetter } from '../../functions/domain/redrive.ts';
import { stringAttributes } from '../../functions/adapters/redrive-io.ts';
import type { AwsSession } from './aws.ts';
import { queueClient } from './stack.ts';

/** At most this many messages are read; past it the count is a lower bound. */
export const PEEK_MAX = 200;

/** How long a read message stays hidden before it is released (it is made visible again at once after reading). */
const PEEK_HOLD_SECONDS = 30;

/** One distinct failure the queue holds: whose it is and where it failed. */
export interface DlqFailure {
  /** The mapping (absent for a message that names none). */
  readonly mappingId?: string;
  /** The one target that failed (`<cluster>/<namespace>/<secretName>`), when the failure was one target's. */
  readonly target?: string;
  /** The state that failed (`Delivery`: EventBridge could not start the execution); absent for an unreadable one. */
  readonly step?: string;
  /** The error name, or why the message is not a failed sync. */
  readonly error: string;
  /** The first line of the cause (sanitized at the source, at most 200 characters). */
  readonly cause: string;
  readonly attempt?: number;
  /** Messages that carry this failure (2 or more: SendToDlq stored it twice). */
  readonly copies: number;
}

/** What {@link dlqFailures} found. */
export interface DlqFailures {
  /** Messages read. */
  readonly messages: number;
  /** Distinct failures among them (a message that is not a failed sync counts as one of its own). */
  readonly failures: number;
  /** Messages that were a second copy of a failure already counted. */
  readonly duplicates: number;
  /** True when the queue held more than {@link PEEK_MAX}: the counts are lower bounds. */
  readonly truncated: boolean;
  /** Each distinct failure once, in the order first read. */
  readonly items: readonly DlqFailure[];
}

/** Counts distinct failures in `messages` (the bodies and attributes as SQS returns them), and says whose. */
export function countFailures(messages: readonly Message[]): Omit<DlqFailures, 'truncated'> {
  const byKey = new Map<string, DlqFailure>();
  for (const m of messages) {
    const failed = readDeadLetter({ body: m.Body ?? '', attributes: stringAttributes(m.MessageAttributes) }, {});
    const key = 'action' in failed ? `message/${m.MessageId}` : failureKey(failed);
    const seen = byKey.get(key);
    if (seen) {
      byKey.set(key, { ...seen, copies: seen.copies + 1 });
      continue;
    }
    byKey.set(
      key,
      'action' in failed
        ? {
            ...((failed.mappingId ?? failed.failed?.mappingId) !== undefined && {
              mappingId: failed.mappingId ?? failed.failed?.mappingId,
            }),
            error: `not redrivable (${failed.reason})`,
            cause: failed.detail,
            copies: 1,
          }
        : {
            mappingId: failed.mappingId,
            ...(failed.target !== undefined && { target: failed.target }),
            step: failed.failedStep,
            error: failed.error,
            cause: failed.cause,
            attempt: failed.attempt,
            copies: 1,
          },
    );
  }
  const items = [...byKey.values()];
  return { messages: messages.length, failures: items.length, duplicates: messages.length - items.length, items };
}

/**
 * Reads the DLQ's messages (sqs:ReceiveMessage, held {@link PEEK_HOLD_SECONDS} s) and releases each at once
 * (sqs:ChangeMessageVisibility to 0): nothing is deleted or changed. A message that is not a failed sync (an
 * EventBridge dead letter, an unreadable one) counts as a failure of its own.
 */
export async function dlqFailures(url: string, aws: AwsSession): Promise<DlqFailures> {
  const sqs = await queueClient(aws);
  const read = new Map<string, Message>();
  try {
    while (read.size < PEEK_MAX) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: PEEK_HOLD_SECONDS,
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = (got.Messages ?? []).filter((m) => m.MessageId !== undefined && !read.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const m of fresh) read.set(m.MessageId!, m);
    }
  } finally {
    for (const m of read.values()) {
      await sqs
        .send(
          new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
        )
        .catch(() => undefined);
    }
    sqs.destroy();
  }
  return { ...countFailures([...read.values()]), truncated: read.size >= PEEK_MAX };
}
