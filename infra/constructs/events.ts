/**
 * What starts a sync: the EventBridge patterns for one secret and the input
 * the state machine receives. Pure, so tests can check them without a stack.
 */
import {
  RuleTargetInput,
  type EventPattern,
  type IRuleRef,
  type IRuleTarget,
  type RuleTargetConfig,
  type RuleTargetInputProperties,
} from 'aws-cdk-lib/aws-events';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { SYNTHETIC_SOURCE, type EventPatternJson, type SecretEventRule } from '../../functions/domain/events.ts';
import type { SourceKind } from '../../functions/sources/providers.ts';
import { sourceProvider } from '../../functions/sources/providers.ts';
import { rulePrefix } from '../model/resource-names.ts';

export {
  CLOUDTRAIL_EVENT_NAMES,
  INITIAL_SYNC_DETAIL_TYPE,
  SCHEDULED_SYNC_DETAIL_TYPE,
  SYNTHETIC_SOURCE,
} from '../../functions/domain/events.ts';

/**
 * The execution input: the whole matched event and the delivery attempt.
 * `<aws.events.event.json>` is the complete original event; the similar
 * `<aws.events.event>` leaves out `detail` (EventBridge user guide, "Amazon
 * EventBridge input transformation", predefined variables), and the fetch
 * step needs `detail.versionId`.
 */
export const EXECUTION_INPUT_TEMPLATE = '{"event": <aws.events.event.json>, "attempt": 1}';

/**
 * The pattern of a rule that starts a sync of `ref` at its source provider (functions/sources/providers.ts): `label`
 * (the followed staging label `label`, default AWSCURRENT, moved) or `trail` (deletion and restore).
 */
export function sourceEventPattern(kind: SourceKind, rule: SecretEventRule, ref: string, label?: string): EventPattern {
  return cdkEventPattern(sourceProvider(kind).eventPattern(rule, ref, label));
}

/**
 * The native `Secret Label Updated` event for exactly this secret when
 * AWSCURRENT moves to a new version. Needs no CloudTrail trail. The pattern
 * is the event vocabulary's (functions/domain/events.ts).
 */
export function labelUpdatedPattern(secretArn: string): EventPattern {
  return sourceEventPattern('secretsManager', 'label', secretArn);
}

/**
 * Successful (no `errorCode`) CloudTrail-derived DeleteSecret and
 * RestoreSecret calls on this secret (needs a trail with logging on). The
 * secret is matched wherever its identity appears: `responseElements.arn`, its
 * pre-2024 spelling `aRN`, and `requestParameters.secretId` as whatever the
 * caller passed (full ARN, partial ARN or name). Exact values only: never a
 * prefix, so a secret named `app` never matches `app-two`. The pattern is the
 * event vocabulary's (functions/domain/events.ts).
 *
 * @throws Error when `secretArn` is not a full secret ARN.
 */
export function cloudTrailPattern(secretArn: string): EventPattern {
  return sourceEventPattern('secretsManager', 'trail', secretArn);
}

/** An EventBridge pattern in CDK's spelling: `detail-type` becomes `detailType` (CDK writes it back). */
function cdkEventPattern(pattern: EventPatternJson): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType !== undefined && { detailType }) } as EventPattern;
}

/** The rule target input producing {@link EXECUTION_INPUT_TEMPLATE}. */
export class ExecutionInput extends RuleTargetInput {
  // biome-ignore lint/complexity/noUselessConstructor: the base constructor is protected; this makes it public.
  constructor() {
    super();
  }

  /** An input transformer with only a template: the predefined variable needs no paths map. */
  bind(_rule: IRuleRef): RuleTargetInputProperties {
    return { inputTemplate: EXECUTION_INPUT_TEMPLATE };
  }
}

/**
 * The execution input of a sync this tool starts itself: no version named,
 * so FetchSecret reads AWSCURRENT. `detail` carries the mapping id and, for
 * the initial sync, the hash of the mapping's settings (which makes
 * CloudFormation run the custom resource again when they change).
 */
export function syntheticExecutionInput(
  detailType: string,
  detail: Readonly<Record<string, string>>,
): { event: Record<string, unknown>; attempt: 1 } {
  return { event: { source: SYNTHETIC_SOURCE, 'detail-type': detailType, detail: { ...detail } }, attempt: 1 };
}

export { type RuleKind, ruleName, rulePrefix } from '../model/resource-names.ts';

/**
 * Wraps a rule target to add a dead-letter queue WITHOUT adding a statement
 * per rule to the queue's policy (the stack admits all of its rules in one
 * statement; see {@link rulePrefix}).
 */
export class WithDeadLetterQueue implements IRuleTarget {
  private readonly target: IRuleTarget;
  private readonly queue: IQueue;

  constructor(target: IRuleTarget, queue: IQueue) {
    this.target = target;
    this.queue = queue;
  }

  /** The wrapped target's config with `deadLetterConfig` set to the queue. */
  bind(rule: IRuleRef, id?: string): RuleTargetConfig {
    return { ...this.target.bind(rule, id), deadLetterConfig: { arn: this.queue.queueArn } };
  }
}
