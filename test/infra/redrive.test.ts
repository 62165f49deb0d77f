// The redrive wiring on the synthesized template. moto 5.2.5 has no
// StartMessageMoveTask, so what makes the console's "Start DLQ redrive" accept
// our DLQ is proven here: a queue whose RedrivePolicy dead-letters into it.
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/lambda-defaults.ts';
import { REDRIVE_OUTPUTS } from '../../infra/constructs/redrive.ts';
import { rulePrefix } from '../../infra/model/resource-names.ts';
import {
  exampleText,
  iamStatements,
  ofType,
  roleOf,
  single,
  statementsOf,
  synth,
  type CfnResource,
  type Synthesized,
} from '../support/infra.ts';

let s: Synthesized;
const getArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const queueId = (prefix: string) =>
  single(
    ofType(s, 'AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix)),
    `queue ${prefix}*`,
  )[0];
const dlq = () => queueId('DeadLetterQueue');
const syncRequests = () => queueId('RedriveSyncRequests');
const parked = () => queueId('RedriveParked');
/** `arn:<partition>:states:<region>:<account>:stateMachine:<the app's prefix>` as the template writes it. */
const smArnPrefix = () => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:states:${s.stack.region}:`,
      { Ref: 'AWS::AccountId' },
      `:stateMachine:${rulePrefix(s.stack.stackName)}`,
    ],
  ],
});
const consumer = (t: Synthesized = s): [string, CfnResource] =>
  single(
    ofType(t, 'AWS::Lambda::Function').filter(([, r]) => r.Metadata?.[FUNCTION_METADATA_KEY] === 'redrive-sync'),
    'redrive-sync function',
  );

beforeAll(() => {
  s = synth();
}, 120_000);

describe('the sync-requests queue', () => {
  it('dead-letters into the DLQ, which makes the DLQ a source StartMessageMoveTask accepts', () => {
    expect(s.resources[syncRequests()]!.Properties).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: getArn(dlq()), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
      VisibilityTimeout: 180, // six times the consumer's 30 s timeout
    });
    // No RedriveAllowPolicy: the default (allowAll) lets sync-requests name the DLQ.
    expect(s.resources[dlq()]!.Properties!.RedriveAllowPolicy).toBeUndefined();
  });

  it('is the only queue with a redrive policy: the DLQ and the parked queue never move messages by themselves', () => {
    const withPolicy = ofType(s, 'AWS::SQS::Queue')
      .filter(([, q]) => q.Properties?.RedrivePolicy !== undefined)
      .map(([id]) => id);
    expect(withPolicy).toStrictEqual([syncRequests()]);
  });

  it('feeds the redrive-sync function in batches of 10 with partial batch responses', () => {
    const [, mapping] = single(ofType(s, 'AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toStrictEqual({
      FunctionName: { Ref: consumer()[0] },
      EventSourceArn: getArn(syncRequests()),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('refuses plain HTTP, like every queue of the stack', () => {
    for (const queue of [dlq(), syncRequests(), parked()]) {
      const [, policy] = single(
        ofType(s, 'AWS::SQS::QueuePolicy').filter(([, p]) => p.Properties!.Queues[0].Ref === queue),
      );
      expect(policy.Properties!.PolicyDocument.Statement[0]).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });
});

describe('the parked queue', () => {
  it('is encrypted and keeps messages 14 days (the SQS maximum)', () => {
    expect(s.resources[parked()]!.Properties).toStrictEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('alarms as soon as a message is parked', () => {
    const [, a] = single(
      ofType(s, 'AWS::CloudWatch::Alarm').filter(([id]) => /^MonitoringParkedAlarm[0-9A-F]{8}$/.test(id)),
    );
    expect(a.Properties).toMatchObject({
      Metrics: [
        {
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [parked(), 'QueueName'] } }],
            },
            Stat: 'Maximum',
            Period: 60,
          },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('the redrive-sync function', () => {
  it("knows every mapping's state machine, the parked queue and the attempt limit", () => {
    const vars = consumer()[1].Properties!.Environment.Variables;
    expect(vars.PARKED_QUEUE_URL).toStrictEqual({ Ref: parked() });
    expect(vars.REDRIVE_MAX_ATTEMPTS).toBe('5');
    // A prefix of every state machine of the app, not a list: the same size for 1 and 500 mappings.
    expect(vars.STATE_MACHINES).toBeUndefined();
    expect(vars.STATE_MACHINE_ARN_PREFIX).toStrictEqual(smArnPrefix());
    for (const [, sm] of ofType(s, 'AWS::StepFunctions::StateMachine')) {
      expect(sm.Properties!.StateMachineName.startsWith(rulePrefix(s.stack.stackName))).toBe(true);
    }
  });

  // A bundled synth in the test (a cache hit once these inputs were synthesized): minutes at a load of 25 when not.
  it('takes the attempt limit from stack.redriveMaxAttempts', { timeout: 300_000 }, () => {
    const other = synth(exampleText(['redriveMaxAttempts: 5 ', 'redriveMaxAttempts: 3 ']));
    expect(consumer(other)[1].Properties!.Environment.Variables.REDRIVE_MAX_ATTEMPTS).toBe('3');
  });

  it(
    "may start the app's state machines (name prefix), read sync-requests, send to the parked queue, and write its " +
      'logs: nothing else',
    () => {
      const [, fn] = consumer();
      const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      const statements = statementsOf(s, roleOf(fn)).map(({ Action, Resource, Condition }) => ({
        Action: [...Action].sort(),
        Resource,
        Condition,
      }));
      const logGroup = fn.Properties!.LoggingConfig.LogGroup.Ref;
      expect(statements.sort(byText)).toStrictEqual(
        [
          { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [getArn(logGroup)], Condition: undefined },
          {
            Action: ['states:StartExecution'],
            // Every state machine of the app, in all its stacks, and no other app's (their prefix differs).
            Resource: [
              {
                'Fn::Join': [
                  '',
                  [
                    ...(smArnPrefix()['Fn::Join'][1] as unknown[]).slice(0, -1),
                    `:stateMachine:${rulePrefix(s.stack.stackName)}*`,
                  ],
                ],
              },
            ],
            Condition: undefined,
          },
          {
            Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
            Resource: [getArn(parked())],
            Condition: undefined,
          },
          {
            Action: [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
            ],
            Resource: [getArn(syncRequests())],
            Condition: undefined,
          },
        ].sort(byText),
      );
    },
  );

  it("is, with the EventBridge roles and the sweep's, the only identity that may start an execution", () => {
    const starters = iamStatements(s).filter((st) => st.Action.includes('states:StartExecution'));
    // The mappings' rules (the sweep's schedule invokes its function, with no role; its role is listed below).
    const eventRoles = ofType(s, 'AWS::Events::Rule')
      .filter(([id]) => !id.startsWith('AdminWatch') && !id.startsWith('Sweep'))
      .map(([, r]) => r.Properties!.Targets[0].RoleArn['Fn::GetAtt'][0]);
    expect([...new Set(starters.flatMap((st) => st.roles))].sort()).toStrictEqual(
      [
        ...new Set([
          ...eventRoles,
          roleOf(consumer()[1]),
          ...ofType(s, 'AWS::Lambda::Function')
            .filter(
              ([id, f]) =>
                id.startsWith('AWS679f53fac002430cb0da5b7982bd2287') ||
                f.Metadata?.[FUNCTION_METADATA_KEY] === 'sweep-secrets',
            )
            .map(([, f]) => roleOf(f)),
        ]),
      ].sort(),
    );
  });
});

describe('the outputs', () => {
  it('give the DLQ URL, the redrive destination, the parked queue, the state machines and the redrive command', () => {
    const outputs = s.json.Outputs!;
    expect(outputs.DeadLetterQueueUrl.Value).toStrictEqual({ Ref: dlq() });
    expect(outputs[REDRIVE_OUTPUTS.syncRequestsQueueArn].Value).toStrictEqual(getArn(syncRequests()));
    expect(outputs[REDRIVE_OUTPUTS.parkedQueueUrl].Value).toStrictEqual({ Ref: parked() });
    expect(JSON.stringify(outputs[REDRIVE_OUTPUTS.stateMachineArnPrefix].Value)).toContain(
      `:stateMachine:${rulePrefix(s.stack.stackName)}`,
    );
    const command = JSON.stringify(outputs[REDRIVE_OUTPUTS.dlqRedriveCommand].Value);
    expect(command).toContain('aws sqs start-message-move-task --source-arn ');
    expect(command).toContain(JSON.stringify(getArn(dlq())));
    expect(command).toContain(JSON.stringify(getArn(syncRequests())));
  });
});
