/**
 * The seal key's policy. CDK's default key policy gives the account root `kms:*`, which lets any principal of
 * the account whose own IAM policy allows `kms:Decrypt` on `*` open every sealed value that
 * the state machines log. Here the root keeps administration only, and no step role is admitted by the policy at all:
 * each step role uses the key through KMS grants bound to it and to its mapping's exact encryption context
 * (infra/constructs/seal-grants.ts). The policy names one role, the app's grantor, and lets it create only such
 * grants: the seal
 * operations, an exact encryption context, for a role under the app's path. Its size is the same for 1 and 500
 * mappings, and it never references a role of another stack. Why grants: docs/decisions.md.
 */
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SEAL_GRANT_CONSTRAINT, SEAL_GRANT_OPERATIONS } from '../../functions/domain/seal-grants.ts';
import { Aws } from 'aws-cdk-lib';
import { rolePath } from '../model/resource-names.ts';

/** What a sealed value holds; the seal key is granted per purpose, never for every purpose at once by default. */
export type { SealPurpose } from '../../functions/domain/sync-steps.ts';

/** The cryptographic actions the functions use: sealing (data key) and opening. */
export type SealAction = 'kms:GenerateDataKey' | 'kms:Decrypt';

/** `arn:<partition>:iam::<account>:role/<app's role path>*`: the roles the grantor may create grants for. */
export function appRolesArnPattern(appName: string): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${rolePath(appName)}*`;
}

/**
 * What the account root (and through it the account's administrators and CloudFormation) may do with the key:
 * manage it, never use it. Spelled out, because CDK's `kms:Create*` would include `kms:CreateGrant` (a grant can
 * give Decrypt to anyone) and its legacy list includes `kms:GenerateDataKey`.
 */
export const SEAL_KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** Sid of the administration statement. */
export const SEAL_KEY_ADMIN_SID = 'AccountAdministersOnly';

/** Sid of the grantor's statement. */
export const SEAL_KEY_GRANTOR_SID = 'GrantorCreatesSealGrantsOnly';

/**
 * The whole key policy: administration for the account root (never use, never CreateGrant), and CreateGrant for the
 * app's grantor role only, for grants that give only the seal operations, constrained to an exact encryption context
 * (which must hold a mapping id), to a role under the app's path. No statement lets any role use the key.
 *
 * @param grantorRoleArn the ARN of the SealGrantor's role (infra/constructs/seal-grants.ts), in the key's stack.
 */
export function sealKeyPolicy(appName: string, grantorRoleArn: string): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: SEAL_KEY_ADMIN_SID,
        principals: [new AccountRootPrincipal()],
        actions: [...SEAL_KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      new PolicyStatement({
        sid: SEAL_KEY_GRANTOR_SID,
        principals: [new ArnPrincipal(grantorRoleArn)],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          'ForAllValues:StringEquals': { 'kms:GrantOperations': [...SEAL_GRANT_OPERATIONS] },
          StringEquals: { 'kms:GrantConstraintType': SEAL_GRANT_CONSTRAINT },
          StringLike: { 'kms:GranteePrincipal': appRolesArnPattern(appName) },
        },
      }),
    ],
  });
}
