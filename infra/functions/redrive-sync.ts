import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../functions/runtime/env-contract.ts';
import { SyncFunction } from '../lambda-defaults.ts';

/** The consumer's timeout; its source queue must hide a message six times as long (Lambda's advice for SQS). */
export const REDRIVE_SYNC_TIMEOUT = Duration.seconds(30);

/** Props of {@link RedriveSyncFunction}. */
export interface RedriveSyncFunctionProps {
  /** The queue of redriven dead-letter messages the function consumes (partial batch responses). */
  readonly syncRequests: IQueue;
  /** Where messages go that are over the attempt limit or not understood. */
  readonly parkedQueue: IQueue;
  /** Each mapping's state machine, by mapping id: the only ones the function may start. */
  readonly stateMachines: ReadonlyArray<{ readonly mappingId: string; readonly stateMachine: IStateMachine }>;
  /** Attempts a sync gets in all, the first run included, before its message is parked. */
  readonly maxAttempts: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The redrive consumer (functions/redrive-sync): starts the next attempt of a redriven failed sync on its
 * mapping's state machine, or parks the message. Its role may consume the sync-requests queue, start exactly
 * the given state machines and send to the parked queue.
 */
export class RedriveSyncFunction extends SyncFunction<'redrive-sync'> {
  constructor(scope: Construct, id: string, props: RedriveSyncFunctionProps) {
    const stack = Stack.of(scope);
    const stateMachines = Object.fromEntries(
      props.stateMachines.map((s) => [s.mappingId, s.stateMachine.stateMachineArn]),
    );
    const environment: FunctionEnvironment<'redrive-sync'> = {
      // About 180 bytes per mapping: at the stack's limit of 15 mappings still well within Lambda's 4 KB of
      // environment.
      [ENV.stateMachines]: stack.toJsonString(stateMachines),
      [ENV.parkedQueueUrl]: props.parkedQueue.queueUrl,
      [ENV.redriveMaxAttempts]: String(props.maxAttempts),
    };
    super(scope, id, {
      name: 'redrive-sync',
      description: 'eks-secret-sync redrive-sync: starts the next attempt of a redriven failed sync, or parks it',
      timeout: REDRIVE_SYNC_TIMEOUT,
      logRetention: props.logRetention,
      environment,
    });
    this.function.addEventSource(
      new SqsEventSource(props.syncRequests, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    // Granted after the event source's own grants: the statements keep the order they have always had.
    if (props.stateMachines.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: Object.values(stateMachines) }),
      );
    }
    props.parkedQueue.grantSendMessages(this.role);
  }
}
