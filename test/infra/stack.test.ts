import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { RESTART_STEP_TIMEOUT_SECONDS } from '../../functions/domain/rollout.ts';
import { CORE_STEP_KINDS, FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { rbacApplyCommand } from '../../infra/model/applyset.ts';
import { rbacCommand } from '../../bin/commands/rbac.ts';
import { kubeNames } from '../../infra/model/kube-names.ts';
const EXAMPLE_APP = { appName: 'EksSecretSync', account: '111122223333', region: 'us-east-1' };

import { beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION_INPUT_TEMPLATE, ruleName, rulePrefix } from '../../infra/constructs/events.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../infra/app.ts';
import { loadMappings, parseMappings } from '../../infra/model/config.ts';
import { DEFAULT_MAPPINGS_PER_STACK } from '../../infra/model/config-schema.ts';
import type { FUNCTION_NAMES } from '../../infra/constructs/lambda-defaults.ts';
import { EksSecretSyncStack, SYNC_CONSTRUCT_ID } from '../../infra/constructs/stack.ts';
import { fleetYaml } from '../support/fleet.ts';
import { ALARM_IDS } from '../support/alarms.ts';
import {
  definitionValue,
  jsonWithTokens,
  EXAMPLE_FILE,
  exampleText,
  functionId,
  ofType,
  single,
  synth,
  type Synthesized,
} from '../support/infra.ts';

const APP_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf';
const TLS_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/web-tls-X1y2Z3';
const PROVIDER = /^AWS679f53fac002430cb0da5b7982bd2287/;

let s: Synthesized;
let variantCache: Synthesized | undefined;

/** The example with alarmEmail set and endpoint and CA given for every mapping (synthesized once, on first use). */
function variant(): Synthesized {
  const ca = /certificateAuthority: ([A-Za-z0-9+/=]{100,})/.exec(exampleText())![1]!;
  variantCache ??= synth(
    exampleText(
      ['# alarmEmail: ops@example.com', 'alarmEmail: ops@example.com'],
      [
        /( {6}name: prod +# Required[^\n]*\n)/,
        `$1      endpoint: https://a.example\n      certificateAuthority: ${ca}\n`,
      ],
    ),
  );
  return variantCache;
}
const env = (mappingId: string, name: (typeof FUNCTION_NAMES)[number]) =>
  s.resources[functionId(s, mappingId, name)]!.Properties!.Environment.Variables as Record<string, unknown>;
const rulesOf = (arn: string) =>
  ofType(s, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties!.EventPattern ?? null).includes(arn));

beforeAll(() => {
  s = synth();
}, 120_000);

/** The rules of the mappings (not the core's admin-changes rule, test/infra/admin-watch.test.ts). */
const mappingRules = () =>
  ofType(s, 'AWS::Events::Rule').filter(([id]) => !id.startsWith('AdminWatch') && !id.startsWith('Sweep'));

/**
 * A function's timeout: the seal grants resource waits for new grants to settle (functions/seal-grants); the sweep
 * lists the account's secrets; the restart follows the rollouts (functions/domain/rollout.ts); the rest 30 s.
 */
function timeoutOf(name: unknown): number {
  if (name === 'seal-grants') return 180;
  if (name === 'sweep-secrets') return 60;
  return name === 'restart-workloads' ? RESTART_STEP_TIMEOUT_SECONDS : 30;
}

describe('the Lambda functions', () => {
  it(
    "are the step table's core rows per mapping and restart-workloads for the mapping with restart, all " +
      "nodejs24.x on arm64 with JSON logs at INFO, besides CDK's custom resource provider",
    () => {
      const fns = ofType(s, 'AWS::Lambda::Function');
      const ours = fns.filter(([id]) => !PROVIDER.test(id));
      expect(fns.length - ours.length).toBe(1);
      const mappings = ofType(s, 'AWS::StepFunctions::StateMachine').length;
      expect(mappings).toBe(2);
      // + restart-workloads once, and the core's redrive-sync, seal-grants and sweep-secrets
      expect(ours).toHaveLength(mappings * CORE_STEP_KINDS.length + 1 + 3);
      const restarts = ours.filter(([, fn]) => fn.Metadata?.['eks-secret-sync:function'] === 'restart-workloads');
      expect(restarts.map(([, fn]) => fn.Properties!.Environment.Variables.MAPPING_ID)).toStrictEqual(['app-config']);
      for (const [, fn] of ours) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: 256,
          // The seal grants resource waits for new grants to settle (functions/seal-grants).
          Timeout: timeoutOf(fn.Metadata?.['eks-secret-sync:function']),
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
        });
        expect(fn.Properties!.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('eks-secret-sync');
      }
      expect(fns.find(([id]) => PROVIDER.test(id))![1].Properties!.Runtime).toBe('nodejs24.x');
    },
  );

  it('give each function a log group with the configured retention', () => {
    for (const [, fn] of ofType(s, 'AWS::Lambda::Function').filter(([id]) => !PROVIDER.test(id))) {
      expect(s.resources[fn.Properties!.LoggingConfig.LogGroup.Ref]!.Properties!.RetentionInDays).toBe(30);
    }
  });

  it('set exactly the environment each handler reads', () => {
    const seal = { 'Fn::GetAtt': [ofType(s, 'AWS::KMS::Key')[0]![0], 'Arn'] };
    const lookup = ofType(s, 'Custom::AWS')[0]![0];
    // The Kubernetes identity: the role the Kubernetes steps share and sign their tokens with (`MintToken/Role`).
    const identityRole = s.resources[functionId(s, 'app-config', 'read-secret')]!.Properties!.Role['Fn::GetAtt'][0];
    expect(identityRole).toMatch(/^MappingappconfigMintTokenRole[0-9A-F]{8}$/);
    const identity = { 'Fn::GetAtt': [identityRole, 'Arn'] };
    const common = { POWERTOOLS_SERVICE_NAME: 'eks-secret-sync', MAPPING_ID: 'app-config' };
    expect(env('app-config', 'fetch-secret')).toStrictEqual({
      ...common,
      SECRET_ARN: APP_ARN,
      SEAL_KEY_ID: seal,
      SECRET_TYPE: 'Opaque',
      SYNC_LEDGER_TABLE: { Ref: ofType(s, 'AWS::DynamoDB::Table')[0]![0] },
    });
    // Where each target is, and its cluster's endpoint and CA, travel in the state from the definition.
    expect(definitionValue(s, 'app-config', 'TargetsJson')).toStrictEqual([
      { name: 'prod/app/app-config', cluster: 'prod', namespace: 'app', secretName: 'app-config' },
    ]);
    expect(definitionValue(s, 'app-config', 'ClustersJson')).toStrictEqual({
      prod: { endpoint: `<${lookup}.cluster.endpoint>`, ca: `<${lookup}.cluster.certificateAuthority.data>` },
    });
    // The only endpoints the Kubernetes functions (the step table's `inVpc` rows) send the token they sign to: the
    // same lookup the definition's clusters use.
    const kubernetesFunctions = FUNCTION_STEPS.filter((r) => r.inVpc).map((r) => r.kind);
    expect(kubernetesFunctions).toContain('restart-workloads');
    for (const fn of kubernetesFunctions) {
      expect(jsonWithTokens(env('app-config', fn).CLUSTER_ENDPOINTS)).toStrictEqual([`<${lookup}.cluster.endpoint>`]);
    }
    const endpoints = env('app-config', 'read-secret').CLUSTER_ENDPOINTS;
    // Every cluster in the stack's region: no CLUSTER_REGIONS.
    const cluster = { ...common, CLUSTER_ENDPOINTS: endpoints, KUBE_IDENTITY: identity };
    const target = { ...cluster, SEAL_KEY_ID: seal, SECRET_TYPE: 'Opaque' };
    // read-secret also plans the merge: the mapping's merge options reach it (plan-merge's of earlier releases).
    expect(env('app-config', 'read-secret')).toStrictEqual({
      ...target,
      PRUNE: 'false',
      LABELS: '{"team":"checkout"}',
      ANNOTATIONS: '{"example.com/owner":"checkout-team@example.com"}',
      RESTART_TARGETS: '["deployment/checkout-api"]',
      DELETION_POLICY: 'retain',
    });
    // apply-secret also records each write's freshness in the app's metric namespace (the core stack's).
    expect(env('app-config', 'apply-secret')).toStrictEqual({
      ...target,
      METRIC_NAMESPACE: 'EksSecretSync/EksSecretSync',
    });
    // restart-workloads opens nothing: no seal key.
    expect(env('app-config', 'restart-workloads')).toStrictEqual({
      ...cluster,
      RESTART_TARGETS: '["deployment/checkout-api"]',
      // rolloutTimeoutSeconds at its default (0, not followed): no variable.
    });
    expect(env('web-tls', 'read-secret')).toMatchObject({ RESTART_TARGETS: '[]' });
  });

  it('use the endpoint and CA from the mapping when it gives them', () => {
    const { prod } = definitionValue(s, 'web-tls', 'ClustersJson') as Record<string, { endpoint: string; ca: string }>;
    expect(prod!.endpoint).toBe('https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com');
    expect(Buffer.from(prod!.ca, 'base64').toString()).toContain('-----BEGIN CERTIFICATE-----');
    expect(env('web-tls', 'read-secret')).toMatchObject({
      PRUNE: 'true',
      SECRET_TYPE: 'kubernetes.io/tls',
      LABELS: '{}',
      ANNOTATIONS: '{}',
    });
  });
});

describe('the state machines', () => {
  it("are Express, log ALL with execution data to the stack's one log group with retention, and are traced", () => {
    const sms = ofType(s, 'AWS::StepFunctions::StateMachine');
    expect(sms).toHaveLength(2);
    const groups = new Set<string>();
    for (const [, sm] of sms) {
      expect(sm.Properties).toMatchObject({ StateMachineType: 'EXPRESS', TracingConfiguration: { Enabled: true } });
      const logging = sm.Properties!.LoggingConfiguration;
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      groups.add(logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]);
    }
    expect(groups.size).toBe(1);
    expect(s.resources[[...groups][0]!]!.Properties).toStrictEqual({
      // A new name each time the stack is created: the stack id's UUID follows the prefix.
      LogGroupName: {
        'Fn::Join': [
          '',
          [
            '/aws/vendedlogs/states/eks-secret-sync/EksSecretSync/executions/',
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
          ],
        ],
      },
      RetentionInDays: 30,
    });
  });
});

describe('the EventBridge rules', () => {
  it('start a sync on the native label event for exactly the one secret', () => {
    const [, rule] = single(rulesOf(TLS_ARN), 'rule');
    expect(rule.Properties!.EventPattern).toStrictEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['Secret Label Updated'],
      resources: [TLS_ARN],
      detail: { labelUpdated: ['AWSCURRENT'] },
    });
  });

  it('add the CloudTrail rule only where the mapping asks for it, matching exact values only', () => {
    const cloudTrail = mappingRules().filter(
      ([, r]) => r.Properties!.EventPattern['detail-type'][0] === 'AWS API Call via CloudTrail',
    );
    expect(cloudTrail).toHaveLength(1);
    const pattern = cloudTrail[0]![1].Properties!.EventPattern;
    expect(pattern.detail.$or).toStrictEqual([
      { responseElements: { arn: [APP_ARN] } },
      { responseElements: { aRN: [APP_ARN] } },
      { requestParameters: { secretId: [APP_ARN, APP_ARN.slice(0, -7), 'prod/app-config'] } },
    ]);
    // Exact strings everywhere: no prefix, suffix, wildcard or anything-but that could match another secret.
    const values = JSON.stringify(pattern, (_k, v) => v);
    expect(values).not.toMatch(/"(prefix|suffix|wildcard|anything-but|equals-ignore-case)"/);
  });

  it("target the mapping's state machine with the documented input, retries and the DLQ", () => {
    const queue = ofType(s, 'AWS::SQS::Queue')[0]![0];
    for (const [, rule] of mappingRules()) {
      const targets = rule.Properties!.Targets;
      expect(targets).toHaveLength(1);
      expect(targets[0]).toMatchObject({
        InputTransformer: { InputTemplate: EXECUTION_INPUT_TEMPLATE },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      });
      expect(targets[0].InputTransformer.InputPathsMap).toBeUndefined();
      expect(s.resources[targets[0].Arn.Ref]!.Type).toBe('AWS::StepFunctions::StateMachine');
    }
    expect(EXECUTION_INPUT_TEMPLATE).toBe('{"event": <aws.events.event.json>, "attempt": 1}');
  });
});

describe('the EKS access entries', () => {
  it("map each Kubernetes identity (the role the Kubernetes steps share) to the mapping's Kubernetes group, type STANDARD", () => {
    for (const id of ['app-config', 'web-tls']) {
      const role = s.resources[functionId(s, id, 'apply-secret')]!.Properties!.Role['Fn::GetAtt'][0];
      expect(role).toMatch(new RegExp(`^Mapping${id.replace('-', '')}MintTokenRole[0-9A-F]{8}$`));
      s.template.hasResourceProperties('AWS::EKS::AccessEntry', {
        ClusterName: 'prod',
        PrincipalArn: { 'Fn::GetAtt': [role, 'Arn'] },
        KubernetesGroups: [kubeNames(EXAMPLE_APP, id).group],
        Type: 'STANDARD',
      });
    }
    s.template.resourceCountIs('AWS::EKS::AccessEntry', 2);
  });

  it('come with an output that is the exact command applying the RBAC of their cluster', () => {
    const outputs = Object.entries(s.json.Outputs ?? {}).filter(([id]) => id.includes('RbacCommand'));
    // Both mappings are on cluster prod: the same one command (no mappings context here: the CLI's default file).
    const command = rbacApplyCommand(EXAMPLE_APP, 'prod');
    expect(outputs.map(([, o]) => o.Value)).toStrictEqual([command, command]);
  });

  it('name the mappings file the app was synthesized from (-c mappings=...) in that command, as rbac prints it', async () => {
    const app = new App({ stackTraces: false, context: { mappings: EXAMPLE_FILE } });
    const stack = new EksSecretSyncStack(app, 'EksSecretSync', { config: loadMappings(EXAMPLE_FILE) });
    const values = Object.values(Template.fromStack(stack).findOutputs('*')).map((o) => o.Value);
    expect(values).toContain(rbacApplyCommand(EXAMPLE_APP, 'prod', EXAMPLE_FILE));
    // The CLI's own line for the same file: what the operator runs is what the stack's output says.
    const printed: string[] = [];
    const io = { stdout: (t: string) => printed.push(t), stderr: () => undefined, env: {} };
    expect(await rbacCommand.run(['--cluster', 'prod', '--mappings', EXAMPLE_FILE], io)).toBe(0);
    expect(printed.join('').split('\n')[0]).toBe(
      `# apply with: ${rbacApplyCommand(EXAMPLE_APP, 'prod', EXAMPLE_FILE)}`,
    );
  }, 120_000);
});

describe('the cluster lookup', () => {
  it('runs at deploy time, once, only for the cluster given without endpoint and CA', () => {
    const lookups = ofType(s, 'Custom::AWS');
    expect(lookups).toHaveLength(1);
    const create = JSON.stringify(lookups[0]![1].Properties!.Create);
    expect(create).toContain('\\"action\\":\\"describeCluster\\"');
    expect(create).toContain('\\"outputPaths\\":[\\"cluster.endpoint\\",\\"cluster.certificateAuthority.data\\"]');
    expect(lookups[0]![1].Properties!.InstallLatestAwsSdk).toBe(false);
    const [, provider] = single(ofType(s, 'AWS::Lambda::Function').filter(([id]) => PROVIDER.test(id)));
    expect(s.resources[provider.Properties!.LoggingConfig.LogGroup.Ref]!.Properties!.RetentionInDays).toBe(30);
  });

  it('is not there when every mapping gives endpoint and CA (the provider function stays: it starts the initial syncs)', () => {
    const other = variant();
    expect(ofType(other, 'Custom::AWS')).toHaveLength(0);
    const [, provider] = single(ofType(other, 'AWS::Lambda::Function').filter(([id]) => PROVIDER.test(id)));
    expect(other.resources[provider.Properties!.LoggingConfig.LogGroup.Ref]!.Properties!.RetentionInDays).toBe(30);
    // The same functions as with the lookup (the provider stays), each with its log group, and the executions' one.
    expect(ofType(other, 'AWS::Lambda::Function')).toHaveLength(ofType(s, 'AWS::Lambda::Function').length);
    expect(ofType(other, 'AWS::Logs::LogGroup')).toHaveLength(ofType(other, 'AWS::Lambda::Function').length + 1);
  }, 90_000); // a synth in the test: slow on a shared machine
});

describe('the shared resources', () => {
  it('encrypt the DLQ with SQS-managed keys and keep messages 14 days', () => {
    const [, dlq] = single(ofType(s, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetterQueue')));
    expect(dlq.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  it("let the DLQ refuse plain HTTP and admit EventBridge for this stack's rules in one statement, however many rules", () => {
    const [queue] = single(ofType(s, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetterQueue')));
    const [, policy] = single(
      ofType(s, 'AWS::SQS::QueuePolicy').filter(([, p]) => p.Properties!.Queues[0].Ref === queue),
    );
    expect(policy.Properties!.PolicyDocument.Statement).toStrictEqual([
      {
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      },
      {
        Sid: 'EventBridgeRulesOfThisStack',
        Action: 'sqs:SendMessage',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:us-east-1:',
                  { Ref: 'AWS::AccountId' },
                  `:rule/${rulePrefix('EksSecretSync')}*`,
                ],
              ],
            },
          },
          ArnNotLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:', { Ref: 'AWS::AccountId' }, ':rule/*/*'],
              ],
            },
          },
        },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      },
    ]);
    const names = mappingRules()
      .map(([, r]) => r.Properties!.Name)
      .sort();
    expect(names).toStrictEqual([
      ruleName('EksSecretSync', 'app-config', 'label'),
      ruleName('EksSecretSync', 'app-config', 'trail'),
      ruleName('EksSecretSync', 'web-tls', 'label'),
    ]);
    expect(names.every((n: string) => n.startsWith(rulePrefix('EksSecretSync')))).toBe(true);
  });

  it('rotate the seal key and name it after the stack', () => {
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    s.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/eks-secret-sync/EksSecretSync/seal' });
  });

  it('alarm without a topic by default, the same alarms as docs/operations.md lists (test/infra/monitoring.test.ts)', () => {
    const alarms = ofType(s, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    expect(alarms).toHaveLength(ALARM_IDS.length);
    for (const a of alarms) {
      expect(a.AlarmActions).toBeUndefined();
      expect(a.OKActions).toBeUndefined();
    }
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('mail every alarm, ALARM and OK, through an SNS topic when alarmEmail is set', () => {
    const other = variant();
    const [topic] = single(ofType(other, 'AWS::SNS::Topic'), 'topic');
    other.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic },
    });
    const alarms = ofType(other, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(ALARM_IDS.length);
    for (const [, a] of alarms) {
      expect(a.Properties!.AlarmActions).toStrictEqual([{ Ref: topic }]);
      expect(a.Properties!.OKActions).toStrictEqual([{ Ref: topic }]);
    }
  });
});

describe('a mapping placed in another region than its stack', () => {
  it('fails the synth with an error on the mapping instead of deploying a rule that never fires', () => {
    const app = new App({ stackTraces: false });
    const stack = new EksSecretSyncStack(app, 'Elsewhere', {
      config: loadMappings(EXAMPLE_FILE),
      env: { region: 'eu-west-1' },
    });
    const errors = Annotations.fromStack(stack)
      .findError('*', Match.anyValue())
      .map((e) => [e.id, e.entry.data]);
    expect(errors).toStrictEqual([
      [
        `/Elsewhere/${SYNC_CONSTRUCT_ID}/Mapping-app-config`,
        'mapping app-config: the secret is in us-east-1 but the stack in eu-west-1; its events never reach this stack',
      ],
      [
        `/Elsewhere/${SYNC_CONSTRUCT_ID}/Mapping-web-tls`,
        'mapping web-tls: the secret is in us-east-1 but the stack in eu-west-1; its events never reach this stack',
      ],
    ]);
  }, 90_000); // a synth in the test: slow on a shared machine
});

describe('a mappings file too large for one stack', () => {
  // The limits at N and N+1 and the message: test/infra/fleet.test.ts.
  it('is spread over stacks by the app instead of failing', () => {
    const built = createApp(parseMappings(fleetYaml(DEFAULT_MAPPINGS_PER_STACK + 1), 'test.yaml'), {
      outdir: mkdtempSync(join(tmpdir(), 'eks-secret-sync-cdk-')),
    });
    expect(built.stacks.map((st) => [st.stackName, Object.keys(st.mappings).length])).toStrictEqual([
      ['Fleet', DEFAULT_MAPPINGS_PER_STACK],
      ['Fleet-2', 1],
    ]);
  }, 90_000); // a synth in the test: slow on a shared machine
});
