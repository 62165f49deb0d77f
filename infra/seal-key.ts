/**
 * The seal key's policy. CDK's default key policy gives the account root `kms:*`, which lets any principal of
 * the account whose own IAM policy allows `kms:Decrypt` on `*` open every sealed value and every EKS token that
 * the state machines log. Here the root keeps administration only; the cryptographic actions are allowed to the
 * app's function roles only (by their IAM path, `rolePath` in infra/resource-names.ts), one statement per action
 * and purpose: the policy has the same size for 1 and 500 mappings and names no role, so the key (in the app's
 * first stack) never references a role of another stack. Which mapping's seals a role may use is bounded by the
 * role's own IAM statement (`kms:EncryptionContext:mappingId`, infra/functions/common.ts `grantSeal`): KMS needs
 * both the key policy's and the role's allow. Why not one tag-based statement: docs/decisions.md.
 */
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Aws } from 'aws-cdk-lib';
import { rolePath } from './resource-names.ts';

/** What a sealed value holds; the seal key is granted per purpose, never for every purpose at once by default. */
export type SealPurpose = 'secret-data' | 'eks-token';

/** The cryptographic actions the functions use: sealing (data key) and opening. */
export type SealAction = 'kms:GenerateDataKey' | 'kms:Decrypt';

/** Every action and purpose the key policy admits, one statement each (Sid `<Seal|Open><Purpose>`). */
export const SEAL_GRANTS: ReadonlyArray<{ sid: string; action: SealAction; purpose: SealPurpose }> = [
  { sid: 'AppRolesSealSecretData', action: 'kms:GenerateDataKey', purpose: 'secret-data' },
  { sid: 'AppRolesSealEksToken', action: 'kms:GenerateDataKey', purpose: 'eks-token' },
  { sid: 'AppRolesOpenSecretData', action: 'kms:Decrypt', purpose: 'secret-data' },
  { sid: 'AppRolesOpenEksToken', action: 'kms:Decrypt', purpose: 'eks-token' },
];

/** `arn:<partition>:iam::<account>:role/<app's role path>*`: every function role of the app, nothing else. */
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

/**
 * The whole key policy: administration for the account root, and per action and purpose one statement for the
 * app's roles. The roles go by `aws:PrincipalArn` under the account principal, not as principals: KMS checks that
 * a key policy's principals exist when the policy is set (a condition value is not checked), and every role still
 * needs its own IAM allow, which names its mapping. A mapping id must be in the encryption context.
 */
export function sealKeyPolicy(appName: string): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: SEAL_KEY_ADMIN_SID,
        principals: [new AccountRootPrincipal()],
        actions: [...SEAL_KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      ...SEAL_GRANTS.map(
        ({ sid, action, purpose }) =>
          new PolicyStatement({
            sid,
            principals: [new AccountRootPrincipal()],
            actions: [action],
            resources: ['*'],
            conditions: {
              StringEquals: { 'kms:EncryptionContext:purpose': purpose },
              Null: { 'kms:EncryptionContext:mappingId': 'false' },
              ArnLike: { 'aws:PrincipalArn': appRolesArnPattern(appName) },
            },
          }),
      ),
    ],
  });
}
