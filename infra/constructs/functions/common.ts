/**
 * What the constructs of a mapping's functions share: the props every one of
 * them takes, and the one shape of KMS grant on the seal key.
 */
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SealGrants } from '../seal-grants.ts';
import type { SealAction, SealPurpose } from '../seal-key.ts';
import type { SyncStep } from '../../../functions/domain/sync-steps.ts';

export type { SealPurpose } from '../seal-key.ts';

/** Props every function of a mapping takes. */
export interface MappingFunctionProps {
  /** The mapping's id: the encryption context of its sealed values, a log field. */
  readonly mappingId: string;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Description of the function and its role.
   * @default `eks-secret-sync <kind> for mapping <mappingId>`
   */
  readonly description?: string;
}

/** Props of a function that seals or opens values with the stack's seal key. */
export interface SealingFunctionProps extends MappingFunctionProps {
  /** The seal key (KMS envelope for secret values in the state machine's state). */
  readonly sealKey: IKey;
}

/**
 * KMS on the seal key, only for one mapping's encryption context and the given purposes.
 *
 * @param purposes one purpose is written as a string, several as a list (the IAM in the template depends on it).
 */
export function sealStatement(
  key: IKey,
  action: SealAction,
  mappingId: string,
  purposes: readonly [SealPurpose, ...SealPurpose[]],
): PolicyStatement {
  return new PolicyStatement({
    actions: [action],
    resources: [key.keyArn],
    conditions: {
      StringEquals: {
        'kms:EncryptionContext:mappingId': mappingId,
        'kms:EncryptionContext:purpose': purposes.length === 1 ? purposes[0] : [...purposes],
      },
    },
  });
}

/**
 * Lets one function role use the seal key for one mapping's encryption context and the given purposes: a KMS grant
 * per purpose bound to the role and to the exact context `{mappingId, purpose}` (the stack's seal grants resource,
 * infra/constructs/seal-grants.ts), which is what KMS honours (the key policy admits no step role), and the same as
 * an IAM
 * statement in the role's own policy, which documents it and would bound the role were the key policy ever widened.
 */
export function grantSeal(
  key: IKey,
  role: IRole,
  action: SealAction,
  mappingId: string,
  purposes: readonly [SealPurpose, ...SealPurpose[]],
): void {
  role.addToPrincipalPolicy(sealStatement(key, action, mappingId, purposes));
  SealGrants.of(role)?.add(role, action, mappingId, purposes);
}

/**
 * Grants one step's role exactly the seal purposes the step table gives it (functions/domain/sync-steps.ts):
 * kms:GenerateDataKey for what it seals, kms:Decrypt for what it opens, each for one mapping's context only.
 */
export function grantStepSeals(key: IKey, role: IRole, mappingId: string, step: SyncStep): void {
  const [seal, ...moreSeals] = step.seals;
  if (seal !== undefined) grantSeal(key, role, 'kms:GenerateDataKey', mappingId, [seal, ...moreSeals]);
  const [open, ...moreOpens] = step.opens;
  if (open !== undefined) grantSeal(key, role, 'kms:Decrypt', mappingId, [open, ...moreOpens]);
}

/** The default description of a mapping's function. */
export function mappingFunctionDescription(kind: string, props: MappingFunctionProps): string {
  return props.description ?? `eks-secret-sync ${kind} for mapping ${props.mappingId}`;
}
