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
  isPermanentStartError,
  parkedAttributes,
  type ParkDecision,
  type QueueMessage,
  type RedriveSettings,
  type StartDecision,
} from '../domain/redrive.ts';

/** What happened to one message. */
export type RedriveOutcome =
  | { readonly action: 'redriven'; readonly decision: StartDecision; readonly executionArn: string }
  | { readonly action: 'parked'; readonly decision: ParkDecision };

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
 * @throws the SDK's error when StartExecution fails for a reason that may pass
 *   (throttling, 5xx, access denied) or the parked queue refuses the message:
 *   the caller keeps the message and tries again later.
 */
export async function redriveMessage(
  message: QueueMessage,
  settings: RedriveSettings,
  targets: RedriveTargets,
  now = new Date(),
): Promise<RedriveOutcome> {
  const decision = decideRedrive(message, settings, now.toISOString());
  if (decision.action === 'park') {
    await parkMessage(message, decision, targets);
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
    return { action: 'redriven', decision, executionArn: out.executionArn ?? '' };
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (!isPermanentStartError(name)) throw e;
    const parked: ParkDecision = {
      action: 'park',
      reason: 'start-rejected',
      detail: `StartExecution refused attempt ${decision.input.attempt}: ${name}: ${causeLine((e as Error).message)}`,
      failed: decision.failed,
      mappingId: decision.failed.mappingId,
    };
    await parkMessage(message, parked, targets);
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
