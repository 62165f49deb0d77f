/**
 * The two AWS calls of a redrive, shared by the redrive-sync Lambda and the
 * CLI: StartExecution of the mapping's state machine, or SendMessage to the
 * parked queue. Neither deletes the message it handled: the caller does that
 * only after this returned (the Lambda by not reporting the item as failed,
 * the CLI with DeleteMessage), so a message is never lost between the two.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  causeLine,
  decideRedrive,
  failureKey,
  isPermanentStartError,
  parkedAttributes,
  type ParkDecision,
  type QueueMessage,
  type RedriveDecision,
  type RedriveSettings,
  type StartDecision,
} from '../domain/redrive.ts';

/** What happened to one message. */
export type RedriveOutcome =
  | { readonly action: 'redriven'; readonly decision: StartDecision; readonly executionArn: string }
  | { readonly action: 'parked'; readonly decision: ParkDecision }
  /** Another copy of a failure already redriven or parked (same {@link failureKey}): nothing was started. */
  | { readonly action: 'duplicate'; readonly decision: RedriveDecision; readonly key: string };

/** The failure keys a consumer has acted on (redrive-sync: per warm environment; the CLI: per run). */
export interface HandledFailures {
  has(key: string): boolean;
  add(key: string): void;
}

/** A set of failure keys that forgets the oldest past `max`, so a warm consumer's memory stays bounded. */
export class RecentFailures implements HandledFailures {
  private readonly keys = new Set<string>();
  private readonly max: number;
  constructor(max = 10_000) {
    this.max = max;
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
  }
}

/** The clients and the parked queue a redrive writes to. */
export interface RedriveTargets {
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly parkedQueueUrl: string;
}

/**
 * Redrives one DLQ message: starts the next attempt of its sync, or parks it
 * (over the attempt limit, not understood, unknown mapping, or an input Step
 * Functions refuses for good).
 *
 * A message whose failure (its {@link failureKey}) is in `handled` is a copy of one already acted on: it is
 * reported as `duplicate` and nothing is started or parked. So is a message whose StartExecution answers
 * ExecutionAlreadyExists: an execution of the name derived from its failure exists (Standard semantics; Express
 * never answers so).
 *
 * @throws the SDK's error when StartExecution fails for a reason that may pass
 *   (throttling, 5xx, access denied) or the parked queue refuses the message:
 *   the caller keeps the message and tries again later.
 */
export async function redriveMessage(
  message: QueueMessage,
  settings: RedriveSettings,
  targets: RedriveTargets,
  now = new Date(),
  handled?: HandledFailures,
): Promise<RedriveOutcome> {
  const decision = decideRedrive(message, settings, now.toISOString());
  const key = decision.failed === undefined ? undefined : failureKey(decision.failed);
  if (key !== undefined && handled?.has(key)) return { action: 'duplicate', decision, key };
  if (decision.action === 'park') {
    await parkMessage(message, decision, targets);
    if (key !== undefined) handled?.add(key);
    return { action: 'parked', decision };
  }
  try {
    const out = await targets.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: decision.stateMachineArn,
        name: decision.executionName,
        input: JSON.stringify(decision.input),
      }),
    );
    handled?.add(key!);
    return { action: 'redriven', decision, executionArn: out.executionArn ?? '' };
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'ExecutionAlreadyExists') {
      handled?.add(key!);
      return { action: 'duplicate', decision, key: key! };
    }
    if (!isPermanentStartError(name)) throw e;
    const parked: ParkDecision = {
      action: 'park',
      reason: 'start-rejected',
      detail: `StartExecution refused attempt ${decision.input.attempt}: ${name}: ${causeLine((e as Error).message)}`,
      failed: decision.failed,
      mappingId: decision.failed.mappingId,
    };
    await parkMessage(message, parked, targets);
    handled?.add(key!);
    return { action: 'parked', decision: parked };
  }
}

/** Sends the message, body unchanged, to the parked queue with {@link parkedAttributes}. */
export async function parkMessage(
  message: QueueMessage,
  decision: ParkDecision,
  targets: Pick<RedriveTargets, 'sqs' | 'parkedQueueUrl'>,
): Promise<void> {
  const attributes = parkedAttributes(decision, message.attributes);
  await targets.sqs.send(
    new SendMessageCommand({
      QueueUrl: targets.parkedQueueUrl,
      // SQS refuses an empty body; an empty message is parked as a visible placeholder.
      MessageBody: message.body === '' ? '(empty message body)' : message.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [
          name,
          { DataType: name === 'attempt' ? 'Number' : 'String', StringValue: value },
        ]),
      ),
    }),
  );
}

/** The String and Number attributes of an SDK or Lambda message, by name. */
export function stringAttributes(
  attributes:
    | Readonly<
        Record<
          string,
          {
            readonly StringValue?: string;
            readonly stringValue?: string;
            readonly DataType?: string;
            readonly dataType?: string;
          }
        >
      >
    | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, a] of Object.entries(attributes ?? {})) {
    const value = a.StringValue ?? a.stringValue;
    const type = a.DataType ?? a.dataType ?? 'String';
    if (value !== undefined && (type.startsWith('String') || type.startsWith('Number'))) out[name] = value;
  }
  return out;
}
