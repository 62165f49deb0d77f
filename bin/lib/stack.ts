/**
 * What the CLI reads from the deployed stack: the dead-letter queue (its URL from
 * a flag or the stack, and its depth) and the failed executions in a state
 * machine's log group (Express workflows have no history API: CloudWatch Logs is
 * the history). Names follow infra/: keep them in step (test/cli checks them
 * against the synthesized template).
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { OPTIONAL_SDK, optionalSdk, type AwsSession } from './aws.ts';

/** The CfnOutput key of the DLQ URL (infra/stack.ts). */
export const DLQ_OUTPUT_KEY = 'DeadLetterQueueUrl';

/** The execution log group of a mapping's state machine (infra/mapping.ts). */
export function executionLogGroup(stackName: string, mappingId: string): string {
  return `/aws/vendedlogs/states/eks-secret-sync/${stackName}/${mappingId}`;
}

/**
 * The DLQ's URL from the stack: its `DeadLetterQueueUrl` output, else (stacks
 * deployed before that output existed) the physical id of its DeadLetterQueue
 * resource, which for SQS is the URL.
 *
 * @throws MissingPackageError without @aws-sdk/client-cloudformation; Error when the stack has neither.
 */
export async function discoverDlqUrl(stackName: string, aws: AwsSession): Promise<string> {
  const sdk = await optionalSdk(OPTIONAL_SDK.cloudformation);
  const cfn = new sdk.CloudFormationClient!(await aws.config());
  try {
    const stacks = await cfn.send(new sdk.DescribeStacksCommand!({ StackName: stackName }));
    const outputs: { OutputKey?: string; OutputValue?: string }[] = stacks.Stacks?.[0]?.Outputs ?? [];
    const url = outputs.find((o) => o.OutputKey === DLQ_OUTPUT_KEY)?.OutputValue;
    if (url) return url;
    const res = await cfn.send(new sdk.DescribeStackResourcesCommand!({ StackName: stackName }));
    const queue = (res.StackResources ?? []).find(
      (r: { ResourceType?: string; LogicalResourceId?: string }) =>
        r.ResourceType === 'AWS::SQS::Queue' && r.LogicalResourceId?.startsWith('DeadLetterQueue'),
    );
    if (queue?.PhysicalResourceId) return queue.PhysicalResourceId as string;
    throw new Error(`stack ${stackName} has no ${DLQ_OUTPUT_KEY} output and no DeadLetterQueue resource`);
  } finally {
    cfn.destroy();
  }
}

/** Messages in the DLQ: visible (waiting) and in flight (being received). */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

/** Reads the DLQ's depth (sqs:GetQueueAttributes; receives nothing). */
export async function dlqDepth(url: string, aws: AwsSession): Promise<QueueDepth> {
  // With an endpoint override (AWS_ENDPOINT_URL), SQS is there, whatever host the queue URL names:
  // an emulator's CloudFormation reports queue URLs with the AWS host.
  const overridden = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
  const sqs = new SQSClient({ ...(await aws.config()), useQueueUrlAsEndpoint: !overridden });
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  } finally {
    sqs.destroy();
  }
}

/** One failed execution from the logs. */
export interface FailedExecution {
  readonly time: string;
  readonly executionArn: string;
  readonly error: string;
  /** The error message (the contract keeps it value-free), cut to 300 characters. */
  readonly cause: string;
}

/** At most this many failures are listed per mapping (newest kept). */
const MAX_FAILURES = 20;

/**
 * The ExecutionFailed events in a log group since `sinceMs` (epoch ms), newest
 * first. The JSON filter pattern does the work on AWS; the events are checked
 * again here, as an emulator may ignore the pattern.
 *
 * @throws MissingPackageError without @aws-sdk/client-cloudwatch-logs; the SDK's errors.
 */
export async function failedExecutions(
  logGroupName: string,
  sinceMs: number,
  aws: AwsSession,
): Promise<FailedExecution[]> {
  const sdk = await optionalSdk(OPTIONAL_SDK.logs);
  const logs = new sdk.CloudWatchLogsClient!(await aws.config());
  const found: FailedExecution[] = [];
  try {
    let nextToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await logs
        .send(
          new sdk.FilterLogEventsCommand!({
            logGroupName,
            startTime: sinceMs,
            filterPattern: '{ $.type = "ExecutionFailed" }',
            nextToken,
          }),
        )
        .catch((e: { name?: string }) => {
          if (e?.name === 'ResourceNotFoundException')
            throw new Error(`the log group ${logGroupName} does not exist (is the stack deployed?)`);
          throw e;
        });
      for (const e of out.events ?? []) {
        const failure = parseFailure(e.message, e.timestamp);
        if (failure) found.push(failure);
      }
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
  } finally {
    logs.destroy();
  }
  return found.sort((a, b) => (a.time < b.time ? 1 : -1)).slice(0, MAX_FAILURES);
}

/**
 * A Step Functions log event (`{type, execution_arn, event_timestamp, details: {error, cause}}`), if it is an
 * ExecutionFailed.
 */
export function parseFailure(message: unknown, timestamp: unknown): FailedExecution | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: a Step Functions execution's log event, read field by field.
  let event: any;
  try {
    event = JSON.parse(String(message));
  } catch {
    return undefined;
  }
  if (event?.type !== 'ExecutionFailed') return undefined;
  const ms = Number(event.event_timestamp ?? timestamp);
  const rawCause = String(event.details?.cause ?? '');
  let cause = rawCause;
  try {
    // A Lambda error arrives as {"errorType", "errorMessage", "trace"}: keep the message.
    const parsed = JSON.parse(rawCause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') cause = parsed.errorMessage;
  } catch {
    // not JSON: the cause as it is
  }
  return {
    time: Number.isFinite(ms) ? new Date(ms).toISOString() : 'unknown',
    executionArn: String(event.execution_arn ?? ''),
    error: String(event.details?.error ?? 'unknown'),
    cause: cause.replace(/\s+/g, ' ').slice(0, 300),
  };
}
