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
import { parseSecretArn, secretIdSpellings } from './secret-arn.ts';

/**
 * The execution input: the whole matched event and the delivery attempt.
 * `<aws.events.event.json>` is the complete original event; the similar
 * `<aws.events.event>` leaves out `detail` (EventBridge user guide, "Amazon
 * EventBridge input transformation", predefined variables), and the fetch
 * step needs `detail.versionId`.
 */
export const EXECUTION_INPUT_TEMPLATE = '{"event": <aws.events.event.json>, "attempt": 1}';

/** The CloudTrail-recorded API calls that change whether the secret exists. */
export const CLOUDTRAIL_EVENT_NAMES = ['DeleteSecret', 'RestoreSecret'] as const;

/**
 * The native `Secret Label Updated` event for exactly this secret when
 * AWSCURRENT moves to a new version. Needs no CloudTrail trail.
 */
export function labelUpdatedPattern(secretArn: string): EventPattern {
  return {
    source: ['aws.secretsmanager'],
    detailType: ['Secret Label Updated'],
    resources: [secretArn],
    detail: { labelUpdated: ['AWSCURRENT'] },
  };
}

/**
 * CloudTrail-derived DeleteSecret and RestoreSecret calls on this secret
 * (needs a trail with logging on). The secret is matched wherever its
 * identity appears: `responseElements.arn`, its pre-2024 spelling `aRN`, and
 * `requestParameters.secretId` as whatever the caller passed (full ARN,
 * partial ARN or name). Exact values only: never a prefix, so a secret named
 * `app` never matches `app-two`.
 *
 * @throws Error when `secretArn` is not a full secret ARN.
 */
export function cloudTrailPattern(secretArn: string): EventPattern {
  const arn = parseSecretArn(secretArn);
  if (!arn) throw new Error(`not a full secret ARN: ${secretArn}`);
  return {
    source: ['aws.secretsmanager'],
    detailType: ['AWS API Call via CloudTrail'],
    account: [arn.account],
    region: [arn.region],
    detail: {
      eventSource: ['secretsmanager.amazonaws.com'],
      eventName: [...CLOUDTRAIL_EVENT_NAMES],
      $or: [
        { responseElements: { arn: [secretArn] } },
        { responseElements: { aRN: [secretArn] } },
        { requestParameters: { secretId: secretIdSpellings(secretArn) } },
      ],
    },
  };
}

/** The rule target input producing {@link EXECUTION_INPUT_TEMPLATE}. */
export class ExecutionInput extends RuleTargetInput {
  constructor() {
    super();
  }

  /** An input transformer with only a template: the predefined variable needs no paths map. */
  bind(_rule: IRuleRef): RuleTargetInputProperties {
    return { inputTemplate: EXECUTION_INPUT_TEMPLATE };
  }
}

/** The kinds of rule a mapping may have: native label event, CloudTrail calls, resync schedule. */
export type RuleKind = 'label' | 'trail' | 'sched';

/** The `source` of the events this tool makes up itself (initial sync, scheduled sync, redrive). */
export const SYNTHETIC_SOURCE = 'eks-secret-sync';

/** `detail-type` of the sync a deployment starts (infra/mapping.ts, initial sync). */
export const INITIAL_SYNC_DETAIL_TYPE = 'Initial sync';

/** `detail-type` of the syncs the mapping's `resyncSchedule` starts. */
export const SCHEDULED_SYNC_DETAIL_TYPE = 'Scheduled sync';

/**
 * The execution input of a sync this tool starts itself: no version named,
 * so FetchSecret reads AWSCURRENT. `detail` carries the mapping id and, for
 * the initial sync, the hash of the mapping's settings (which makes
 * CloudFormation run the custom resource again when they change).
 */
export function syntheticExecutionInput(detailType: string, detail: Readonly<Record<string, string>>): { event: Record<string, unknown>; attempt: 1 } {
  return { event: { source: SYNTHETIC_SOURCE, 'detail-type': detailType, detail: { ...detail } }, attempt: 1 };
}

/**
 * The prefix of every rule name of a stack: the first 16 characters of the
 * stack name. The dead-letter queue admits EventBridge deliveries from rules
 * with this prefix only, in one policy statement (SQS allows 20 statements
 * per queue policy, so one statement per rule would cap a stack at 19 rules).
 */
export function rulePrefix(stackName: string): string {
  return `${stackName.slice(0, 16)}-`;
}

/** A rule's name: at most 16 + 1 + 40 (mapping id) + 6 = 63 characters (EventBridge allows 64). */
export function ruleName(stackName: string, mappingId: string, kind: RuleKind): string {
  return `${rulePrefix(stackName)}${mappingId}-${kind}`;
}

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
