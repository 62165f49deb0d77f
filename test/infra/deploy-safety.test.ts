// What makes the stack deployable again and again, and side by side: removal policies that survive a rolled-back
// create, names no two stacks share, and trust policies no other account or resource can borrow.
import { beforeAll, describe, expect, it } from 'vitest';
import { ruleName, rulePrefix } from '../../infra/constructs/events.ts';
import { exampleText, ofType, single, synth, type CfnResource, type Synthesized } from '../support/infra.ts';

const A = 'EksSecretSync-prod-a';
const B = 'EksSecretSync-prod-b';
let a: Synthesized;
let b: Synthesized;

const account = { Ref: 'AWS::AccountId' };
const arn = (service: string, resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:us-east-1:`, account, resource]],
});
const trustOf = (role: CfnResource) => role.Properties!.AssumeRolePolicyDocument.Statement as any[];
const roleIdOf = (roleArn: any): string => roleArn['Fn::GetAtt'][0];

/** Every name a resource of the template gives itself (what CloudFormation would refuse twice). */
function physicalNames(s: Synthesized): string[] {
  const keys = [
    'Name',
    'LogGroupName',
    'StateMachineName',
    'AliasName',
    'RoleName',
    'QueueName',
    'FunctionName',
    'DashboardName',
    'AlarmName',
  ];
  return Object.values(s.resources).flatMap((r) =>
    keys.map((k) => r.Properties?.[k]).filter((v): v is string => typeof v === 'string'),
  );
}

beforeAll(() => {
  a = synth(exampleText(['name: EksSecretSync ', `name: ${A} `]));
  b = synth(exampleText(['name: EksSecretSync ', `name: ${B} `]));
}, 240_000);

describe('removal policies', () => {
  it('keep every log group on update and delete but not after a rolled-back create (RetainExceptOnCreate)', () => {
    const groups = ofType(a, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    for (const [id, g] of groups) expect((g as any).DeletionPolicy, id).toBe('RetainExceptOnCreate');
  });

  it('leave nothing else with a fixed name retained: no other resource has DeletionPolicy Retain', () => {
    const retained = Object.entries(a.resources).filter(([, r]) => (r as any).DeletionPolicy === 'Retain');
    expect(retained.map(([id]) => id)).toStrictEqual([]);
  });
});

describe('the execution log group', () => {
  it('gets a new name each time the stack is created (its stack id), so a retained one never blocks', () => {
    const [, group] = single(ofType(a, 'AWS::Logs::LogGroup').filter(([id]) => id.startsWith('ExecutionLogs')));
    expect(group.Properties!.LogGroupName).toStrictEqual({
      'Fn::Join': [
        '',
        [
          `/aws/vendedlogs/states/eks-secret-sync/${A}/executions/`,
          { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
        ],
      ],
    });
  });
});

describe('names of two stacks in one account and region', () => {
  it('are never the same, though the stack names share their first 16 characters', () => {
    const [na, nb] = [physicalNames(a), physicalNames(b)];
    expect(na.length).toBeGreaterThan(5);
    expect(na.filter((n) => nb.includes(n))).toStrictEqual([]);
  });

  it('give rules and state machines a prefix no rule of the other stack starts with', () => {
    const rules = (s: Synthesized) => ofType(s, 'AWS::Events::Rule').map(([, r]) => r.Properties!.Name as string);
    expect(rules(a).every((n) => n.startsWith(rulePrefix(A)))).toBe(true);
    expect(rules(b).filter((n) => n.startsWith(rulePrefix(A)))).toStrictEqual([]);
    const machines = ofType(a, 'AWS::StepFunctions::StateMachine').map(([, r]) => r.Properties!.StateMachineName);
    expect(machines.sort()).toStrictEqual([`${rulePrefix(A)}app-config`, `${rulePrefix(A)}web-tls`]);
  });

  it("let the DLQ admit EventBridge only for this stack's rules, from this account", () => {
    const fromEvents = (st: any) => st.Principal?.Service === 'events.amazonaws.com';
    const policies = ofType(a, 'AWS::SQS::QueuePolicy');
    const [, policy] = policies.find(([, p]) => p.Properties!.PolicyDocument.Statement.some(fromEvents))!;
    const statement = policy.Properties!.PolicyDocument.Statement.find(fromEvents);
    expect(statement.Condition).toStrictEqual({
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': arn('events', `:rule/${rulePrefix(A)}*`) },
      ArnNotLike: { 'aws:SourceArn': arn('events', ':rule/*/*') },
    });
  });
});

describe('roles that EventBridge and Step Functions assume', () => {
  it('trust events.amazonaws.com only for exactly the rules that use them, from this account', () => {
    const byRole = new Map<string, string[]>();
    // The mappings' rules (the core's admin-changes rule has no role: it sends to the alarm topic, if any).
    // The sweep's schedule invokes its Lambda (a resource policy), not a role.
    const mappingRules = ofType(a, 'AWS::Events::Rule').filter(([id]) => !/^(AdminWatch|Sweep)/.test(id));
    for (const [, rule] of mappingRules) {
      for (const t of rule.Properties!.Targets) {
        const id = roleIdOf(t.RoleArn);
        byRole.set(id, [...(byRole.get(id) ?? []), rule.Properties!.Name]);
      }
    }
    expect(byRole.size).toBe(2); // one per mapping, shared by its rules
    for (const [id, names] of byRole) {
      expect(trustOf(a.resources[id]!)).toStrictEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnEquals: { 'aws:SourceArn': [...new Set(names)].map((n) => arn('events', `:rule/${n}`)) },
          },
        },
      ]);
    }
    expect([...byRole.values()].flat()).toContain(ruleName(A, 'app-config', 'trail'));
  });

  it('trust states.amazonaws.com only for the one state machine that uses them, from this account', () => {
    const machines = ofType(a, 'AWS::StepFunctions::StateMachine');
    for (const [, sm] of machines) {
      expect(trustOf(a.resources[roleIdOf(sm.Properties!.RoleArn)]!)).toStrictEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: { 'aws:SourceArn': arn('states', `:stateMachine:${sm.Properties!.StateMachineName}`) },
          },
        },
      ]);
    }
  });

  it('are all the roles any service but Lambda assumes', () => {
    const services = ofType(a, 'AWS::IAM::Role').flatMap(([, r]) => trustOf(r).map((st) => st.Principal.Service));
    const notLambda = services.filter((svc) => svc !== 'lambda.amazonaws.com').sort();
    const [events, states] = ['events.amazonaws.com', 'states.amazonaws.com'];
    expect(notLambda).toStrictEqual([events, events, states, states]); // two mappings: one of each per mapping
  });
});
