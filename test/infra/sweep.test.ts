// The lost-event sweep on the synthesized template (bundling skipped: it adds no resource): one schedule, one
// function, one ledger and one alarm per app at its default period; nothing of it, and no ledger write by any fetch,
// with `sweepMinutes: 0`. What its role may do is judged in test/infra/iam-evaluator.test.ts; the sweep runs on the
// test bed in test/e2e/sweep.test.ts.
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SWEEP_BEHIND_METRIC } from '../../functions/domain/sweep.ts';
import { SWEEP_FAILING_PERIODS } from '../../infra/constructs/monitoring.ts';
import { createApp } from '../../infra/app.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { metricNamespace, rulePrefix } from '../../infra/model/resource-names.ts';
import { DEFAULT_MAPPINGS_PER_STACK } from '../../infra/model/config-schema.ts';
import { fleetYaml } from '../support/fleet.ts';
import { exampleText } from '../support/infra.ts';

function templateOf(text: string): Record<string, { Type: string; Properties?: any; Metadata?: any }> {
  const { stack } = createApp(parseMappings(text, 'test.yaml'), {
    context: { 'aws:cdk:bundling-stacks': [] },
    stackTraces: false,
  });
  return Template.fromStack(stack as Stack).toJSON().Resources;
}
const ofType = (r: ReturnType<typeof templateOf>, type: string) => Object.entries(r).filter(([, x]) => x.Type === type);
const fetchEnvs = (r: ReturnType<typeof templateOf>) =>
  ofType(r, 'AWS::Lambda::Function')
    .filter(([, f]) => f.Metadata?.['eks-secret-sync:function'] === 'fetch-secret')
    .map(([, f]) => f.Properties.Environment.Variables);

describe('the lost-event sweep in the template', () => {
  const on = templateOf(exampleText());

  it('runs one function every 15 minutes by default, from a rule named with the app prefix, without retries', () => {
    const rules = ofType(on, 'AWS::Events::Rule').filter(([id]) => id.startsWith('Sweep'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1];
    expect(rule.Properties).toMatchObject({
      Name: `${rulePrefix('EksSecretSync')}sweep`,
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [{ RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    const target = rule.Properties.Targets[0].Arn['Fn::GetAtt'][0];
    expect(on[target]!.Metadata['eks-secret-sync:function']).toBe('sweep-secrets');
    const [table] = ofType(on, 'AWS::DynamoDB::Table');
    expect(table![1].Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST' });
    for (const env of fetchEnvs(on)) expect(env.SYNC_LEDGER_TABLE).toStrictEqual({ Ref: table![0] });
  });

  it('alarms once for the app on the Metrics Insights query of the behind metric, over the sweep period', () => {
    const alarms = ofType(on, 'AWS::CloudWatch::Alarm').filter(([id]) => /SweepBehindAlarm/.test(id));
    expect(alarms).toHaveLength(1);
    const alarm = alarms[0]![1];
    expect(alarm.Properties.Metrics).toStrictEqual([
      expect.objectContaining({
        Expression: `SELECT MAX(${SWEEP_BEHIND_METRIC}) FROM "${metricNamespace('EksSecretSync')}"`,
        Period: 900,
      }),
    ]);
    expect(alarm.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms when the sweep fails or does not run: its Errors over 2 sweep periods, missing data breaching', () => {
    const fn = ofType(on, 'AWS::Lambda::Function').find(
      ([, r]) => r.Metadata?.['eks-secret-sync:function'] === 'sweep-secrets',
    )![0];
    const alarms = ofType(on, 'AWS::CloudWatch::Alarm').filter(([id]) => /SweepFailingAlarm/.test(id));
    expect(alarms).toHaveLength(1);
    const p = alarms[0]![1].Properties;
    const stat = p.Metrics?.[0]?.MetricStat;
    expect(stat).toMatchObject({
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      },
      Stat: 'Sum',
      Period: 900,
    });
    expect(p).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: SWEEP_FAILING_PERIODS,
      TreatMissingData: 'breaching',
    });
  });

  it("names the mappings behind on the dashboard: a Logs Insights table over the sweep's log group", () => {
    const [dashboard] = ofType(on, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard![1].Properties.DashboardBody);
    const [fn] = ofType(on, 'AWS::Lambda::Function').filter(
      ([, f]) => f.Metadata?.['eks-secret-sync:function'] === 'sweep-secrets',
    );
    const logGroup = fn![1].Properties.LoggingConfig.LogGroup.Ref as string;
    expect(body).toContain('fields @timestamp, mappingId, versionId, fetchedVersion, sweeps, started');
    expect(body).toContain(logGroup);
    expect(body).toContain(SWEEP_BEHIND_METRIC);
  });

  it("has every fetch of a second stack record into the core's one ledger", () => {
    const { stacks } = createApp(parseMappings(fleetYaml(DEFAULT_MAPPINGS_PER_STACK + 1), 'fleet.yaml'), {
      context: { 'aws:cdk:bundling-stacks': [] },
      stackTraces: false,
    });
    expect(stacks).toHaveLength(2);
    const second = Template.fromStack(stacks[1] as Stack).toJSON().Resources;
    expect(ofType(second, 'AWS::DynamoDB::Table')).toStrictEqual([]);
    const envs = fetchEnvs(second);
    expect(envs).toHaveLength(1);
    expect(JSON.stringify(envs[0].SYNC_LEDGER_TABLE)).toContain('Fn::ImportValue');
  });

  it('is not there with sweepMinutes: 0: no rule, function, table or alarm, and no fetch writes a ledger', () => {
    const off = templateOf(exampleText(['stack:\n', 'stack:\n  sweepMinutes: 0\n']));
    expect(ofType(off, 'AWS::DynamoDB::Table')).toStrictEqual([]);
    expect(Object.keys(off).filter((id) => /^Sweep|SweepBehindAlarm|SweepFailingAlarm/.test(id))).toStrictEqual([]);
    expect(fetchEnvs(off).length).toBeGreaterThan(0);
    for (const env of fetchEnvs(off)) expect(env).not.toHaveProperty('SYNC_LEDGER_TABLE');
  });
});
