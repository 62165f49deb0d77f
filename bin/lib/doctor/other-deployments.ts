/**
 * `doctor`'s search for a second deployment writing the mapping's Secret: another app (another `stack.name`: a
 * renamed app whose old stacks were never deleted, or a second fleet) in the same account and region whose
 * EventBridge rule matches the same secret ARN and starts a state machine whose targets include the same
 * cluster/namespace/Secret. Two pipelines then write one Secret: each rotation syncs twice, and removing a mapping
 * from one file leaves the other writing.
 *
 * It reads the default bus's rules (`events:ListRules`, `ListTargetsByRule`) and the target state machines'
 * definitions (`states:DescribeStateMachine`): a state machine of this product carries its targets in the
 * definition, as the base64 JSON of `${TargetsJson}` (statemachine/sync.asl.json).
 */
import type { MappingTarget as Mapping } from '../../../infra/model/targets.ts';
import { errorName, OPTIONAL_SDK, optionalSdk, sdkErrorText, type AwsSession } from '../aws.ts';
import { unchecked, type Finding } from './findings.ts';

/** At most this many rules are read (the default bus's default quota is 300). */
const MAX_RULES = 1_000;

/** A rule of another deployment and the Secrets its state machine writes. */
export interface OtherRule {
  readonly ruleName: string;
  readonly stateMachineArn: string;
  /** `cluster/namespace/secretName` of each target of the state machine. */
  readonly targets: readonly string[];
}

/**
 * The targets (`cluster/namespace/secretName`) a state machine definition of this product writes: decoded from
 * its `States.Base64Decode('<targets JSON>')`; none for a definition of anything else. Pure.
 */
export function definitionTargets(definition: string): string[] {
  const out = new Set<string>();
  for (const [, b64] of definition.matchAll(/States\.Base64Decode\('([A-Za-z0-9+/=]+)'\)/g)) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(b64!, 'base64').toString('utf8'));
      if (!Array.isArray(parsed)) continue;
      for (const t of parsed as Record<string, unknown>[]) {
        const { cluster, namespace, secretName } = t ?? {};
        if ([cluster, namespace, secretName].every((v) => typeof v === 'string')) {
          out.add(`${cluster}/${namespace}/${secretName}`);
        }
      }
    } catch {
      // Not our targets: another base64 string.
    }
  }
  return [...out];
}

/**
 * The finding: a problem naming each other deployment that writes the mapping's Secret from the same secret, with
 * how to find and delete its stack; ok when there is none. `ownPrefix` is this app's rule-name prefix. Pure.
 */
export function otherDeploymentFinding(
  m: Pick<Mapping, 'id' | 'secretArn'> & { readonly target: string },
  ownPrefix: string,
  rules: readonly OtherRule[],
  region: string,
): Finding {
  const others = rules.filter((r) => !r.ruleName.startsWith(ownPrefix) && r.targets.includes(m.target));
  if (others.length === 0) {
    return {
      check: 'other-deployment',
      verdict: 'ok',
      message: `no other deployment in ${region} syncs ${m.secretArn} into ${m.target}`,
    };
  }
  const names = others.map((r) => `${r.ruleName} -> ${r.stateMachineArn.split(':').at(-1)}`).join(', ');
  const first = others[0]!.ruleName;
  return {
    check: 'other-deployment',
    verdict: 'problem',
    message:
      `another deployment also syncs this secret into ${m.target} (rule ${names}): two pipelines write one ` +
      `Secret, and removing mapping ${m.id} from this file would leave the other one writing`,
    fix:
      `if it is this app under its old stack.name (a rename makes a second fleet), delete the old stacks: find ` +
      `each with aws cloudformation describe-stack-resources --physical-resource-id ${first} --region ${region}, ` +
      `then aws cloudformation delete-stack --stack-name <StackName> --region ${region} (the old app's RBAC: ` +
      `kubectl delete with its rbac --cluster ... --legacy or its ApplySet); otherwise remove the mapping from one ` +
      `of the two files (docs/deploy.md#renaming-the-app-and-two-fleets)`,
  };
}

/** Finds other deployments syncing the mapping's secret into its Secret (see the module comment). */
export async function checkOtherDeployments(
  m: Mapping,
  ownPrefix: string,
  aws: AwsSession,
  target: string,
): Promise<Finding> {
  let events: Awaited<ReturnType<typeof optionalSdk>>;
  try {
    events = await optionalSdk(OPTIONAL_SDK.eventbridge);
  } catch (e) {
    return unchecked('other-deployment', 'other deployments of this secret', sdkErrorText(e));
  }
  const { SFNClient, DescribeStateMachineCommand } = await import('@aws-sdk/client-sfn');
  const config = await aws.config();
  const eb = new events.EventBridgeClient!(config);
  const sfn = new SFNClient(config);
  try {
    const matching: { name: string }[] = [];
    let next: string | undefined;
    let read = 0;
    do {
      const page = await eb.send(new events.ListRulesCommand!({ NextToken: next }));
      for (const r of page.Rules ?? []) {
        if (typeof r.EventPattern === 'string' && r.EventPattern.includes(m.secretArn)) matching.push({ name: r.Name });
      }
      read += (page.Rules ?? []).length;
      next = page.NextToken;
    } while (next && read < MAX_RULES);
    const rules: OtherRule[] = [];
    for (const { name } of matching.filter((r) => !r.name.startsWith(ownPrefix))) {
      const targets = await eb.send(new events.ListTargetsByRuleCommand!({ Rule: name }));
      for (const t of targets.Targets ?? []) {
        const arn = String(t.Arn ?? '');
        if (!arn.includes(':states:') || !arn.includes(':stateMachine:')) continue;
        try {
          const sm = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
          rules.push({ ruleName: name, stateMachineArn: arn, targets: definitionTargets(sm.definition ?? '') });
        } catch (e) {
          if (errorName(e) !== 'StateMachineDoesNotExist') throw e;
        }
      }
    }
    return otherDeploymentFinding({ ...m, target }, ownPrefix, rules, aws.region);
  } catch (e) {
    return unchecked('other-deployment', 'other deployments of this secret', sdkErrorText(e));
  } finally {
    eb.destroy?.();
    sfn.destroy();
  }
}
