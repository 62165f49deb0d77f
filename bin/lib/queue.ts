/**
 * Reading a queue without taking its messages: receive, hold each while the caller works on it, and make visible
 * again at the end every message the caller did not delete. `status` (bin/lib/dlq-failures.ts) and `redrive`
 * (bin/commands/redrive.ts) read the dead-letter queue through this one loop.
 */
import { ChangeMessageVisibilityCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsSession } from './aws.ts';

/**
 * An SQS client for a queue URL read from a stack or a flag. With an endpoint override (AWS_ENDPOINT_URL), SQS is
 * there, whatever host the queue URL names: an emulator's CloudFormation reports queue URLs with the AWS host.
 */
export async function queueClient(aws: AwsSession): Promise<SQSClient> {
  const overridden = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
  return new SQSClient({ ...(await aws.config()), useQueueUrlAsEndpoint: !overridden });
}

/** How to read: the queue, how long a received message stays hidden, and whether to go on receiving. */
export interface ReceiveOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Seconds a received message stays hidden from other readers while `each` works on it. */
  readonly holdSeconds: number;
  /** Asked before each receive: false stops the loop. */
  readonly more: () => boolean;
}

/**
 * Receives until the queue returns no message not seen before (or `more()` turns false) and calls `each` once per
 * message. A message `each` passes to `release` is made visible again at the end, also when `each` throws.
 */
export async function receiveEach(
  o: ReceiveOptions,
  each: (m: Message, release: (m: Message) => void) => Promise<void> | void,
): Promise<void> {
  const seen = new Set<string>();
  const released: Message[] = [];
  const release = (m: Message) => void released.push(m);
  try {
    while (o.more()) {
      const got = await o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: o.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: o.holdSeconds,
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = (got.Messages ?? []).filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const m of fresh) {
        seen.add(m.MessageId!);
        await each(m, release);
      }
    }
  } finally {
    for (const m of released) {
      await o.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: o.queueUrl,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined);
    }
  }
}
