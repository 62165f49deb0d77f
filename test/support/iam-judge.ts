/**
 * The policies of a resolved fleet (test/support/cfn-resolve.ts) put to the IAM evaluator
 * (test/support/iam-simulate.ts): who is asking, what, on which resource, with which request context; which
 * identity, resource and VPC endpoint policies apply. KMS grants are not modelled by the evaluator: they are added
 * to the key policy as the statement each grant amounts to ({@link grantStatements}), which is this project's
 * reading of the KMS documentation, stated in docs/testing.md#iam-evaluator.
 */
import type { ResolvedStack } from './cfn-resolve.ts';
import { iamSimulate } from './iam-simulate.ts';

/** An IAM policy document. */
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, any>[];
}

/** One request to judge. */
export interface Ask {
  /** A principal ARN, or a service principal (`events.amazonaws.com`). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The resource's account. @default the fleet's */
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
  readonly identity?: readonly PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
  readonly endpointPolicy?: PolicyDocument;
}

/** The evaluator's overall answer: `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied`. */
export async function judge(ask: Ask, account: string): Promise<string> {
  const { runSimulation } = await iamSimulate();
  const out = await runSimulation(
    {
      request: {
        principal: ask.principal,
        action: ask.action,
        resource: { resource: ask.resource, accountId: ask.resourceAccount ?? account },
        contextVariables: ask.context ?? {},
      },
      identityPolicies: (ask.identity ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: ask.resourcePolicy,
      vpcEndpointPolicies: ask.endpointPolicy ? [{ name: 'endpoint', policy: ask.endpointPolicy }] : undefined,
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`the evaluator refused the request: ${JSON.stringify(out.errors)}`);
  if (out.resultType === 'single') {
    const ignored = out.result.ignoredContextKeys ?? [];
    if (ignored.length > 0) throw new Error(`the evaluator ignored context keys ${ignored.join(', ')}`);
  }
  return out.overallResult;
}

/** A role of the fleet: its ARN, tags and every identity policy CloudFormation gives it. */
export interface FleetRole {
  readonly stack: ResolvedStack;
  readonly logicalId: string;
  readonly arn: string;
  readonly tags: Record<string, string>;
  readonly identity: PolicyDocument[];
  readonly trust: PolicyDocument;
}

/** The role behind a logical id, with its inline policies and the AWS::IAM::Policy resources attached to it. */
export function fleetRole(stack: ResolvedStack, logicalId: string): FleetRole {
  const role = stack.resources[logicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${stack.name}: ${logicalId} is not a role`);
  const name = stack.ref(logicalId);
  const attached = Object.values(stack.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as string[]).includes(name))
    .map((r) => r.Properties.PolicyDocument as PolicyDocument);
  const inline = ((role.Properties.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? []).map(
    (p) => p.PolicyDocument,
  );
  const tags = Object.fromEntries(
    ((role.Properties.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]),
  );
  return {
    stack,
    logicalId,
    arn: stack.arn(logicalId),
    tags,
    identity: [...inline, ...attached],
    trust: role.Properties.AssumeRolePolicyDocument as PolicyDocument,
  };
}

/** The statement a KMS grant amounts to: its grantee, its operations, its exact encryption context. */
export function grantStatements(stacks: readonly ResolvedStack[]): Record<string, any>[] {
  return stacks.flatMap((s) =>
    Object.values(s.resources)
      .filter((r) => r.Type === 'Custom::EksSecretSyncSealGrants')
      .flatMap((r) =>
        (r.Properties.Grants as any[]).map((g) => ({
          Sid: `Grant ${g.Name}`,
          Effect: 'Allow',
          Principal: { AWS: g.GranteePrincipal },
          Action: (g.Operations as string[]).map((o) => `kms:${o}`),
          Resource: '*',
          Condition: {
            // EncryptionContextEquals: every pair, and no other key.
            StringEquals: Object.fromEntries(
              Object.entries(g.EncryptionContext as Record<string, string>).map(([k, v]) => [
                `kms:EncryptionContext:${k}`,
                v,
              ]),
            ),
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': Object.keys(g.EncryptionContext) },
          },
        })),
      ),
  );
}

/** The request context of a KMS call by a role with an encryption context. */
export function kmsContext(
  role: { arn: string; tags?: Record<string, string> },
  account: string,
  encryptionContext: Record<string, string>,
): Record<string, string | string[]> {
  return {
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': account,
    ...Object.fromEntries(Object.entries(role.tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...Object.fromEntries(Object.entries(encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
    ...(Object.keys(encryptionContext).length > 0
      ? { 'kms:EncryptionContextKeys': Object.keys(encryptionContext) }
      : {}),
  };
}
