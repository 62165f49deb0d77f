/**
 * What an administrator can still do to open the seals, made visible: one EventBridge rule per app (in the core
 * stack; idle cost does not grow per mapping) that matches the CloudTrail records of a change to the seal key's
 * policy or grants, to the app's roles (creation under its path, their policies, trust, boundary and tags) and to
 * the app's functions' code or configuration, and sends each to the app's alarm topic
 * (docs/operations.md#admin-changes-alarm).
 *
 * IAM is global: its CloudTrail events reach EventBridge in us-east-1 only. In another region the IAM half of the
 * pattern matches nothing unless IAM's events are forwarded to the region's default bus (docs/deploy.md#permissions).
 */
import { Stack } from 'aws-cdk-lib';
import { type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { rulePrefix } from '../model/resource-names.ts';

/** KMS calls on the seal key that change who may use it, or whether it exists. */
export const WATCHED_KMS_CALLS = [
  'CreateGrant',
  'RetireGrant',
  'RevokeGrant',
  'PutKeyPolicy',
  'ScheduleKeyDeletion',
  'DisableKey',
] as const;

/** IAM calls on a role that change what it may do or who may be it. */
export const WATCHED_ROLE_CALLS = [
  'PutRolePolicy',
  'AttachRolePolicy',
  'UpdateAssumeRolePolicy',
  'DeleteRolePermissionsBoundary',
  'PutRolePermissionsBoundary',
  'TagRole',
  'UntagRole',
] as const;

/** Lambda calls that change what a function runs (CloudTrail names them with their API version). */
export const WATCHED_FUNCTION_CALLS = [
  'UpdateFunctionCode20150331v2',
  'UpdateFunctionConfiguration20150331v2',
] as const;

/** Lambda calls that give a function a role (any function: one given an app role runs as it). */
export const WATCHED_ROLE_PASSING_CALLS = ['CreateFunction20150331', 'UpdateFunctionConfiguration20150331v2'] as const;

/** Characters of the app name that begin every role and function name CloudFormation generates for its stacks. */
export const GENERATED_NAME_PREFIX_CHARS = 10;

/** What the pattern watches, as plain strings (tokens in the stack). */
export interface AdminWatchTargets {
  /** The seal key's ARN. */
  readonly keyArn: string;
  /** The seal key's id (a caller may name the key by id or ARN). */
  readonly keyId: string;
  /** The app's role path (`/eks-secret-sync/<hash>/`): a role created under it or a sub-path. */
  readonly rolePath: string;
  /** The start of the generated names of the app's roles and functions (its stacks' names begin with it). */
  readonly namePrefix: string;
  /** `arn:<partition>:lambda:<region>:<account>:function:`: a function may be named by ARN. */
  readonly functionArnPrefix: string;
  /** `arn:<partition>:iam::<account>:role<role path>`: a function given one of the app's roles. */
  readonly roleArnPrefix: string;
}

/**
 * The event pattern: successful "AWS API Call via CloudTrail" records of {@link WATCHED_KMS_CALLS} on the key,
 * `CreateRole` under the path, {@link WATCHED_ROLE_CALLS} on a role named like the app's, and
 * {@link WATCHED_FUNCTION_CALLS} on a function named like the app's, and {@link WATCHED_ROLE_PASSING_CALLS} that give
 * any function a role under the app's path.
 */
export function adminWatchPattern(t: AdminWatchTargets): Record<string, unknown> {
  return {
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      errorCode: [{ exists: false }],
      $or: [
        {
          eventSource: ['kms.amazonaws.com'],
          eventName: [...WATCHED_KMS_CALLS],
          requestParameters: { keyId: [t.keyArn, t.keyId] },
        },
        { eventSource: ['kms.amazonaws.com'], eventName: [...WATCHED_KMS_CALLS], resources: { ARN: [t.keyArn] } },
        {
          eventSource: ['iam.amazonaws.com'],
          eventName: ['CreateRole'],
          requestParameters: { path: [{ prefix: t.rolePath }] },
        },
        {
          eventSource: ['iam.amazonaws.com'],
          eventName: [...WATCHED_ROLE_CALLS],
          requestParameters: { roleName: [{ prefix: t.namePrefix }] },
        },
        {
          eventSource: ['lambda.amazonaws.com'],
          eventName: [...WATCHED_FUNCTION_CALLS],
          requestParameters: {
            functionName: [{ prefix: t.namePrefix }, { prefix: `${t.functionArnPrefix}${t.namePrefix}` }],
          },
        },
        {
          eventSource: ['lambda.amazonaws.com'],
          eventName: [...WATCHED_ROLE_PASSING_CALLS],
          requestParameters: { role: [{ prefix: t.roleArnPrefix }] },
        },
      ],
    },
  };
}

/** Props of {@link AdminWatch}. */
export interface AdminWatchProps {
  /** The seal key. */
  readonly sealKey: IKey;
  /** The app's name (`stack.name`). */
  readonly appName: string;
  /** The app's role path. */
  readonly rolePath: string;
  /** Where matches go: the app's alarm topic; none leaves only the rule's MatchedEvents metric. */
  readonly target?: IRuleTarget;
}

/** The rule (free; one per app). */
export class AdminWatch extends Construct {
  /** The rule. */
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: AdminWatchProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { 'detail-type': detailType, ...rest } = adminWatchPattern({
      keyArn: props.sealKey.keyArn,
      keyId: props.sealKey.keyId,
      rolePath: props.rolePath,
      namePrefix: props.appName.slice(0, GENERATED_NAME_PREFIX_CHARS),
      functionArnPrefix: `arn:${stack.partition}:lambda:${stack.region}:${stack.account}:function:`,
      roleArnPrefix: `arn:${stack.partition}:iam::${stack.account}:role${props.rolePath}`,
    });
    this.rule = new Rule(this, 'Rule', {
      // Named like the app's other rules: unique per app in the account and region.
      ruleName: `${rulePrefix(props.appName)}admin-watch`,
      description:
        `eks-secret-sync ${props.appName}: a change to the seal key's policy or grants, or to the app's roles or ` +
        'functions',
      // CDK's EventPattern type has no $or; the pattern goes into the template as it is.
      eventPattern: { detailType, ...rest } as never,
      targets: props.target ? [props.target] : [],
    });
  }
}
