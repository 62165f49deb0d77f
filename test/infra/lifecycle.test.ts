// The mapping's lifecycle in the template: the initial sync a deployment
// starts, the optional resync schedule, and the deletion policy's settings.
// Every synth here also runs cdk-nag: it throws on any unacknowledged finding.
import { kubeNames } from '../../infra/model/kube-names.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMappings, parseMappings } from '../../infra/model/config.ts';
import { ruleName } from '../../infra/constructs/events.ts';
import { INITIAL_SYNC_RESOURCE_TYPE, mappingConfigHash } from '../../infra/constructs/mapping.ts';
import {
  EXAMPLE_FILE,
  exampleText,
  functionId,
  iamStatements,
  ofType,
  roleOf,
  single,
  synth,
  type CfnResource,
  type Synthesized,
} from '../support/infra.ts';

const PROVIDER = /^AWS679f53fac002430cb0da5b7982bd2287/;
/** The example with a resync schedule and deletionPolicy delete on app-config. */
const VARIANT = exampleText(
  ['# resyncSchedule: rate(1 day)', 'resyncSchedule: rate(1 hour)'],
  ['deletionPolicy: retain ', 'deletionPolicy: delete '],
);

/** A template value with `Ref`s and `Fn::GetAtt`s as `<LogicalId>` text, for reading JSON built with tokens. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(text).join(v['Fn::Join'][0]);
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}

const stateMachineOf = (s: Synthesized, mappingId: string) =>
  single(
    ofType(s, 'AWS::StepFunctions::StateMachine').filter(
      ([, r]) => r.Properties!.DefinitionSubstitutions.MappingId === mappingId,
    ),
  )[0];
const accessEntryOf = (s: Synthesized, mappingId: string) =>
  single(
    ofType(s, 'AWS::EKS::AccessEntry').filter(
      ([, r]) =>
        JSON.stringify(r.Properties!.KubernetesGroups) === JSON.stringify([kubeNames(EXAMPLE_APP, mappingId).group]),
    ),
  )[0];
const EXAMPLE_APP = { appName: 'EksSecretSync', account: '111122223333', region: 'us-east-1' };
const initialSyncs = (s: Synthesized) => ofType(s, INITIAL_SYNC_RESOURCE_TYPE);
const callOf = (r: CfnResource, phase: 'Create' | 'Update') => JSON.parse(text(r.Properties![phase]));
const initialSyncOf = (s: Synthesized, mappingId: string) =>
  single(
    initialSyncs(s).filter(
      ([, r]) => JSON.parse(callOf(r, 'Create').parameters.input).event.detail.mappingId === mappingId,
    ),
  );

let example: Synthesized;
let variant: Synthesized;

beforeAll(() => {
  example = synth();
  variant = synth(VARIANT);
}, 180_000);

describe('the initial sync', () => {
  it.each(['app-config', 'web-tls'])(
    "of %s starts the mapping's own state machine once, with the initial sync input and the settings hash",
    (id) => {
      // Prepare
      const m = loadMappings(EXAMPLE_FILE).mappings.find((x) => x.id === id)!;
      const [, resource] = initialSyncOf(example, id);

      // Act
      const create = callOf(resource, 'Create');

      // Assess
      expect(create).toStrictEqual({
        service: 'SFN',
        action: 'startExecution',
        parameters: { stateMachineArn: `<${stateMachineOf(example, id)}>`, input: create.parameters.input },
        physicalResourceId: { id: `${id}-initial-sync` },
        outputPaths: ['executionArn'],
      });
      expect(JSON.parse(create.parameters.input)).toStrictEqual({
        event: {
          source: 'eks-secret-sync',
          'detail-type': 'Initial sync',
          detail: { mappingId: id, configHash: mappingConfigHash(m) },
        },
        attempt: 1,
      });
      expect(callOf(resource, 'Update')).toStrictEqual(create);
      expect(resource.Properties!.InstallLatestAwsSdk).toBe(false);
    },
  );

  it('waits for the state machine and the access entry of its mapping', () => {
    for (const id of ['app-config', 'web-tls']) {
      const [, resource] = initialSyncOf(example, id);
      expect(resource.DependsOn).toEqual(
        expect.arrayContaining([stateMachineOf(example, id), accessEntryOf(example, id)]),
      );
    }
  });

  // A fresh bundled synth in the test (two synths must agree): minutes on the shared 2-core machine.
  it("runs again when the mapping's settings change, and only that mapping's", { timeout: 300_000 }, () => {
    const input = (s: Synthesized, id: string) => callOf(initialSyncOf(s, id)[1], 'Update').parameters.input;
    expect(input(variant, 'app-config')).not.toBe(input(example, 'app-config'));
    expect(input(variant, 'web-tls')).toBe(input(example, 'web-tls'));
    expect(input(synth(undefined, { fresh: true }), 'app-config')).toBe(input(example, 'app-config'));
  });

  it("lets the provider start exactly the mappings' state machines, one statement each", () => {
    const [, provider] = single(ofType(example, 'AWS::Lambda::Function').filter(([id]) => PROVIDER.test(id)));
    const starts = iamStatements(example).filter(
      (st) => st.roles.includes(roleOf(provider)) && st.Action.includes('states:StartExecution'),
    );
    expect(
      starts
        .map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toStrictEqual(
      ['app-config', 'web-tls']
        .map((id) => ({
          Action: ['states:StartExecution'],
          Resource: [{ Ref: stateMachineOf(example, id) }],
          Condition: undefined,
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });
});

/** The mappings' schedule rules (`resyncSchedule`), not the app's sweep (`Sweep...`, test/infra/sweep.test.ts). */
const resyncRules = (s: Synthesized) =>
  ofType(s, 'AWS::Events::Rule').filter(
    ([id, r]) => r.Properties!.ScheduleExpression !== undefined && !id.startsWith('Sweep'),
  );

describe('the resync schedule', () => {
  it(
    'is a rule only for a mapping with resyncSchedule, starting its state machine with the scheduled sync input and ' +
      'the DLQ',
    () => {
      // Prepare
      // A mapping's schedule (the app's lost-event sweep has its own: test/infra/sweep.test.ts).
      const scheduled = (s: Synthesized) => resyncRules(s);
      const dlq = single(ofType(variant, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetterQueue')))[0];

      // Act
      const [, rule] = single(scheduled(variant), 'schedule rule');

      // Assess
      expect(scheduled(example)).toHaveLength(0);
      expect(rule.Properties).toMatchObject({
        Name: ruleName('EksSecretSync', 'app-config', 'sched'),
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
      });
      const [target] = rule.Properties!.Targets;
      expect(target).toMatchObject({
        Arn: { Ref: stateMachineOf(variant, 'app-config') },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
      });
      expect(JSON.parse(target.Input)).toStrictEqual({
        event: { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync', detail: { mappingId: 'app-config' } },
        attempt: 1,
      });
      const statements = iamStatements(variant).filter((st) => st.roles.includes(target.RoleArn['Fn::GetAtt'][0]));
      expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toStrictEqual([
        { Action: ['states:StartExecution'], Resource: [{ Ref: stateMachineOf(variant, 'app-config') }] },
      ]);
    },
  );

  // A bundled synth in the test (a cache hit once these inputs were synthesized): minutes at a load of 25 when not.
  it('accepts cron expressions too', { timeout: 300_000 }, () => {
    const s = synth(exampleText(['# resyncSchedule: rate(1 day)', 'resyncSchedule: cron(0 3 * * ? *)']));
    const [, rule] = single(resyncRules(s));
    expect(rule.Properties!.ScheduleExpression).toBe('cron(0 3 * * ? *)');
  });
});

describe('the deletion policy', () => {
  const env = (s: Synthesized, id: string, fn: 'read-secret') =>
    s.resources[functionId(s, id, fn)]!.Properties!.Environment.Variables;

  it('reaches read-secret, which plans the write, as DELETION_POLICY (retain by default)', () => {
    expect(env(example, 'app-config', 'read-secret').DELETION_POLICY).toBe('retain');
    expect(env(example, 'web-tls', 'read-secret').DELETION_POLICY).toBe('retain');
    expect(env(variant, 'app-config', 'read-secret').DELETION_POLICY).toBe('delete');
  });

  it('gives the fetch role DescribeSecret on the one secret only with cloudTrailRules (which deliver DeleteSecret)', {
    timeout: 300_000,
  }, () => {
    const cfg = parseMappings(exampleText(['cloudTrailRules: true ', 'cloudTrailRules: false ']), 'test.yaml');
    const s = synth(cfg);
    const describes = iamStatements(s).filter((st) => st.Action.includes('secretsmanager:DescribeSecret'));
    expect(describes).toHaveLength(0);
    const inExample = iamStatements(example).filter((st) => st.Action.includes('secretsmanager:DescribeSecret'));
    expect(inExample.map((st) => [st.roles, st.Resource])).toStrictEqual([
      [
        [roleOf(example.resources[functionId(example, 'app-config', 'fetch-secret')]!)],
        ['arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf'],
      ],
    ]);
  });
});
