/**
 * Idle cost per month by number of mappings (issue 14): what the deployed app (ALL its stacks: the core and the
 * mapping stacks, infra/model/fleet.ts) costs when no secret changes, counted from the construct tree the app builds
 * for 1, 100 and 500 mappings (Lambda bundling skipped: it adds no resource), priced with bench/cost.ts. Also the
 * design before issue 14 (an ExecutionsFailed alarm per mapping),
 * for comparison. A count, not a timing: run by `npm run bench` and `npm run bench -- --render`.
 */
import { Stack } from 'aws-cdk-lib';
import { CfnAlarm, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnMetricFilter } from 'aws-cdk-lib/aws-logs';
import { createApp } from '../infra/app.ts';
import { parseMappings } from '../infra/model/config.ts';
import { type IdleInventory, PRICES } from './cost.ts';
import { round } from './stats.ts';

/** What one run of the lost-event sweep costs beside its one Lambda request (an estimate, not a measurement). */
export const SWEEP_RUN = {
  /** Lambda time: the init-free part outside the ListSecrets pages (the Scan, the decisions), in ms. */
  baseMs: 200,
  /** Lambda time per ListSecrets page of 100 secrets, in ms. */
  msPerPage: 150,
  /** Bytes of one ledger item (mapping id, secret ARN, version id, time). */
  ledgerItemBytes: 200,
  /** Log bytes of one run (the summary line and Lambda's START, END and REPORT lines). */
  logBytes: 1_000,
  memoryGb: 0.25,
} as const;

/**
 * The lost-event sweep's monthly cost at `n` mappings, every `minutes` (infra/constructs/sweep.ts), when nothing
 * changes: ListSecrets pages (assuming the account holds only the mapped secrets: each 100 more add a page a run),
 * one Scan of the ledger, one Lambda run and its log lines. No execution and no GetSecretValue while idle.
 */
export function sweepCostOf(n: number, minutes = 15) {
  const P = PRICES;
  const runs = (30 * 24 * 60) / minutes;
  const pages = Math.max(1, Math.ceil(n / 100));
  const readUnits = Math.max(1, Math.ceil((n * SWEEP_RUN.ledgerItemBytes) / 4096)) * 0.5;
  const seconds = (SWEEP_RUN.baseMs + pages * SWEEP_RUN.msPerPage) / 1000;
  const parts = {
    listSecrets: runs * pages * P.secretsManagerApi.usd,
    ledgerScan: runs * readUnits * P.dynamoDbReadUnit.usd,
    lambda: runs * (seconds * SWEEP_RUN.memoryGb * P.lambdaArmGbSecond.usd + P.lambdaRequest.usd),
    logs: (runs * SWEEP_RUN.logBytes * P.logsIngestGb.usd) / 1e9,
    schedule: runs * P.eventBridgeScheduledRule.usd,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { runs, listSecretsCalls: runs * pages, parts, usd: round(total, 3) };
}

/** Mapping counts the idle cost is reported at. */
export const IDLE_MAPPINGS = [1, 100, 500] as const;

/** The free tier CloudWatch gives each account (and so, at most, this stack). */
const FREE_ALARM_METRICS = 10;
/** The free tier's dashboards hold at most this many metrics each. */
const FREE_DASHBOARD_METRICS = 50;

/** The idle cost of one stack size. */
export interface IdleCostRow extends IdleInventory {
  readonly mappings: number;
  /** Stacks the app makes (`stack.mappingsPerStack` mappings each). */
  readonly stacks: number;
  /** Alarms, and the metrics they read (what CloudWatch charges for). */
  readonly alarms: number;
  /** Alarms on Metrics Insights queries: charged per metric the query matches, none while no rule fails. */
  readonly metricsInsightsAlarms: number;
  readonly metricFilters: number;
  readonly dashboardMetrics: number;
  /** The lost-event sweep ({@link sweepCostOf}, default period), included in the totals below. */
  readonly sweepUsd?: number;
  /** $ a month at list price: no free tier, the dashboard paid. */
  readonly listUsd: number;
  /** $ a month with the account's free tier to itself: 10 alarm metrics, a dashboard of at most 50 metrics. */
  readonly freeTierUsd: number;
  /**
   * Every stack a whole EksSecretSync (its own key, alarms and dashboard), as the app was before the shared core, at
   * list price: the core's idle cost once per stack.
   */
  readonly perStackListUsd: number;
  /** The design before issue 14 at list price: one ExecutionsFailed alarm per mapping + DLQ + parked. */
  readonly beforeListUsd: number;
  readonly beforeAlarms: number;
}

/** A mappings file of `n` plain mappings (endpoint and CA given: no deploy-time lookup). */
export function plainMappings(n: number): string {
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
  const lines = Array.from(
    { length: n },
    (_, i) =>
      `  - id: app-${i}\n    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-${i}-AbCdEf\n` +
      `    cluster: { name: prod, endpoint: "https://a.example", certificateAuthority: ${ca} }\n` +
      `    namespace: app\n    secretName: app-${i}\n`,
  );
  return `stack:\n  name: IdleCost\nmappings:\n${lines.join('')}`;
}

/** Metrics an alarm reads: 1 for a plain alarm, the MetricStat entries of a metric-math alarm. */
function metricsRead(a: CfnAlarm, stack: Stack): { metrics: number; insights: boolean } {
  const queries = stack.resolve(a.metrics) as { metricStat?: unknown; expression?: unknown }[] | undefined;
  if (!queries) return { metrics: 1, insights: false };
  // An expression naming a resource (a function's name) resolves to Fn::Join: its text is its string parts in order.
  const text = (e: unknown): string =>
    typeof e === 'string'
      ? e
      : Array.isArray(e)
        ? e.map(text).join('')
        : e && typeof e === 'object'
          ? text(Object.values(e))
          : '';
  const insights = queries.some((q) => /^\s*SELECT\b/i.test(text(q.expression)));
  return { metrics: queries.filter((q) => q.metricStat !== undefined).length, insights };
}

/** Counts and prices the idle resources of the app (every stack) of `n` mappings. */
export function idleCostOf(n: number): IdleCostRow {
  const config = parseMappings(plainMappings(n), `idle-${n}.yaml`);
  const { stacks } = createApp(config, {
    context: { 'aws:cdk:bundling-stacks': [] },
    stackTraces: false,
  });
  const all = stacks.flatMap((st) => st.node.findAll().filter((c) => Stack.of(c) === st));
  const alarms = all.filter((c): c is CfnAlarm => c instanceof CfnAlarm).map((a) => metricsRead(a, Stack.of(a)));
  const standard = alarms.filter((a) => !a.insights);
  const alarmMetrics = standard.reduce((sum, a) => sum + a.metrics, 0);
  const dashboards = all.filter((c): c is CfnDashboard => c instanceof CfnDashboard);
  const body = JSON.stringify(dashboards.map((d) => Stack.of(d).resolve(d.dashboardBody)));
  // Each metric of a graph is one entry of its "metrics" array: a namespace string or an expression object.
  const dashboardMetrics = (body.match(/\[\\"AWS\/|\[\\"EksSecretSync\/|\{\\"label\\":[^}]*\\"expression\\"/g) ?? [])
    .length;
  const kmsKeys = all.filter((c) => c instanceof CfnKey).length;
  const P = PRICES;
  const dashboardUsd = dashboards.length * P.dashboard.usd;
  const sweepUsd = config.stack.sweepMinutes > 0 ? sweepCostOf(n, config.stack.sweepMinutes).usd : 0;
  const listUsd = kmsKeys * P.kmsKey.usd + alarmMetrics * P.alarm.usd + dashboardUsd + sweepUsd;
  const freeDashboard = dashboards.length === 1 && dashboardMetrics <= FREE_DASHBOARD_METRICS;
  const freeTierUsd =
    kmsKeys * P.kmsKey.usd +
    Math.max(0, alarmMetrics - FREE_ALARM_METRICS) * P.alarm.usd +
    (freeDashboard ? 0 : dashboardUsd) +
    sweepUsd;
  const beforeAlarms = n + 2;
  // One core's worth per stack: its key, its alarms' metrics and its dashboard.
  const coreList = (kmsKeys * P.kmsKey.usd + alarmMetrics * P.alarm.usd + dashboardUsd) / Math.max(1, kmsKeys);
  return {
    mappings: n,
    stacks: stacks.length,
    perStackListUsd: round(coreList * stacks.length, 2),
    alarms: alarms.length,
    alarmMetrics,
    metricsInsightsAlarms: alarms.length - standard.length,
    metricFilters: all.filter((c) => c instanceof CfnMetricFilter).length,
    dashboardMetrics,
    kmsKeys,
    dashboards: dashboards.length,
    sweepUsd,
    listUsd: round(listUsd, 2),
    freeTierUsd: round(freeTierUsd, 2),
    beforeAlarms,
    beforeListUsd: round(P.kmsKey.usd + beforeAlarms * P.alarm.usd + P.dashboard.usd, 2),
  };
}

/** {@link idleCostOf} at each of {@link IDLE_MAPPINGS}. */
export function idleCost(): IdleCostRow[] {
  return IDLE_MAPPINGS.map(idleCostOf);
}
