// The alarms of every loss path (issue 14): each one asserted on the synthesized template, their number the same
// for 1 and 40 mappings, and the ASL facts the execution-log metric filters rely on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { CfnAlarm, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnMetricFilter } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { DEFINITION_FILE } from '../../infra/constructs/state-machine.ts';
import {
  DEAD_LETTERED_STATE,
  EXECUTION_LOG_FILTERS,
  HANDLED_STEP_ERRORS,
  LAMBDA_THROTTLED,
} from '../../infra/constructs/monitoring-filters.ts';
import { metricNamespace, rulePrefix } from '../../infra/model/resource-names.ts';
import { SWEEP_FAILING_PERIODS } from '../../infra/constructs/monitoring.ts';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { ALARM_IDS } from '../support/alarms.ts';
import { FRESHNESS_METRIC } from '../../functions/domain/freshness.ts';
import { exampleText, ofType, synth, type Synthesized } from '../support/infra.ts';

let s: Synthesized;
beforeAll(() => {
  s = synth(exampleText(['# alarmEmail: ops@example.com', 'alarmEmail: ops@example.com']));
}, 120_000);

const alarm = (id: string): Record<string, any> => {
  const found = ofType(s, 'AWS::CloudWatch::Alarm').filter(([logicalId]) => logicalId.startsWith(`Monitoring${id}`));
  expect(found, id).toHaveLength(1);
  return found[0]![1].Properties!;
};
/** What a single-metric alarm watches, whether CDK wrote the plain form or (for a labelled metric) `Metrics`. */
const watched = (a: Record<string, any>) => {
  const stat = a.Metrics?.length === 1 ? a.Metrics[0].MetricStat : undefined;
  return stat
    ? { ...stat.Metric, Statistic: stat.Stat, Period: stat.Period, Threshold: a.Threshold }
    : {
        Namespace: a.Namespace,
        MetricName: a.MetricName,
        Dimensions: a.Dimensions,
        Statistic: a.Statistic,
        Period: a.Period,
        Threshold: a.Threshold,
      };
};
const NS = metricNamespace('EksSecretSync');
const queueOf = (prefix: string) => ofType(s, 'AWS::SQS::Queue').find(([id]) => id.startsWith(prefix))![0];
const DAY = 86_400;

describe('each alarm', () => {
  it.each([
    ['DeadLetterAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'DeadLetterQueue', 0],
    ['StaleSyncAlarm', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'DeadLetterQueue', 3600],
    ['DeadLetterExpiringAlarm', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'DeadLetterQueue', 10 * DAY],
    ['ParkedAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'RedriveParked', 0],
    ['ParkedExpiringAlarm', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'RedriveParked', 10 * DAY],
    ['SyncRequestsAgeAlarm', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'RedriveSyncRequests', 1800],
  ])('%s watches %s %s of the queue %s at %d', (id, namespace, metricName, queue, threshold) => {
    expect(watched(alarm(id))).toMatchObject({
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueOf(queue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: threshold,
    });
  });

  it('StepFailuresAlarm sums the execution-log metric StepFailures with a Metrics Insights query (> 0 in 5 minutes)', () => {
    const a = alarm('StepFailuresAlarm');
    expect(a.Metrics).toStrictEqual([
      expect.objectContaining({ Expression: `SELECT SUM(StepFailures) FROM "${NS}"`, Period: 300 }),
    ]);
    expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('FreshnessAlarm watches the p99 of the app-wide lag metric (no dimension) against freshnessMinutes', () => {
    const a = alarm('FreshnessAlarm');
    expect(watched(a)).toMatchObject({ Namespace: NS, MetricName: FRESHNESS_METRIC, Statistic: 'p99', Period: 300 });
    expect(watched(a).Dimensions).toBeUndefined();
    expect(a).toMatchObject({ Threshold: 3600, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('RedriveErrorsAlarm sums the Errors of the redrive-sync function with a Metrics Insights query', () => {
    const fn = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith('RedriveRedriveSync'))![0];
    const a = alarm('RedriveErrorsAlarm');
    expect(a.Metrics).toStrictEqual([
      expect.objectContaining({
        Expression: {
          'Fn::Join': [
            '',
            [`SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName) WHERE FunctionName = '`, { Ref: fn }, "'"],
          ],
        },
        Period: 300,
      }),
    ]);
    expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('UncaughtFailuresAlarm subtracts the dead-lettered executions from the unsuccessful ones', () => {
    const metrics = alarm('UncaughtFailuresAlarm').Metrics as Record<string, any>[];
    expect(metrics.find((m) => m.ReturnData !== false)!.Expression).toBe(
      'FILL(unsuccessful, 0) - FILL(deadLettered, 0)',
    );
    expect(Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat.Metric]))).toEqual({
      unsuccessful: { Namespace: NS, MetricName: 'ExecutionsUnsuccessful' },
      deadLettered: { Namespace: NS, MetricName: 'SyncsDeadLettered' },
    });
  });

  it('StartThrottledAlarm watches throttled StartExecution calls of the account', () => {
    expect(watched(alarm('StartThrottledAlarm'))).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ThrottledEvents',
      Dimensions: [{ Name: 'APIName', Value: 'StartExecution' }],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it.each([
    ['UndeliveredEventsAlarm', 'InvocationsFailedToBeSentToDlq'],
    ['FailedInvocationsAlarm', 'FailedInvocations'],
  ])('%s sums %s over the rules with a Metrics Insights query', (id, metricName) => {
    const [query] = alarm(id).Metrics as Record<string, any>[];
    expect(query).toMatchObject({
      Expression: `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", RuleName)`,
      Period: 300,
    });
  });

  it.each(ALARM_IDS)('%s notifies the topic on ALARM and OK and says what to do', (id) => {
    const [topic] = ofType(s, 'AWS::SNS::Topic')[0]!;
    const a = alarm(id);
    expect(a.AlarmActions).toStrictEqual([{ Ref: topic }]);
    expect(a.OKActions).toStrictEqual([{ Ref: topic }]);
    // The sweep's own alarm breaches on missing data (a sweep that did not run) over two sweep periods.
    const sweepOwn = id === 'SweepFailingAlarm';
    expect(a.EvaluationPeriods).toBe(sweepOwn ? SWEEP_FAILING_PERIODS : 1);
    expect(a.TreatMissingData).toBe(sweepOwn ? 'breaching' : 'notBreaching');
    expect(a.AlarmDescription).toMatch(/^eks-secret-sync EksSecretSync: /);
    // A runbook line: a command to run, or the place in the docs that says what to do.
    expect(a.AlarmDescription).toMatch(/`eks-secret-sync [a-z]+|docs\/operations\.md#|Raise |redeploy|Check /);
    expect(a.AlarmDescription.length).toBeLessThanOrEqual(1024);
  });

  it('are exactly the alarms of the design, each with a graph or a status tile on the dashboard', () => {
    const ids = ofType(s, 'AWS::CloudWatch::Alarm').map(([logicalId]) =>
      ALARM_IDS.find((a) => new RegExp(`^Monitoring${a}[0-9A-F]{8}$`).test(logicalId)),
    );
    expect(ids.sort()).toStrictEqual([...ALARM_IDS].sort());
    const [, dashboard] = ofType(s, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    for (const [logicalId] of ofType(s, 'AWS::CloudWatch::Alarm')) expect(body).toContain(logicalId);
  });
});

describe('the execution log group', () => {
  it('carries one metric filter per counted event kind, publishing only on a match (no default value)', () => {
    const filters = ofType(s, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties!);
    const [group] = ofType(s, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('ExecutionLogs'))!;
    expect(filters.map((f) => f.MetricTransformations[0].MetricName).sort()).toStrictEqual(
      Object.keys(EXECUTION_LOG_FILTERS).sort(),
    );
    for (const f of filters) {
      expect(f.LogGroupName).toStrictEqual({ Ref: group });
      expect(f.MetricTransformations).toStrictEqual([
        { MetricNamespace: NS, MetricName: f.MetricTransformations[0].MetricName, MetricValue: '1' },
      ]);
    }
  });

  it('counts with these patterns', () => {
    const pattern = (name: keyof typeof EXECUTION_LOG_FILTERS) => EXECUTION_LOG_FILTERS[name].logPatternString;
    expect(pattern('ExecutionsUnsuccessful')).toBe(
      '{ ($.type = "ExecutionFailed") || ($.type = "ExecutionTimedOut") || ($.type = "ExecutionAborted") }',
    );
    expect(pattern('SyncsDeadLettered')).toBe(
      `{ ($.type = "FailStateEntered") && ($.details.name = "${DEAD_LETTERED_STATE}") }`,
    );
    expect(pattern('ExecutionsTimedOut')).toBe('{ ($.type = "ExecutionTimedOut") || ($.type = "ExecutionAborted") }');
    expect(pattern('StepErrors')).toContain('($.type = "LambdaFunctionFailed") || ($.type = "LambdaFunctionTimedOut")');
    for (const e of [LAMBDA_THROTTLED, ...HANDLED_STEP_ERRORS])
      expect(pattern('StepErrors')).toContain(`($.details.error != "${e}")`);
    for (const e of HANDLED_STEP_ERRORS) expect(pattern('StepFailures')).toContain(`($.details.error != "${e}")`);
    expect(pattern('StepFailures')).not.toContain(LAMBDA_THROTTLED);
    expect(pattern('StepThrottles')).toMatch(/&& \(\$\.details\.error = "Lambda\.TooManyRequestsException"\) }$/);
  });

  it('the ASL enters the counted Fail state only from SendToDlq, after the DLQ message is sent', () => {
    const asl = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as { States: Record<string, any> };
    expect(asl.States[DEAD_LETTERED_STATE].Type).toBe('Fail');
    const into = Object.entries(asl.States).filter(
      ([, st]) => st.Next === DEAD_LETTERED_STATE || st.Catch?.some((c: any) => c.Next === DEAD_LETTERED_STATE),
    );
    expect(into.map(([name]) => name)).toStrictEqual(['SendToDlq']);
    expect(asl.States.SendToDlq.Resource).toBe('arn:aws:states:::sqs:sendMessage');
    expect(asl.States.SendToDlq.Catch).toBeUndefined();
    // The handled errors are the ones the ASL routes to its own counters, not to the DLQ.
    const text = JSON.stringify(asl);
    for (const e of HANDLED_STEP_ERRORS) expect(text).toContain(`"ErrorEquals":["${e}"]`);
  });
});

describe('the dashboard', () => {
  it('shows the per-mapping tables from the execution log group, keyed by the state machine name', () => {
    const [, dashboard] = ofType(s, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    expect(body).toContain('Per mapping: last successful sync (stalest first)');
    expect(body).toContain('Per mapping: failed, timed-out and aborted executions');
    expect(body).toContain(`parse execution_arn /:express:${rulePrefix('EksSecretSync')}(?<mapping>[^:]+):/`);
  });
});

describe('the number of alarms, metric filters and dashboard widgets', () => {
  const file = (n: number) =>
    `stack:\n  name: Many\nmappings:\n${Array.from(
      { length: n },
      (_, i) =>
        `  - id: app-${i}\n    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-${i}-AbCdEf\n` +
        `    cluster: { name: prod, endpoint: "https://a.example", certificateAuthority: ${CA} }\n` +
        `    namespace: app\n    secretName: app-${i}\n    resyncSchedule: rate(1 hour)\n`,
    ).join('')}`;
  const CA = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');

  /** The monitoring of a stack of `n` mappings, from the construct tree (40 mappings do not fit one stack today). */
  function monitoringOf(n: number) {
    // Bundling skipped (as `cdk ls` does): it adds no resource.
    const context = { 'aws:cdk:bundling-stacks': [] };
    const { stack } = createApp(parseMappings(file(n), 'many.yaml'), { context, stackTraces: false });
    const all = stack.node.findAll();
    const logicalIds = (type: new (...a: never[]) => unknown) =>
      all.filter((c) => c instanceof type).map((c) => Stack.of(c).getLogicalId(c as never));
    const dashboard = all.find((c) => c instanceof CfnDashboard) as CfnDashboard;
    const body = JSON.stringify(stack.resolve(dashboard.dashboardBody));
    const mappingPaths = Object.values(stack.sync.mappings).map((m) => `${m.node.path}/`);
    const inMappings = all.filter(
      (c) =>
        (c instanceof CfnAlarm || c instanceof CfnMetricFilter) && mappingPaths.some((p) => c.node.path.startsWith(p)),
    );
    return {
      alarms: logicalIds(CfnAlarm).sort(),
      filters: logicalIds(CfnMetricFilter).sort(),
      widgets: body.match(/\\"type\\":\\"(?:metric|alarm|log|text)\\"/g)?.length ?? 0,
      inMappings: inMappings.length,
    };
  }

  it('are the same for 1 and 40 mappings, and no mapping has an alarm or a filter of its own', () => {
    const one = monitoringOf(1);
    const forty = monitoringOf(40);
    expect(one.alarms).toHaveLength(ALARM_IDS.length);
    expect(forty.alarms).toStrictEqual(one.alarms);
    expect(forty.filters).toStrictEqual(one.filters);
    expect(forty.widgets).toBe(one.widgets);
    expect([one.inMappings, forty.inMappings]).toStrictEqual([0, 0]);
  }, 120_000);
});

describe('the alarm table of docs/operations.md', () => {
  it('lists every alarm once', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Za-z]+Alarm)` \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toStrictEqual([...ALARM_IDS].sort());
  });
});
