/**
 * What a deployed app leaves in AWS for the CLI to read, staged in moto for the CLI docs' examples
 * (docs/cli.md#examples), since the test bed deploys no stack: the core stack `EksSecretSync` with its dead-letter
 * and parked queues and the outputs `status` and `redrive` read (moto's CloudFormation creates the queues), the
 * app's execution log group holding one failed execution of `app-config` (a 403 at ReadSecret an hour ago), that
 * failure's dead-letter message as SendToDlq writes it, and the mapping's `label` rule, disabled. The commands find
 * each of them by the names the constructs give (infra/model/resource-names.ts), as they would in an account.
 */
import { randomUUID } from 'node:crypto';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { secretEventPattern } from '../functions/domain/events.ts';
import { DLQ_OUTPUT_KEY } from '../bin/lib/stack.ts';
import {
  executionLogGroupPrefix,
  ruleName,
  rulePrefix,
  STATE_MACHINE_ARN_PREFIX_OUTPUT,
  stateMachineName,
} from '../infra/model/resource-names.ts';
import { parseSecretArn } from '../infra/model/secret-arn.ts';

/** The core stack's output of the parked queue's URL (infra/constructs/redrive.ts REDRIVE_OUTPUTS). */
const PARKED_OUTPUT_KEY = 'ParkedQueueUrl';

/** The `stack.name` of the docs' mappings file. */
export const DOC_STACK = 'EksSecretSync';

/** The AWS side of the test bed, as the SDK clients take it. */
export interface MotoAccess {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** What {@link stageDeployedApp} created. */
export interface DeployedApp {
  readonly dlqUrl: string;
  readonly logGroupName: string;
}

/** Stages the deployed app's traces for mapping `mappingId` (its secret `secretArn`, its Secret `ns/name`). */
export async function stageDeployedApp(
  aws: MotoAccess,
  mappingId: string,
  secretArn: string,
  secret: { namespace: string; name: string; cluster: string },
): Promise<DeployedApp> {
  const { partition, region, account } = parseSecretArn(secretArn)!;
  const queueName = `${DOC_STACK}-DeadLetterQueue`;
  const cfn = new CloudFormationClient(aws);
  await cfn
    .send(
      new CreateStackCommand({
        StackName: DOC_STACK,
        TemplateBody: JSON.stringify({
          Resources: {
            DeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: queueName } },
            ParkedQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `${DOC_STACK}-ParkedQueue` } },
          },
          Outputs: {
            [DLQ_OUTPUT_KEY]: { Value: { Ref: 'DeadLetterQueue' } },
            [PARKED_OUTPUT_KEY]: { Value: { Ref: 'ParkedQueue' } },
            // As the core stack writes it (infra/constructs/functions/redrive-sync.ts): every state machine's ARN.
            [STATE_MACHINE_ARN_PREFIX_OUTPUT]: {
              Value: `arn:${partition}:states:${region}:${account}:stateMachine:${rulePrefix(DOC_STACK)}`,
            },
          },
        }),
      }),
    )
    .finally(() => cfn.destroy());

  // One failed execution an hour ago: the mapping's role was refused the Secret (RBAC not yet applied).
  const machine = stateMachineName(DOC_STACK, mappingId);
  const run = `${randomUUID()}:${randomUUID()}`;
  const executionArn = `arn:${partition}:states:${region}:${account}:express:${machine}:${run}`;
  const role = `arn:${partition}:iam::${account}:role/${DOC_STACK}-${mappingId}-MintToken`;
  const cause = `${role} may not get Secret ${secret.namespace}/${secret.name}: secrets "${secret.name}" is forbidden`;
  const at = Date.now() - 3_600_000;
  const logGroupName = `${executionLogGroupPrefix(DOC_STACK)}${randomUUID()}`;
  const logs = new CloudWatchLogsClient(aws);
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: 'states/1' }));
    const message = {
      id: '12',
      type: 'ExecutionFailed',
      details: {
        error: 'PermissionDeniedError',
        cause: JSON.stringify({ errorType: 'PermissionDeniedError', errorMessage: cause }),
      },
      previous_event_id: '11',
      event_timestamp: String(at),
      execution_arn: executionArn,
    };
    await logs.send(
      new PutLogEventsCommand({
        logGroupName,
        logStreamName: 'states/1',
        logEvents: [{ timestamp: at, message: JSON.stringify(message) }],
      }),
    );
  } finally {
    logs.destroy();
  }

  // The same failure as SendToDlq stored it (functions/domain/redrive.ts reads this shape).
  const sqs = new SQSClient(aws);
  const dlqUrl = await sqs
    .send(new GetQueueUrlCommand({ QueueName: queueName }))
    .then(async ({ QueueUrl }) => {
      const body = {
        mappingId,
        event: {
          id: randomUUID(),
          source: 'aws.secretsmanager',
          'detail-type': 'Secret Label Updated',
          resources: [secretArn],
          detail: { labelUpdated: 'AWSCURRENT' },
        },
        attempt: 1,
        failedStep: 'ReadSecret',
        error: 'PermissionDeniedError',
        cause,
        executionId: executionArn,
        target: `${secret.cluster}/${secret.namespace}/${secret.name}`,
      };
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(body) }));
      return QueueUrl!;
    })
    .finally(() => sqs.destroy());

  // The mapping's rule, switched off by someone: doctor's `rule` check finds it.
  const events = new EventBridgeClient(aws);
  await events
    .send(
      new PutRuleCommand({
        Name: ruleName(DOC_STACK, mappingId, 'label'),
        EventPattern: JSON.stringify(secretEventPattern('label', secretArn)),
        State: 'DISABLED',
      }),
    )
    .finally(() => events.destroy());
  return { dlqUrl, logGroupName };
}
