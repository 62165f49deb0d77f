import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import { SyncFunction } from '../lambda-defaults.ts';

/** The consumer's timeout; its source queue must hide a message six times as long (Lambda's advice for SQS). */
export const REDRIVE_SYNC_TIMEOUT = Duration.seconds(30);

/** Props of {@link RedriveSyncFunction}. */
export interface RedriveSyncFunctionProps {
  /** The queue of redriven dead-letter messages the function consumes (partial batch responses). */
  readonly syncRequests: IQueue;
  /** Where messages go that are over the attempt limit or not understood. */
  readonly parkedQueue: IQueue;
  /**
   * The name prefix of every mapping's state machine of the app, in all its stacks (`rulePrefix` of the app's
   * name, infra/model/resource-names.ts): the only state machines the function may start.
   */
  readonly stateMachineNamePrefix: string;
  /** Attempts a sync gets in all, the first run included, before its message is parked. */
  readonly maxAttempts: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** `arn:<partition>:states:<region>:<account>:stateMachine:<namePrefix>` in `stack`'s account and region. */
export function stateMachineArnPrefix(stack: Stack, namePrefix: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: namePrefix,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The redrive consumer (functions/redrive-sync): starts the next attempt of a redriven failed sync on its
 * mapping's state machine, or parks the message. Its role may consume the sync-requests queue, start the app's
 * state machines (by name prefix) and send to the parked queue.
 */
export class RedriveSyncFunction extends SyncFunction<'redrive-sync'> {
  constructor(scope: Construct, id: string, props: RedriveSyncFunctionProps) {
    const arnPrefix = stateMachineArnPrefix(Stack.of(scope), props.stateMachineNamePrefix);
    const environment: FunctionEnvironment<'redrive-sync'> = {
      // A prefix, not a list: the same few bytes for 1 and 500 mappings (Lambda allows 4 KB of environment).
      [ENV.stateMachineArnPrefix]: arnPrefix,
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
    // Every state machine of the app, in every stack, by its name prefix; no other app's (their prefix differs).
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [`${arnPrefix}*`] }),
    );
    const stack = Stack.of(scope);
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const where = `${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}`;
    const wildcard = `arn:<AWS::Partition>:states:${where}:stateMachine:${props.stateMachineNamePrefix}*`;
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${wildcard}]`,
      reason:
        "The redrive consumer starts a failed sync's state machine, which may be in any stack of the app: one " +
        "statement by the app's name prefix (the same size for any number of mappings; a list of ARNs would make " +
        'the core reference every other stack). Other apps have another prefix (a hash of their name).',
    });
    props.parkedQueue.grantSendMessages(this.role);
  }
}
