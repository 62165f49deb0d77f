import { Annotations, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../model/resource-names.ts';
import { REDRIVE_SYNC_TIMEOUT, RedriveSyncFunction, stateMachineArnPrefix } from './functions/redrive-sync.ts';

/** How long the dead-letter, sync-requests and parked queues keep a message: 14 days, the SQS maximum. */
export const QUEUE_RETENTION = Duration.days(14);

/** Output keys of the redrive wiring (the CLI reads them: infra/model/resource-names.ts's STACK_OUTPUTS). */
export const REDRIVE_OUTPUTS = {
  syncRequestsQueueArn: STACK_OUTPUTS.syncRequestsQueueArn,
  parkedQueueUrl: STACK_OUTPUTS.parkedQueueUrl,
  stateMachineArnPrefix: STACK_OUTPUTS.stateMachineArnPrefix,
  dlqRedriveCommand: STACK_OUTPUTS.dlqRedriveCommand,
} as const;

/** Props of {@link SyncRedrive}. */
export interface SyncRedriveProps {
  /** The shared dead-letter queue: failed syncs and undeliverable events. */
  readonly deadLetterQueue: IQueue;
  /** The name prefix of the app's state machines, in every stack (the only ones redrive may start). */
  readonly stateMachineNamePrefix: string;
  /**
   * Attempts a sync gets in all, the first run included; the DLQ message of a
   * failed attempt at or past it is parked instead of redriven.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * How often the consumer may fail to handle one message (StartExecution
   * throttled, say) before SQS returns it to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Retention of the consumer's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Redrive of failed syncs without loops or losses.
 *
 * - `sync-requests`, a queue whose redrive policy dead-letters into the DLQ:
 *   that makes the DLQ a valid source of StartMessageMoveTask (the console's
 *   "Start DLQ redrive"), with sync-requests as its destination.
 * - `redrive-sync`, a Lambda on sync-requests (partial batch responses), which
 *   starts the next attempt of the message's mapping on AWSCURRENT, or parks the
 *   message. A message it cannot handle goes back to the DLQ after
 *   `maxReceiveCount` receives.
 * - `parked`, where messages over the attempt limit or not understood stay
 *   (14 days, the SQS maximum). It is no queue's dead-letter queue, so nothing
 *   redrives it back into the loop; an alarm watches its depth (SyncMonitoring).
 */
export class SyncRedrive extends Construct {
  /** Where redriven messages arrive (the DLQ's redrive destination). */
  readonly syncRequests: Queue;
  /** Where messages stay that will not be redriven again. */
  readonly parkedQueue: Queue;
  /** The consumer of {@link syncRequests}. */
  readonly consumer: RedriveSyncFunction;

  constructor(scope: Construct, id: string, props: SyncRedriveProps) {
    super(scope, id);
    const maxAttempts = props.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      Annotations.of(this).addError(`maxAttempts is ${maxAttempts}; expected a whole number >= 1`);

    // SSE-SQS like the DLQ: the messages hold no secret data, and messages move between the two unchanged.
    this.syncRequests = new Queue(this, 'SyncRequests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: Duration.seconds(REDRIVE_SYNC_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    this.parkedQueue = new Queue(this, 'Parked', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
    });
    Validations.of(this.parkedQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The parked queue is the end of the redrive loop: messages stay here for a person (alarm on its depth). A ' +
        'dead-letter queue ' +
        'of its own would only be a second place to look; being nobody\'s DLQ keeps it out of "Start DLQ redrive".',
    });

    this.consumer = new RedriveSyncFunction(this, 'RedriveSync', {
      syncRequests: this.syncRequests,
      parkedQueue: this.parkedQueue,
      stateMachineNamePrefix: props.stateMachineNamePrefix,
      maxAttempts,
      logRetention: props.logRetention,
    });

    const stack = Stack.of(this);
    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
    output(
      REDRIVE_OUTPUTS.syncRequestsQueueArn,
      this.syncRequests.queueArn,
      'Destination of "Start DLQ redrive" on the dead-letter queue',
    );
    output(
      REDRIVE_OUTPUTS.parkedQueueUrl,
      this.parkedQueue.queueUrl,
      'Failed syncs that will not be redriven again (over the attempt limit or not understood)',
    );
    output(
      REDRIVE_OUTPUTS.stateMachineArnPrefix,
      stateMachineArnPrefix(stack, props.stateMachineNamePrefix),
      "Every mapping's state machine ARN, in every stack of the app, is this prefix followed by the mapping id",
    );
    output(
      REDRIVE_OUTPUTS.dlqRedriveCommand,
      `aws sqs start-message-move-task --source-arn ${props.deadLetterQueue.queueArn} ` +
        `--destination-arn ${this.syncRequests.queueArn}`,
      'Redrive every DLQ message from a terminal (or: eks-secret-sync redrive)',
    );
  }
}
