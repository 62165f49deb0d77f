import { CfnResource, type IAspect } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** One checkov check this app does not meet on purpose, with the reason (docs/decisions.md#checkov-findings). */
export interface CheckovSkip {
  /** The checkov check id (CKV_AWS_...). */
  readonly id: string;
  /** The CloudFormation resource type it applies to. */
  readonly resourceType: string;
  /** Why the check does not apply or is not met; written into the resource's metadata for checkov. */
  readonly comment: string;
  /** Only resources this is true for (default: every resource of the type). */
  readonly when?: (resource: CfnResource) => boolean;
}

/** The metadata key checkov reads skips from (`Metadata: {checkov: {skip: [{id, comment}]}}`). */
export const CHECKOV_METADATA_KEY = 'checkov';

/**
 * Every checkov finding on the app's templates that is decided rather than fixed. test/infra/checkov.test.ts
 * runs checkov over a fleet's templates and fails on any finding not listed here.
 */
export const CHECKOV_SKIPS: readonly CheckovSkip[] = [
  {
    id: 'CKV_AWS_115',
    resourceType: 'AWS::Lambda::Function',
    comment:
      'No reserved concurrency: it would carve capacity out of the account pool for every function of every ' +
      'mapping (idle cost of capacity); the state machine bounds each sync (Map MaxConcurrency, one execution ' +
      'per event) and throttles are retried and alarmed.',
  },
  {
    id: 'CKV_AWS_116',
    resourceType: 'AWS::Lambda::Function',
    comment:
      'Invoked synchronously (Step Functions tasks, CloudFormation custom resources): a Lambda DLQ applies to ' +
      "asynchronous invocations only. A failed sync goes to the app's DLQ through the state machine's Catch. " +
      'The one asynchronous function, the lost-event sweep, is run again by its schedule the next period.',
  },
  {
    id: 'CKV_AWS_117',
    resourceType: 'AWS::Lambda::Function',
    comment:
      'Only the functions that call a private cluster API run in its VPC (cluster.vpc); the others call AWS ' +
      'APIs only and gain nothing from a VPC but ENI and NAT or endpoint cost.',
    when: (r) => r instanceof CfnFunction && r.vpcConfig === undefined,
  },
  {
    id: 'CKV_AWS_173',
    resourceType: 'AWS::Lambda::Function',
    comment:
      'The environment holds names, ARNs, endpoints and options, never a value or token (those travel ' +
      'KMS-sealed in the state); Lambda encrypts it at rest with its service key.',
  },
  {
    id: 'CKV_AWS_158',
    resourceType: 'AWS::Logs::LogGroup',
    comment:
      'Logs hold no value or token (sealed state, sanitized errors; the leak scanner tests it); CloudWatch ' +
      'Logs encrypts at rest. A customer key would add idle cost and a key policy for the logs service.',
  },
  {
    id: 'CKV_AWS_27',
    resourceType: 'AWS::SQS::Queue',
    comment:
      'Encrypted with SQS-managed keys (SqsManagedSseEnabled), which this check does not count; a KMS key ' +
      'would need key grants for EventBridge and Step Functions. Bodies hold no value or token.',
  },
  {
    id: 'CKV_AWS_28',
    resourceType: 'AWS::DynamoDB::Table',
    comment:
      'The sync ledger (lost-event sweep) holds ids and version ids only; the next sync of each mapping writes ' +
      'its item again: point-in-time recovery would restore nothing worth its cost.',
  },
  {
    id: 'CKV_AWS_119',
    resourceType: 'AWS::DynamoDB::Table',
    comment:
      'The sync ledger holds ids and version ids, never a value; DynamoDB encrypts it at rest with an AWS ' +
      'owned key. A customer key would add $1 a month of idle cost.',
  },
];

/**
 * Writes {@link CHECKOV_SKIPS} into the metadata of every resource they apply to in the scope it is added to,
 * keeping skips already there.
 */
export class CheckovSkips implements IAspect {
  /** Adds the skips that apply to `node`. */
  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const skips = CHECKOV_SKIPS.filter((s) => s.resourceType === node.cfnResourceType && (s.when?.(node) ?? true));
    if (skips.length === 0) return;
    const existing = (node.getMetadata(CHECKOV_METADATA_KEY) as { skip?: { id: string }[] } | undefined)?.skip ?? [];
    const fresh = skips.filter((s) => !existing.some((e) => e.id === s.id)).map(({ id, comment }) => ({ id, comment }));
    node.addMetadata(CHECKOV_METADATA_KEY, { skip: [...existing, ...fresh] });
  }
}
