/**
 * The seal key's policy. CDK's default key policy gives the account root `kms:*`, which lets any principal of
 * the account whose own IAM policy allows `kms:Decrypt` on `*` open every sealed value and every EKS token that
 * the state machines log. Here the root keeps administration only; the cryptographic actions are granted in the
 * key policy to the stack's function roles one by one, each for its mapping's encryption context
 * (infra/functions/common.ts, `grantSeal`).
 */
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';

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

/**
 * The initial key policy: administration for the account root, nothing else. Each function that seals or opens
 * values adds its own statement (`grantSeal`).
 */
export function sealKeyPolicy(): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: SEAL_KEY_ADMIN_SID,
        principals: [new AccountRootPrincipal()],
        actions: [...SEAL_KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
    ],
  });
}
