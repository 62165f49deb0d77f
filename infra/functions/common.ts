/**
 * What the constructs of a mapping's functions share: the props every one of
 * them takes, and the one shape of KMS grant on the seal key.
 */
import { AccountRootPrincipal, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
  /** The seal key (KMS envelope for secret values and tokens in the state machine's state). */
  readonly sealKey: IKey;
}

/** What a sealed value holds; the seal key is granted per purpose, never for every purpose at once by default. */
export type SealPurpose = 'secret-data' | 'eks-token';

/**
 * KMS on the seal key, only for one mapping's encryption context and the given purposes.
 *
 * @param purposes one purpose is written as a string, several as a list (the IAM in the template depends on it).
 */
export function sealStatement(
  key: IKey,
  action: 'kms:GenerateDataKey' | 'kms:Decrypt',
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
 * Lets one function role use the seal key for one mapping's encryption context and the given purposes: the
 * statement goes into the role's policy AND, with the role as principal, into the key policy. The key policy
 * gives the account root administration only (infra/seal-key.ts), so the key policy statement is what allows
 * the use; the role's own statement documents it where the role is read.
 */
export function grantSeal(
  key: IKey,
  role: IRole,
  action: 'kms:GenerateDataKey' | 'kms:Decrypt',
  mappingId: string,
  purposes: readonly [SealPurpose, ...SealPurpose[]],
): void {
  const statement = sealStatement(key, action, mappingId, purposes);
  role.addToPrincipalPolicy(statement);
  // The role by `aws:PrincipalArn` under the account principal, not as the statement's principal: KMS checks that
  // a key policy's principals exist when the policy is set, and may refuse a role IAM created seconds earlier
  // ("invalid principals") on a first deploy; a condition value is not checked. The account principal still
  // needs the role's own IAM allow, which `statement` above is.
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new AccountRootPrincipal()],
      actions: [action],
      resources: ['*'],
      conditions: { ...statement.conditions, ArnEquals: { 'aws:PrincipalArn': role.roleArn } },
    }),
  );
}

/** The default description of a mapping's function. */
export function mappingFunctionDescription(kind: string, props: MappingFunctionProps): string {
  return props.description ?? `eks-secret-sync ${kind} for mapping ${props.mappingId}`;
}
