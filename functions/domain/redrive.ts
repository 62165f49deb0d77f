/**
 * Redrive: what to do with one dead-letter message, shared by the redrive-sync
 * Lambda (messages moved back by "Start DLQ redrive") and the CLI's `redrive`
 * command (messages read from the DLQ). Pure: plain data in, plain data out.
 *
 * A DLQ message comes in one of two shapes:
 * - a failed sync, sent by the state machine's SendToDlq state: a JSON body
 *   `{mappingId, failedStep, error, cause, event, executionId, attempt}`;
 * - an event EventBridge could not deliver to a state machine: the body is the
 *   event itself and the rule and target are in the message attributes
 *   `RULE_ARN`, `TARGET_ARN` (with `ERROR_CODE`, `ERROR_MESSAGE`, ...). No
 *   execution ran; the failed delivery counts as attempt 1.
 *
 * Every message stands for one failed attempt N. If N < maxAttempts, the sync
 * runs again as attempt N + 1 on AWSCURRENT (a {@link REDRIVE_DETAIL_TYPE}
 * event names no version); otherwise, and whenever the message cannot be
 * understood, it is parked: kept in the parked queue, out of the loop.
 */
import { createHash } from 'node:crypto';
import type { SyncInput } from './contract.ts';
import { REDRIVE_DETAIL_TYPE, SYNTHETIC_SOURCE } from './events.ts';

/** `source` of the events redrive starts executions with: the event vocabulary's synthetic source. */
export const REDRIVE_SOURCE = SYNTHETIC_SOURCE;

export { REDRIVE_DETAIL_TYPE };

/** A queue message reduced to what redrive reads: the Lambda SQS record and the SDK's Message both map to it. */
export interface QueueMessage {
  readonly body: string;
  /** The message's String and Number attributes by name (EventBridge's RULE_ARN, TARGET_ARN, ...). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** What redrive needs to know about the stack. */
export interface RedriveSettings {
  /** The state machine ARN of each mapping, by mapping id (explicit ones; the prefix covers the others). */
  readonly stateMachines: Readonly<Record<string, string>>;
  /**
   * `arn:<partition>:states:<region>:<account>:stateMachine:<app prefix>`: the state machine of mapping `id` of
   * any stack of the app is this prefix followed by `id` (infra/model/resource-names.ts `stateMachineName`). A mapping
   * that has no state machine is then refused by StartExecution (parked as `start-rejected`).
   */
  readonly stateMachineArnPrefix?: string;
  /** Attempts a sync gets in all (the first run included); a message of a failed attempt at or past it is parked. */
  readonly maxAttempts: number;
}

/** The failed attempt a DLQ message reports. */
export interface FailedAttempt {
  readonly origin: 'sync-failure' | 'undelivered-event';
  readonly mappingId: string;
  /** The attempt that failed (1 = the first run). */
  readonly attempt: number;
  /** The state that failed, or `Delivery` when EventBridge could not start the execution. */
  readonly failedStep: string;
  /** The error name (`PermissionDeniedError`, EventBridge's `ERROR_CODE`, ...). */
  readonly error: string;
  /** The first line of the error message, at most {@link CAUSE_MAX} characters; never a trace. */
  readonly cause: string;
  /** The execution that failed (sync failures only). */
  readonly executionId?: string;
  /**
   * The one target that failed (`<cluster>/<namespace>/<secretName>`, the message's `target`): the redrive runs it
   * alone. Absent when the whole execution failed before its targets (FetchSecret) and was not filtered.
   */
  readonly target?: string;
  /** The event that started the first attempt. */
  readonly originalEvent: Record<string, unknown>;
}

/** Why a message is parked instead of redriven. */
export type ParkReason = 'max-attempts' | 'unparseable' | 'unknown-mapping' | 'start-rejected';

/** Run the sync again. */
export interface StartDecision {
  readonly action: 'start';
  readonly failed: FailedAttempt;
  readonly stateMachineArn: string;
  /**
   * A name derived from the failure's {@link failureKey}: every copy of one failure's message gives the same name
   * (Express does not refuse a name used before, so this traces; the consumers deduplicate by the key).
   */
  readonly executionName: string;
  readonly input: SyncInput;
}

/** Keep the message in the parked queue. */
export interface ParkDecision {
  readonly action: 'park';
  readonly reason: ParkReason;
  /** One line saying what was wrong (no message content beyond ids and error names). */
  readonly detail: string;
  /** Known when the message named a mapping. */
  readonly failed?: FailedAttempt;
  readonly mappingId?: string;
}

/** What to do with one message. */
export type RedriveDecision = StartDecision | ParkDecision;

/** Longest cause text kept. */
export const CAUSE_MAX = 200;

/** SQS allows at most 10 message attributes per message. */
const MAX_ATTRIBUTES = 10;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAttempt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * The first line of an error cause, at most `max` ({@link CAUSE_MAX}) characters. A
 * Lambda task's Cause is `{"errorType", "errorMessage", "trace"}`: only the
 * message is used, the trace never.
 */
export function causeLine(cause: unknown, max = CAUSE_MAX): string {
  let text = typeof cause === 'string' ? cause : '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed) && typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // not JSON: the text as it is
  }
  const line = text.split(/\r?\n/, 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The event that started the first attempt: a redrive event is unwrapped, so redrives never nest. */
export function originalEvent(event: Json): Json {
  if (
    event.source === REDRIVE_SOURCE &&
    event['detail-type'] === REDRIVE_DETAIL_TYPE &&
    isObject(event.detail) &&
    isObject(event.detail.original)
  ) {
    return event.detail.original;
  }
  return event;
}

/**
 * The mapping an undelivered event was for: the target ARN is one of the
 * stack's state machines; else the rule's name ends with `-<id>-label` or
 * `-<id>-trail` (infra/constructs/events.ts ruleName), the longest matching id winning.
 */
export function mappingOfUndelivered(
  attributes: Readonly<Record<string, string>>,
  stateMachines: Readonly<Record<string, string>>,
  stateMachineArnPrefix?: string,
): string | undefined {
  const target = attributes.TARGET_ARN;
  const byTarget = Object.entries(stateMachines).find(([, arn]) => arn === target);
  if (byTarget) return byTarget[0];
  if (stateMachineArnPrefix !== undefined && target?.startsWith(stateMachineArnPrefix)) {
    return target.slice(stateMachineArnPrefix.length) || undefined;
  }
  const rule = attributes.RULE_ARN?.split('/').at(-1);
  if (!rule) return undefined;
  // Rule names share the state machines' name prefix: `<prefix><id>-<label|trail|sched>`.
  const namePrefix = stateMachineArnPrefix?.split(':').at(-1);
  const byPrefix =
    namePrefix !== undefined && rule.startsWith(namePrefix)
      ? /^(.+)-(?:label|trail|sched)$/.exec(rule.slice(namePrefix.length))?.[1]
      : undefined;
  if (byPrefix !== undefined) return byPrefix;
  return Object.keys(stateMachines)
    .filter((id) => rule.endsWith(`-${id}-label`) || rule.endsWith(`-${id}-trail`))
    .sort((a, b) => b.length - a.length)[0];
}

/**
 * Reads a DLQ message as the failed attempt it reports.
 *
 * @returns the attempt, or a park decision saying why the message cannot be redriven.
 */
export function readDeadLetter(
  message: QueueMessage,
  stateMachines: Readonly<Record<string, string>>,
  stateMachineArnPrefix?: string,
): FailedAttempt | ParkDecision {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return park('unparseable', `the body is not JSON (${message.body.length} characters)`);
  }
  if (!isObject(body)) return park('unparseable', 'the body is not a JSON object');

  if ('mappingId' in body) {
    const { mappingId, event, attempt } = body;
    if (typeof mappingId !== 'string' || mappingId === '') return park('unparseable', 'mappingId is not a string');
    if (!isObject(event))
      return park('unparseable', `the message of mapping ${mappingId} has no event object`, mappingId);
    if (!isAttempt(attempt))
      return park(
        'unparseable',
        `the message of mapping ${mappingId} has no attempt number (whole number >= 1)`,
        mappingId,
      );
    return {
      origin: 'sync-failure',
      mappingId,
      attempt,
      failedStep: typeof body.failedStep === 'string' ? body.failedStep : 'unknown',
      error: typeof body.error === 'string' ? body.error : 'unknown',
      cause: causeLine(body.cause),
      ...(typeof body.executionId === 'string' && { executionId: body.executionId }),
      ...(typeof body.target === 'string' && body.target !== '' && { target: body.target }),
      originalEvent: originalEvent(event),
    };
  }

  if (message.attributes.RULE_ARN !== undefined || message.attributes.TARGET_ARN !== undefined) {
    if (typeof body.source !== 'string' || typeof body['detail-type'] !== 'string') {
      return park('unparseable', 'an EventBridge dead letter whose body is not an event (no source and detail-type)');
    }
    const mappingId = mappingOfUndelivered(message.attributes, stateMachines, stateMachineArnPrefix);
    if (mappingId === undefined) {
      return park(
        'unknown-mapping',
        `no mapping of this stack has the rule ${message.attributes.RULE_ARN ?? '?'} ` +
          `or target ${message.attributes.TARGET_ARN ?? '?'}`,
      );
    }
    return {
      origin: 'undelivered-event',
      mappingId,
      attempt: 1,
      failedStep: 'Delivery',
      error: message.attributes.ERROR_CODE ?? 'unknown',
      cause: causeLine(message.attributes.ERROR_MESSAGE),
      originalEvent: originalEvent(body),
    };
  }
  return park(
    'unparseable',
    'neither a failed sync (no mappingId) nor an EventBridge dead letter (no RULE_ARN/TARGET_ARN attribute)',
  );
}

/**
 * Decides what to do with one DLQ message: run its mapping's sync again as the
 * next attempt, or park it.
 *
 * @param now the time written into the redrive event (ISO 8601).
 */
export function decideRedrive(message: QueueMessage, settings: RedriveSettings, now: string): RedriveDecision {
  const failed = readDeadLetter(message, settings.stateMachines, settings.stateMachineArnPrefix);
  if ('action' in failed) return failed;
  const prefix = settings.stateMachineArnPrefix;
  const stateMachineArn =
    settings.stateMachines[failed.mappingId] ?? (prefix === undefined ? undefined : `${prefix}${failed.mappingId}`);
  if (stateMachineArn === undefined) {
    return {
      ...park(
        'unknown-mapping',
        `mapping ${failed.mappingId} is not in this stack (removed or renamed?)`,
        failed.mappingId,
      ),
      failed,
    };
  }
  if (failed.attempt >= settings.maxAttempts) {
    return {
      ...park(
        'max-attempts',
        `attempt ${failed.attempt} of ${settings.maxAttempts} failed at ${failed.failedStep} with ${failed.error}`,
        failed.mappingId,
      ),
      failed,
    };
  }
  const attempt = failed.attempt + 1;
  return {
    action: 'start',
    failed,
    stateMachineArn,
    executionName: executionName(failed, attempt, message.body),
    input: {
      event: redriveEvent(failed, now),
      attempt,
      ...(failed.target !== undefined && { onlyTarget: failed.target }),
    },
  };
}

/**
 * The event a redriven sync starts with. Its source is not Secrets Manager, so
 * FetchSecret reads AWSCURRENT (sources/secrets-manager/event-reading.ts): a redrive syncs the
 * secret's current value, whatever version the original event named.
 */
export function redriveEvent(failed: FailedAttempt, now: string): Record<string, unknown> {
  return {
    source: REDRIVE_SOURCE,
    'detail-type': REDRIVE_DETAIL_TYPE,
    time: now,
    detail: {
      original: failed.originalEvent,
      failedStep: failed.failedStep,
      error: failed.error,
      failedAttempt: failed.attempt,
      ...(failed.executionId !== undefined && { failedExecutionId: failed.executionId }),
      ...(failed.target !== undefined && { failedTarget: failed.target }),
    },
  };
}

/**
 * The name of an execution from its ARN: Express `arn:...:express:<machine>:<name>:<uuid>`, Standard
 * `arn:...:execution:<machine>:<name>`; anything else is kept whole.
 */
export function executionNameOf(executionId: string): string {
  const parts = executionId.split(':');
  if (parts[0] === 'arn' && parts[5] === 'express' && parts.length === 9) return parts[7]!;
  if (parts[0] === 'arn' && parts[5] === 'execution' && parts.length === 8) return parts[7]!;
  return executionId;
}

/**
 * The identity of a failed attempt, the same for every copy of its DLQ message: `<mapping>/<execution>/<attempt>`,
 * then `#<target>` for one target's failure (the targets of one execution fail, and are redriven, each on its own).
 * SendToDlq's Retry stores a second, identical message when SQS stored the first but its answer was lost (a
 * standard queue has no deduplication): both copies have this key, and every consumer (redrive-sync, the CLI's
 * `redrive` and `status`) acts on a key once. The execution is named by its name, not its ARN: Express does not
 * refuse a second execution with a name already used (it gets another ARN), so two executions started for one
 * failure, which redrive names alike, still count as one. An undelivered event is keyed by its event id.
 */
export function failureKey(failed: FailedAttempt): string {
  const execution =
    failed.executionId !== undefined
      ? executionNameOf(failed.executionId)
      : `event-${typeof failed.originalEvent.id === 'string' ? failed.originalEvent.id : 'unknown'}`;
  const target = failed.target === undefined ? '' : `#${failed.target}`;
  return `${failed.mappingId}/${execution}/${failed.attempt}${target}`;
}

/**
 * `redrive-<attempt>-<hash of the failure key>`: 80 characters at most, only characters Step Functions allows. Every
 * copy of one failure's message gives the same name.
 */
function executionName(failed: FailedAttempt, attempt: number, body: string): string {
  const key =
    failed.executionId !== undefined || typeof failed.originalEvent.id === 'string' ? failureKey(failed) : body;
  return `redrive-${attempt}-${createHash('sha256').update(`${failed.mappingId}\n${key}`).digest('hex').slice(0, 32)}`;
}

function park(reason: ParkReason, detail: string, mappingId?: string): ParkDecision {
  return { action: 'park', reason, detail, ...(mappingId !== undefined && { mappingId }) };
}

/**
 * The message attributes of a parked message: `reason`, `detail`, and when
 * known `mappingId` and `attempt`, then the original attributes (EventBridge's
 * RULE_ARN, ERROR_CODE, ...) as far as SQS's limit of 10 allows.
 */
export function parkedAttributes(
  decision: ParkDecision,
  original: Readonly<Record<string, string>>,
): Record<string, string> {
  const ours: Record<string, string> = { reason: decision.reason, detail: decision.detail.slice(0, 500) };
  const mappingId = decision.failed?.mappingId ?? decision.mappingId;
  if (mappingId !== undefined) ours.mappingId = mappingId;
  if (decision.failed) ours.attempt = String(decision.failed.attempt);
  const out = { ...ours };
  for (const [name, value] of Object.entries(original)) {
    if (Object.keys(out).length >= MAX_ATTRIBUTES) break;
    if (!(name in out) && value !== '') out[name] = value;
  }
  return out;
}

/**
 * Whether a StartExecution error will never go away by retrying (the input or
 * the target is wrong): such a message is parked, any other error is retried.
 */
export function isPermanentStartError(name: string | undefined): boolean {
  return name !== undefined && PERMANENT_START_ERRORS.has(name);
}

const PERMANENT_START_ERRORS = new Set([
  'InvalidExecutionInput',
  'InvalidArn',
  'InvalidName',
  'StateMachineDoesNotExist',
  'StateMachineDeleting',
  'ValidationException',
]);
