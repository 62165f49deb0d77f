import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FRESHNESS_METRIC } from '../../functions/domain/freshness.ts';
import { BEHIND_AFTER_SWEEPS, SWEEP_BEHIND_METRIC } from '../../functions/domain/sweep.ts';
import { EXECUTION_LOG_FILTERS, type ExecutionLogMetric, perMappingQueries } from './monitoring-filters.ts';
import { metricNamespace, rulePrefix } from '../model/resource-names.ts';

/** How long before the end of a queue's retention its oldest message raises the "expiring" alarm. */
export const EXPIRY_WARNING = Duration.days(4);

/** Age of the oldest sync-requests message at which the redrive consumer counts as stuck. */
export const SYNC_REQUESTS_MAX_AGE = Duration.minutes(30);

/** Props of {@link SyncMonitoring}. */
export interface SyncMonitoringProps {
  /** The shared dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** How long the DLQ keeps a message (its `MessageRetentionPeriod`). */
  readonly deadLetterRetention: Duration;
  /** The queue of parked redrives (infra/constructs/redrive.ts): a message there will not be retried by itself. */
  readonly parkedQueue: IQueue;
  /** How long the parked queue keeps a message. */
  readonly parkedRetention: Duration;
  /** The redrive consumer's queue (sync-requests). */
  readonly syncRequests: IQueue;
  /** The redrive consumer. */
  readonly redriveFunction: IFunction;
  /** The stack's one execution log group, where every mapping's state machine logs (level ALL). */
  readonly executionLogGroup: ILogGroup;
  /**
   * A failed sync still waiting in the dead-letter queue after this long raises the freshness alarm.
   * @default Duration.hours(1)
   */
  readonly freshness?: Duration;
  /**
   * Where alarm notifications are mailed, through a new SNS topic (alarm and OK notifications).
   * @default no topic: the alarms only change state
   */
  readonly alarmEmail?: string;
  /**
   * The lost-event sweep (infra/constructs/sweep.ts): its log group (the per-mapping table of mappings behind) and
   * its period (the behind alarm's).
   * @default no sweep: no behind alarm
   */
  readonly sweep?: { readonly logGroup: ILogGroup; readonly period: Duration; readonly function: IFunction };
}

/** What one alarm watches and says. */
/** Sweep periods in a row that failed or had no sweep before the sweep's own alarm (as the behind alarm's two). */
export const SWEEP_FAILING_PERIODS = 2;

interface AlarmSpec {
  readonly id: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparison?: ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: TreatMissingData;
  /** What it means and the runbook line, in one sentence or two. */
  readonly description: string;
}

/**
 * The alarms on every way a sync can be lost or late, as many whatever the number of mappings (docs/operations.md
 * lists them with their runbook lines); an optional SNS topic that gets their ALARM and OK notifications; and one
 * dashboard: a graph per alarm and per-mapping tables read from the shared execution log group.
 *
 * Per-mapping resources: none. The step functions' errors, timed-out executions and failures that never reached
 * the DLQ are counted by metric filters on the one execution log group; the queues, the redrive consumer and
 * Step Functions' StartExecution throttling have metrics of their own; EventBridge's delivery failures exist per
 * rule only and are read with Metrics Insights queries over the account's rules.
 */
export class SyncMonitoring extends Construct {
  /** Every alarm, by construct id. */
  readonly alarms: Readonly<Record<string, Alarm>>;
  /** The DLQ-not-empty alarm. */
  readonly deadLetterAlarm: Alarm;
  /** The parked-not-empty alarm. */
  readonly parkedAlarm: Alarm;
  /** The metric filters on the execution log group, by metric name. */
  readonly metricFilters: Readonly<Record<ExecutionLogMetric, MetricFilter>>;
  /** The notification topic, when `alarmEmail` is set. */
  readonly topic?: Topic;
  /** The dashboard. */
  readonly dashboard: Dashboard;
  /** The CloudWatch namespace of the app's metrics (the metric filters' and the freshness metric's). */
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: SyncMonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const namespace = metricNamespace(stackName);
    this.namespace = namespace;
    const freshness = props.freshness ?? Duration.hours(1);
    const fiveMinutes = Duration.minutes(5);

    const filters = {} as Record<ExecutionLogMetric, MetricFilter>;
    const logMetric = {} as Record<ExecutionLogMetric, Metric>;
    for (const [name, pattern] of Object.entries(EXECUTION_LOG_FILTERS) as [ExecutionLogMetric, never][]) {
      // No default value: a filter publishes only when a record matches, so an idle stack pays no custom metric.
      filters[name] = new MetricFilter(this, `${name}Filter`, {
        logGroup: props.executionLogGroup,
        filterPattern: pattern,
        metricNamespace: namespace,
        metricName: name,
        metricValue: '1',
      });
      logMetric[name] = filters[name].metric({ period: fiveMinutes, statistic: 'Sum', label: name });
    }
    this.metricFilters = filters;

    const age = (q: IQueue, label: string) =>
      q.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum', label });
    const depth = (q: IQueue, label: string) =>
      q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label });
    const dlqAge = age(props.deadLetterQueue, 'DLQ: age of oldest message (s)');
    const parkedAge = age(props.parkedQueue, 'parked: age of oldest message (s)');
    const requestsAge = age(props.syncRequests, 'sync-requests: age of oldest message (s)');
    const dlqDepth = depth(props.deadLetterQueue, 'DLQ: messages');
    const parkedDepth = depth(props.parkedQueue, 'parked: messages');
    const expiring = (retention: Duration) => retention.toSeconds() - EXPIRY_WARNING.toSeconds();
    const eventBridge = (metricName: string, label: string, byRule = false) =>
      new MathExpression({
        // Metrics Insights: every rule of the default bus in this account and region (the query cannot select a
        // name prefix); EventBridge publishes these metrics only when they are not zero.
        expression: [
          `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", RuleName)`,
          ...(byRule ? ['GROUP BY RuleName'] : []),
        ].join(' '),
        period: fiveMinutes,
        label,
      });
    const undelivered = eventBridge('InvocationsFailedToBeSentToDlq', 'events lost: not sent to the DLQ');
    const failedInvocations = eventBridge('FailedInvocations', 'events lost: failed invocations');
    const uncaught = new MathExpression({
      expression: 'FILL(unsuccessful, 0) - FILL(deadLettered, 0)',
      usingMetrics: { unsuccessful: logMetric.ExecutionsUnsuccessful, deadLettered: logMetric.SyncsDeadLettered },
      period: fiveMinutes,
      label: 'executions ended without a DLQ message',
    });
    const startThrottled = new Metric({
      namespace: 'AWS/States',
      metricName: 'ThrottledEvents',
      dimensionsMap: { APIName: 'StartExecution' },
      period: fiveMinutes,
      statistic: 'Sum',
      label: 'StartExecution throttled (account)',
    });
    const redriveErrors = props.redriveFunction.metricErrors({
      period: fiveMinutes,
      statistic: 'Sum',
      label: 'redrive-sync errors',
    });
    // The alarms of two series that have no data while the app is idle (the step failures' filter publishes only on
    // a match; redrive-sync runs only when a redrive is asked for) read them through Metrics Insights, charged per
    // metric the query matches: none while idle (docs/performance.md, idle cost). Same series, same threshold.
    const insightsSum = (from: string, where: string, label: string) =>
      new MathExpression({ expression: `SELECT SUM(${where}) FROM ${from}`, period: fiveMinutes, label });
    const stepFailuresInsights = insightsSum(`"${namespace}"`, logMetric.StepFailures.metricName, 'step failures');
    const redriveErrorsInsights = new MathExpression({
      expression:
        'SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName) ' +
        `WHERE FunctionName = '${props.redriveFunction.functionName}'`,
      period: fiveMinutes,
      label: 'redrive-sync errors',
    });
    const rules = `rules named ${rulePrefix(stackName)}*`;
    // One series for the app (no dimension: the mapping is a property of each sample's log line).
    const lag = (statistic: string) =>
      new Metric({
        namespace,
        metricName: FRESHNESS_METRIC,
        statistic,
        period: fiveMinutes,
        label: `lag ${statistic}`,
      });
    const specs: AlarmSpec[] = [
      {
        id: 'DeadLetterAlarm',
        metric: dlqDepth,
        threshold: 0,
        description:
          'A sync could not complete, or EventBridge could not start one: its message waits in the dead-letter ' +
          'queue. Run `eks-secret-sync status`, read the message (docs/operations.md#failures-and-recovery), fix ' +
          'the cause, then `eks-secret-sync redrive`.',
      },
      {
        id: 'StaleSyncAlarm',
        metric: dlqAge,
        threshold: freshness.toSeconds(),
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `Freshness: a failed sync has waited in the dead-letter queue ${freshness.toHumanString()} or more, so ` +
          'its mapping has not synced that long after the change. Fix the cause and `eks-secret-sync redrive` ' +
          '(docs/operations.md#redrive-replaying-failed-syncs).',
      },
      {
        id: 'FreshnessAlarm',
        metric: lag('p99'),
        threshold: freshness.toSeconds(),
        description:
          `Freshness: the 99th percentile of the lag from a version's change to its write exceeded ` +
          `${freshness.toHumanString()} in 5 minutes: syncs succeed, but late (retries, throttling, a slow ` +
          'cluster). The samples name their mapping: `fields mappingId, target, SyncLagSeconds | sort ' +
          'SyncLagSeconds desc` in Logs Insights on the apply-secret log groups ' +
          '(docs/operations.md#freshness-per-sync).',
      },
      {
        id: 'DeadLetterExpiringAlarm',
        metric: dlqAge,
        threshold: expiring(props.deadLetterRetention),
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `A dead-letter message is ${EXPIRY_WARNING.toHumanString()} from the end of the queue's retention; SQS ` +
          'deletes it then and the failed sync is forgotten. Redrive now (`eks-secret-sync redrive`) or sync the ' +
          'mapping by hand (`eks-secret-sync sync --mapping <id>`).',
      },
      {
        id: 'ParkedAlarm',
        metric: parkedDepth,
        threshold: 0,
        description:
          'A failed sync was parked (attempt limit reached or message not understood); nothing retries it. Read ' +
          'the parked message (docs/operations.md#parked-messages), fix the cause, `eks-secret-sync sync --mapping ' +
          '<id>`, delete the message.',
      },
      {
        id: 'ParkedExpiringAlarm',
        metric: parkedAge,
        threshold: expiring(props.parkedRetention),
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `A parked message is ${EXPIRY_WARNING.toHumanString()} from the end of the parked queue's retention; SQS ` +
          'deletes it then. Handle it now (docs/operations.md#parked-messages).',
      },
      {
        id: 'SyncRequestsAgeAlarm',
        metric: requestsAge,
        threshold: SYNC_REQUESTS_MAX_AGE.toSeconds(),
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `A redrive request has waited ${SYNC_REQUESTS_MAX_AGE.toHumanString()} in sync-requests: the redrive-sync ` +
          'consumer is not taking messages (event source mapping disabled, function failing at init, concurrency ' +
          'exhausted). Check its log group and event source mapping; failed messages return to the DLQ by ' +
          'themselves.',
      },
      {
        id: 'RedriveErrorsAlarm',
        metric: redriveErrorsInsights,
        threshold: 0,
        description:
          'The redrive-sync consumer failed an invocation; its messages return to sync-requests and, after 5 ' +
          'receives, to the DLQ. Check its log group (the error is logged once, with the message id).',
      },
      {
        id: 'StepFailuresAlarm',
        metric: stepFailuresInsights,
        threshold: 0,
        description:
          'A step of a sync failed: a Lambda error or timeout, Lambda throttling (TooManyRequestsException), or the ' +
          'DLQ send; a 409 conflict and an expired token are handled by the state machine and not counted. ' +
          'Retries may still succeed. `eks-secret-sync status` lists failed executions per mapping; the dashboard ' +
          'splits errors from throttles (Raise the Lambda concurrency for throttles).',
      },
      {
        id: 'UncaughtFailuresAlarm',
        metric: uncaught,
        threshold: 0,
        description:
          'An execution ended without its DLQ message: SendToDlq itself failed, a state failed outside any Catch, ' +
          'or it timed out (the Express limit of 5 minutes) or was aborted. Nothing will redrive it. Find the ' +
          'record in the execution log group, then `eks-secret-sync sync --mapping <id>`.',
      },
      {
        id: 'StartThrottledAlarm',
        metric: startThrottled,
        threshold: 0,
        description:
          'Step Functions throttled StartExecution in this account and region: EventBridge retries for an hour, ' +
          'then dead-letters the event. Raise the StartExecution quota or spread the changes.',
      },
      {
        id: 'UndeliveredEventsAlarm',
        metric: undelivered,
        threshold: 0,
        description:
          'EventBridge could neither start a state machine nor write the event to its DLQ: the event is lost. The ' +
          `query covers every rule of the account (ours are ${rules}); see the dashboard's per-rule graph, then ` +
          '`eks-secret-sync sync --mapping <id>` for each affected mapping.',
      },
      {
        id: 'FailedInvocationsAlarm',
        metric: failedInvocations,
        threshold: 0,
        description:
          'EventBridge failed an invocation for good without a DLQ (ours all have one). The query covers every rule ' +
          `of the account (ours are ${rules}); if one is ours, its target lost its dead-letter config: redeploy.`,
      },
    ];
    const sweep = props.sweep;
    // Metrics Insights over the app-wide series: the sweep writes it only while a mapping is behind, so an idle app
    // pays no metric and no alarm metric for it.
    const behind = sweep
      ? new MathExpression({
          expression: `SELECT MAX(${SWEEP_BEHIND_METRIC}) FROM "${namespace}"`,
          period: sweep.period,
          label: 'sweeps in a row a mapping was found behind',
        })
      : undefined;
    if (sweep && behind) {
      specs.push({
        id: 'SweepBehindAlarm',
        metric: behind,
        threshold: 0,
        description:
          `Lost event: a mapping's secret moved AWSCURRENT and ${BEHIND_AFTER_SWEEPS} sweeps in a row found the ` +
          "mapping's last sync on an older version (its event was lost and the sweep's syncs did not repair it). " +
          "The dashboard's table names it; check the DLQ and `eks-secret-sync status`, then `eks-secret-sync " +
          'sync --mapping <id>` (docs/operations.md#lost-event-sweep).',
      });
      // A sweep that fails or no longer runs repairs nothing and finds nobody behind: the behind alarm stays quiet.
      // Lambda publishes Errors (0 when it succeeded) for every run, so a period without the metric is a sweep that
      // did not run (schedule disabled, throttled, deleted): missing data breaches.
      specs.push({
        id: 'SweepFailingAlarm',
        metric: sweep.function.metricErrors({ period: sweep.period, statistic: 'Sum', label: 'sweep errors' }),
        threshold: 0,
        evaluationPeriods: SWEEP_FAILING_PERIODS,
        treatMissingData: TreatMissingData.BREACHING,
        description:
          `Lost-event sweep: ${SWEEP_FAILING_PERIODS} sweep periods in a row ended with an error or had no sweep at ` +
          'all; a lost event is not repaired meanwhile. Check the sweep-secrets log group (its error is logged ' +
          'once) and its schedule rule (docs/operations.md#lost-event-sweep).',
      });
    }

    let action: IAlarmAction | undefined;
    if (props.alarmEmail !== undefined) {
      this.topic = new Topic(this, 'AlarmTopic', { displayName: 'eks-secret-sync alarms', enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states, never secret data. CloudWatch alarms cannot publish to ' +
          'a topic encrypted with the AWS managed key alias/aws/sns, and a customer managed key would need a key ' +
          'policy for cloudwatch.amazonaws.com and cost $1/month.',
      });
      action = new SnsAction(this.topic);
    }
    const alarms: Record<string, Alarm> = {};
    for (const s of specs) {
      const alarm = new Alarm(this, s.id, {
        alarmDescription: `eks-secret-sync ${stackName}: ${s.description}`,
        metric: s.metric,
        threshold: s.threshold,
        comparisonOperator: s.comparison ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: s.evaluationPeriods ?? 1,
        treatMissingData: s.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      });
      if (action) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      alarms[s.id] = alarm;
    }
    this.alarms = alarms;
    this.deadLetterAlarm = alarms.DeadLetterAlarm!;
    this.parkedAlarm = alarms.ParkedAlarm!;

    this.dashboard = new Dashboard(this, 'Dashboard');
    const graph = (title: string, metrics: IMetric[], alarm?: Alarm) =>
      new GraphWidget({
        title,
        left: metrics,
        width: 8,
        ...(alarm && { leftAnnotations: [alarm.toAnnotation()] }),
      });
    const logTable = (title: string, queryLines: string[]) =>
      new LogQueryWidget({ title, logGroupNames: [props.executionLogGroup.logGroupName], queryLines, width: 24 });
    const queries = perMappingQueries(rulePrefix(stackName));
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms), width: 24 }),
      graph('Dead-letter queue: waiting failed syncs', [dlqDepth], alarms.DeadLetterAlarm),
      graph('Dead-letter queue: oldest message (freshness, expiry)', [dlqAge], alarms.StaleSyncAlarm),
      graph("Freshness: lag from a version's change to its write (s)", [lag('p50'), lag('p99')], alarms.FreshnessAlarm),
      graph('Parked: messages and oldest', [parkedDepth, parkedAge], alarms.ParkedAlarm),
      graph('Redrive: sync-requests oldest message', [requestsAge], alarms.SyncRequestsAgeAlarm),
      graph('Redrive: consumer errors', [redriveErrors], alarms.RedriveErrorsAlarm),
      graph(
        'Steps: Lambda errors and throttles',
        [logMetric.StepErrors, logMetric.StepThrottles],
        alarms.StepFailuresAlarm,
      ),
      graph('Executions: unsuccessful, dead-lettered, without DLQ message', [
        logMetric.ExecutionsUnsuccessful,
        logMetric.SyncsDeadLettered,
        uncaught,
      ]),
      graph('Executions: timed out or aborted', [logMetric.ExecutionsTimedOut]),
      graph('Step Functions: StartExecution throttled (account)', [startThrottled], alarms.StartThrottledAlarm),
      graph('EventBridge: lost events by rule, all rules of the account', [
        eventBridge('InvocationsFailedToBeSentToDlq', 'not sent to the DLQ', true),
        eventBridge('FailedInvocations', 'failed invocations', true),
      ]),
      new TextWidget({
        markdown:
          'Per mapping (from the execution log group; mapping = state machine name without ' +
          `\`${rulePrefix(stackName)}\`). The same per mapping from a terminal: \`eks-secret-sync status\`.`,
        width: 24,
        height: 2,
      }),
      logTable('Per mapping: last successful sync (stalest first)', queries.lastSuccess),
      logTable('Per mapping: failed, timed-out and aborted executions', queries.failures),
    );
    if (sweep && behind) {
      this.dashboard.addWidgets(
        graph('Lost events: mappings behind their secret (sweeps in a row)', [behind], alarms.SweepBehindAlarm),
        new LogQueryWidget({
          title: 'Lost events: mappings the sweep found behind (latest first)',
          logGroupNames: [sweep.logGroup.logGroupName],
          queryLines: [
            'fields @timestamp, mappingId, versionId, fetchedVersion, sweeps, started',
            'filter ispresent(sweeps)',
            'sort @timestamp desc',
            'limit 50',
          ],
          width: 16,
        }),
      );
    }
  }
}
