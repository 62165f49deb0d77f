/**
 * What the CLI reads from the deployed stack: the dead-letter queue (its URL from
 * a flag or the stack, and its depth) and a mapping's failed executions in the
 * stack's execution log group (Express workflows have no history API: CloudWatch
 * Logs is the history). Names come from infra/model/resource-names.ts (test/cli checks
 * them against the synthesized template).
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Mapping } from '../../infra/model/config.ts';
import {
  executionLogGroupPrefix,
  legacyExecutionLogGroupPrefix,
  mappingOfExecution,
  stateMachineName,
} from '../../infra/model/resource-names.ts';
import { parseSecretArn } from '../../infra/model/secret-arn.ts';
import { OPTIONAL_SDK, optionalSdk, type AwsSession } from './aws.ts';

export { executionLogGroupPrefix, legacyExecutionLogGroupPrefix } from '../../infra/model/resource-names.ts';

/** The CfnOutput key of the DLQ URL (infra/constructs/stack.ts). */
export const DLQ_OUTPUT_KEY = 'DeadLetterQueueUrl';

/** Where a mapping's execution records are: a log group, and in the stack's shared group, its executions' ARNs. */
export interface ExecutionLogs {
  readonly logGroupName: string;
  /** In the shared group: the start of the ARN of every execution of the mapping's state machine. */
  readonly executionArnPrefix?: string;
}

/** The log groups whose names start with `prefix`, newest first (at most 10 pages). */
async function groupsByPrefix(prefix: string, aws: AwsSession): Promise<{ logGroupName?: string }[]> {
  const sdk = await optionalSdk(OPTIONAL_SDK.logs);
  const logs = new sdk.CloudWatchLogsClient!(await aws.config());
  try {
    const groups: { logGroupName?: string; creationTime?: number }[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await logs.send(new sdk.DescribeLogGroupsCommand!({ logGroupNamePrefix: prefix, nextToken }));
      groups.push(...(out.logGroups ?? []));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return groups.sort((a, b) => (b.creationTime ?? 0) - (a.creationTime ?? 0));
  } finally {
    logs.destroy();
  }
}

/**
 * Where a mapping's executions are logged: the stack's one execution log group (the newest under
 * {@link executionLogGroupPrefix}, as a deleted stack's group is kept), with the ARN prefix of the mapping's
 * executions; else, for stacks deployed before that group, the mapping's own group (the newest under
 * {@link legacyExecutionLogGroupPrefix}, or that prefix without its last `/`).
 *
 * @throws Error when no such group exists (the stack is not deployed), or what CloudWatch Logs throws.
 */
export async function findExecutionLogGroup(stackName: string, m: Mapping, aws: AwsSession): Promise<ExecutionLogs> {
  const shared = (await groupsByPrefix(executionLogGroupPrefix(stackName), aws))[0]?.logGroupName;
  const arn = parseSecretArn(m.secretArn)!;
  if (shared !== undefined) {
    const machine = stateMachineName(stackName, m.id);
    return {
      logGroupName: shared,
      executionArnPrefix: `arn:${arn.partition}:states:${arn.region}:${arn.account}:express:${machine}:`,
    };
  }
  const prefix = legacyExecutionLogGroupPrefix(stackName, m.id);
  const legacy = prefix.slice(0, -1);
  const own = (await groupsByPrefix(legacy, aws)).find(
    (g) => g.logGroupName === legacy || g.logGroupName?.startsWith(prefix),
  )?.logGroupName;
  if (own === undefined) {
    throw new Error(`no log group ${executionLogGroupPrefix(stackName)}<stack id> exists (is the stack deployed?)`);
  }
  return { logGroupName: own };
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

/**
 * An SQS client for the app's queue URLs. With an endpoint override (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL`), SQS
 * is there, whatever host a queue URL names (an emulator's CloudFormation reports queue URLs with the AWS host);
 * otherwise the SDK's default, the queue URL's host.
 */
export async function queueClient(aws: AwsSession): Promise<SQSClient> {
  const overridden = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
  return new SQSClient({ ...(await aws.config()), useQueueUrlAsEndpoint: !overridden });
}

/** Reads the DLQ's depth (sqs:GetQueueAttributes; receives nothing). */
export async function dlqDepth(url: string, aws: AwsSession): Promise<QueueDepth> {
  const sqs = await queueClient(aws);
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
 * The ExecutionFailed events of one mapping since `sinceMs` (epoch ms), newest
 * first. The JSON filter pattern does the work on AWS (in the shared group, with
 * the ARN prefix of the mapping's executions); the events are checked again
 * here, as an emulator may ignore the pattern.
 *
 * @throws MissingPackageError without @aws-sdk/client-cloudwatch-logs; the SDK's errors.
 */
export async function failedExecutions(
  where: ExecutionLogs,
  sinceMs: number,
  aws: AwsSession,
  limits: { readonly pages: number; readonly listed: number } = { pages: 10, listed: MAX_FAILURES },
): Promise<FailedExecution[]> {
  const { logGroupName, executionArnPrefix } = where;
  const ours = executionArnPrefix === undefined ? '' : ` && $.execution_arn = "${executionArnPrefix}*"`;
  const sdk = await optionalSdk(OPTIONAL_SDK.logs);
  const logs = new sdk.CloudWatchLogsClient!(await aws.config());
  const found: FailedExecution[] = [];
  try {
    let nextToken: string | undefined;
    for (let page = 0; page < limits.pages; page++) {
      const out = await logs
        .send(
          new sdk.FilterLogEventsCommand!({
            logGroupName,
            startTime: sinceMs,
            filterPattern: `{ $.type = "ExecutionFailed"${ours} }`,
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
        if (failure?.executionArn.startsWith(executionArnPrefix ?? '')) found.push(failure);
      }
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
  } finally {
    logs.destroy();
  }
  return found.sort((a, b) => (a.time < b.time ? 1 : -1)).slice(0, limits.listed);
}

/** A mapping's failed executions, and the log group they were read from. */
export interface MappingFailures {
  readonly logGroupName: string;
  readonly items: FailedExecution[];
}

/**
 * The failed executions of every mapping of a stack since `sinceMs`, read once: one DescribeLogGroups and one
 * FilterLogEvents pass over the stack's execution log group (up to 100 pages), split by the mapping of each
 * execution ARN, however many mappings ask (CloudWatch Logs allows only a few FilterLogEvents calls a second, so a
 * call per mapping would be throttled at hundreds). A stack deployed before the shared group is read per mapping,
 * from the mapping's own group.
 *
 * @returns a reader to call for each mapping; its promise rejects with what {@link failedExecutions} throws.
 */
export function stackFailures(
  stackName: string,
  sinceMs: number,
  aws: AwsSession,
): (m: Mapping) => Promise<MappingFailures> {
  let shared: Promise<{ logGroupName: string; byMapping: Map<string, FailedExecution[]> } | undefined> | undefined;
  const readShared = async () => {
    const logGroupName = (await groupsByPrefix(executionLogGroupPrefix(stackName), aws))[0]?.logGroupName;
    if (logGroupName === undefined) return undefined;
    const all = await failedExecutions({ logGroupName }, sinceMs, aws, { pages: 100, listed: Infinity });
    const byMapping = new Map<string, FailedExecution[]>();
    for (const f of all) {
      const id = mappingOfExecution(stackName, f.executionArn);
      if (id !== undefined) byMapping.set(id, [...(byMapping.get(id) ?? []), f]);
    }
    return { logGroupName, byMapping };
  };
  return async (m) => {
    shared ??= readShared();
    const read = await shared;
    if (read)
      return { logGroupName: read.logGroupName, items: (read.byMapping.get(m.id) ?? []).slice(0, MAX_FAILURES) };
    const own = await findExecutionLogGroup(stackName, m, aws);
    return { logGroupName: own.logGroupName, items: await failedExecutions(own, sinceMs, aws) };
  };
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
