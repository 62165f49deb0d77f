/**
 * Names of deployed resources that the construct, the alarms and the CLI all spell: written once here, from
 * plain strings (the stack's name and a mapping id), never from a cross-stack reference. Pure (node:crypto only),
 * so the CLI imports it without the CDK.
 */
import { createHash } from 'node:crypto';
import type { SecretEventRule } from '../../functions/domain/events.ts';

/** Characters of the stack name that stay readable in a rule name; a hash of the whole name follows. */
const STACK_NAME_CHARS = 10;

/** Hex digits of the stack-name hash in a rule name (24 bits). */
const STACK_HASH_CHARS = 6;

/**
 * The prefix of every rule name of a stack: the first 10 characters of the stack name and a short hash of the
 * whole name, so stacks that share a long beginning (`EksSecretSync-prod-a`, `EksSecretSync-prod-b`) get
 * different names. The dead-letter queue admits EventBridge deliveries from rules with this prefix only, in one
 * policy statement (SQS allows 20 statements per queue policy, so one statement per rule would cap a stack at
 * 19 rules).
 */
export function rulePrefix(stackName: string): string {
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, STACK_HASH_CHARS);
  return `${stackName.slice(0, STACK_NAME_CHARS)}-${hash}-`;
}

/** The kinds of rule a mapping may have: native label event, CloudTrail calls (the vocabulary's), resync schedule. */
export type RuleKind = SecretEventRule | 'sched';

/** A rule's name: at most 18 (prefix) + 40 (mapping id) + 6 = 64 characters, EventBridge's limit. */
export function ruleName(stackName: string, mappingId: string, kind: RuleKind): string {
  return `${rulePrefix(stackName)}${mappingId}-${kind}`;
}

/**
 * The name of a mapping's state machine: the stack's rule prefix and the mapping id, so two stacks in one account
 * and region never share one. At most 18 + 40 characters (Step Functions allows 80).
 */
export function stateMachineName(stackName: string, mappingId: string): string {
  return `${rulePrefix(stackName)}${mappingId}`;
}

/**
 * The mapping id of an Express execution of this stack, from its ARN
 * (`arn:<partition>:states:<region>:<account>:express:<state machine>:<name>:<id>`), or undefined when the
 * execution belongs to no state machine of the stack.
 */
export function mappingOfExecution(stackName: string, executionArn: string): string | undefined {
  const stateMachine = executionArn.split(':')[6];
  const prefix = rulePrefix(stackName);
  if (stateMachine === undefined || !stateMachine.startsWith(prefix)) return undefined;
  return stateMachine.slice(prefix.length) || undefined;
}

/**
 * The start of the name of the stack's one execution log group, where every mapping's Express state machine logs:
 * `/aws/vendedlogs/states/eks-secret-sync/<stack>/executions/`; the stack's own id (new each time the stack is
 * created) follows, so a group retained from a deleted stack never blocks the next deploy. The `/aws/vendedlogs/`
 * prefix keeps the account's CloudWatch Logs resource policy small.
 */
export function executionLogGroupPrefix(stackName: string): string {
  return `/aws/vendedlogs/states/eks-secret-sync/${stackName}/executions/`;
}

/**
 * The start of the name of a mapping's own execution log group, as stacks deployed before the shared group
 * named it (`<…>/<stack>/<id>/<role id>`). The CLI still reads such groups.
 */
export function legacyExecutionLogGroupPrefix(stackName: string, mappingId: string): string {
  return `/aws/vendedlogs/states/eks-secret-sync/${stackName}/${mappingId}/`;
}

/** Hex digits of the app-name hash in the role path (48 bits: a collision between two apps of one account is
 * not a practical concern). */
const ROLE_PATH_HASH_CHARS = 12;

/**
 * The IAM path of every function role of an app (all its stacks): `/eks-secret-sync/<hash of stack.name>/`. The
 * seal key's policy admits the roles under this path, in a constant number of statements
 * (infra/constructs/seal-key.ts); a role of another app or outside the path is not admitted. EKS access entries
 * accept a
 * role ARN with its path (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
 */
export function rolePath(appName: string): string {
  return `/eks-secret-sync/${appHash(appName)}/`;
}

/** The app's short hash (of `stack.name`): its role path's last part, the KMS endpoint tag's first part. */
export function appHash(appName: string): string {
  return createHash('sha256').update(appName).digest('hex').slice(0, ROLE_PATH_HASH_CHARS);
}

/** The CloudWatch namespace of the metrics the stack's metric filters publish (one per stack). */
export function metricNamespace(stackName: string): string {
  return `EksSecretSync/${stackName}`;
}

/**
 * The keys (and logical ids) of the core stack's outputs that the CLI reads: written by infra/constructs
 * (eks-secret-sync.ts, redrive.ts), read by bin/lib/stack.ts and bin/commands/redrive.ts.
 */
export const STACK_OUTPUTS = {
  /** The dead-letter queue's URL (`status`, `redrive`). */
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  /** The sync-requests queue's ARN: the destination of the console's "Start DLQ redrive". */
  syncRequestsQueueArn: 'SyncRequestsQueueArn',
  /** The parked queue's URL (`redrive`). */
  parkedQueueUrl: 'ParkedQueueUrl',
  /** What every state machine ARN of the app starts with (`redrive`). */
  stateMachineArnPrefix: 'StateMachineArnPrefix',
  /** The AWS CLI command that starts a DLQ redrive. */
  dlqRedriveCommand: 'DlqRedriveCommand',
  /** Stacks deployed before the prefix listed their state machines as JSON `{id: arn}` (`redrive` still reads it). */
  legacyStateMachines: 'StateMachines',
} as const;

/** The core stack's output whose value every state machine ARN of the app starts with (the CLI reads it). */
export const STATE_MACHINE_ARN_PREFIX_OUTPUT = STACK_OUTPUTS.stateMachineArnPrefix;
