import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  TreatMissingData,
  AlarmStatusWidget,
  type IAlarmAction,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of {@link SyncMonitoring}. */
export interface SyncMonitoringProps {
  /** The shared dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /**
   * The queue of parked redrives (infra/redrive.ts): a message there will not be retried by itself.
   * @default no parked-queue alarm
   */
  readonly parkedQueue?: IQueue;
  /** Each mapping's state machine, by mapping id. */
  readonly stateMachines: ReadonlyArray<{ readonly mappingId: string; readonly stateMachine: IStateMachine }>;
  /**
   * Where alarm notifications are mailed, through a new SNS topic.
   * @default no topic: the alarms only change state
   */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs a person: a message in the dead-letter queue, and a
 * failed sync execution per mapping; an optional SNS topic mailing them; and
 * one dashboard with executions succeeded/failed per mapping and the DLQ depth.
 */
export class SyncMonitoring extends Construct {
  /** The DLQ-not-empty alarm. */
  readonly deadLetterAlarm: Alarm;
  /** The parked-not-empty alarm, when a parked queue was given. */
  readonly parkedAlarm?: Alarm;
  /** The failed-executions alarm of each mapping, by mapping id. */
  readonly failedAlarms: Readonly<Record<string, Alarm>>;
  /** The notification topic, when `alarmEmail` is set. */
  readonly topic?: Topic;
  /** The dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SyncMonitoringProps) {
    super(scope, id);
    let action: IAlarmAction | undefined;
    if (props.alarmEmail !== undefined) {
      this.topic = new Topic(this, 'AlarmTopic', { displayName: 'eks-secret-sync alarms', enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states, never secret data. CloudWatch alarms cannot publish to ' +
          'a topic encrypted ' +
          'with the AWS managed key alias/aws/sns, and a customer managed key would need a key policy for ' +
          'cloudwatch.amazonaws.com and cost $1/month.',
      });
      action = new SnsAction(this.topic);
    }

    const depth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    });
    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'eks-secret-sync: failed syncs or undeliverable events are waiting in the dead-letter queue',
      metric: depth,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const parkedDepth = props.parkedQueue?.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    });
    if (parkedDepth) {
      this.parkedAlarm = new Alarm(this, 'ParkedAlarm', {
        alarmDescription:
          'eks-secret-sync: a failed sync was parked (attempt limit reached or message not understood); it will not ' +
          'be redriven by itself',
        metric: parkedDepth,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    const queueAlarms = [this.deadLetterAlarm, ...(this.parkedAlarm ? [this.parkedAlarm] : [])];
    const failedAlarms: Record<string, Alarm> = {};
    const graphs: GraphWidget[] = [];
    for (const { mappingId, stateMachine } of props.stateMachines) {
      failedAlarms[mappingId] = new Alarm(this, `Failed-${mappingId}`, {
        alarmDescription:
          `eks-secret-sync: a sync of mapping ${mappingId} failed (details in the dead-letter queue ` +
          `and the execution logs)`,
        metric: stateMachine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      graphs.push(
        new GraphWidget({
          title: `Mapping ${mappingId}: executions`,
          left: [
            stateMachine.metricSucceeded({ period: Duration.minutes(5), statistic: 'Sum', label: 'succeeded' }),
            stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum', label: 'failed' }),
          ],
          width: 8,
        }),
      );
    }
    this.failedAlarms = failedAlarms;
    if (action) for (const alarm of [...queueAlarms, ...Object.values(failedAlarms)]) alarm.addAlarmAction(action);

    this.dashboard = new Dashboard(this, 'Dashboard');
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...queueAlarms, ...Object.values(failedAlarms)], width: 24 }),
      new GraphWidget({ title: 'Dead-letter queue depth', left: [depth], width: 8 }),
      ...(parkedDepth ? [new GraphWidget({ title: 'Parked redrives', left: [parkedDepth], width: 8 })] : []),
      ...graphs,
    );
  }
}
