import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LEDGER_ATTRIBUTES } from '../../functions/adapters/ledger.ts';
import { SweepSecretsFunction } from './functions/sweep-secrets.ts';

/** Props of {@link SyncSweep}. */
export interface SyncSweepProps {
  /** Minutes between two sweeps (5 to 1440). */
  readonly minutes: number;
  /** The name prefix of the app's state machines, in every stack. */
  readonly stateMachineNamePrefix: string;
  /** The app's metric namespace (the behind metric). */
  readonly metricNamespace: string;
  /**
   * Retention of the sweep's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The lost-event sweep of the app (docs/decisions.md#lost-event-sweep): the sync ledger (an on-demand DynamoDB table,
 * one item per mapping, written by each mapping's FetchSecret), the sweep function, and the schedule that runs it
 * every `minutes`. One of each per app, whatever its number of mappings.
 */
export class SyncSweep extends Construct {
  /** What each mapping's last sync fetched. */
  readonly ledger: Table;
  /** The sweep function. */
  readonly function: SweepSecretsFunction;
  /** The schedule. */
  readonly rule: Rule;
  /** Minutes between two sweeps. */
  readonly period: Duration;

  constructor(scope: Construct, id: string, props: SyncSweepProps) {
    super(scope, id);
    this.period = Duration.minutes(props.minutes);
    this.ledger = new Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_ATTRIBUTES.mappingId, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.DEFAULT,
      // Ids and version ids only; the next sync of each mapping writes its item again.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.ledger).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The ledger holds ids and version ids only, rebuilt by the next sync of each mapping: nothing to recover.',
    });
    this.function = new SweepSecretsFunction(this, 'SweepSecrets', {
      ledger: this.ledger,
      stateMachineNamePrefix: props.stateMachineNamePrefix,
      metricNamespace: props.metricNamespace,
      logRetention: props.logRetention,
    });
    this.rule = new Rule(this, 'Schedule', {
      // The app's prefix, as its other rules: unique per app, and no mapping's rule (`<prefix><id>-<kind>`) is it.
      ruleName: `${props.stateMachineNamePrefix}sweep`,
      description: `eks-secret-sync: the lost-event sweep, every ${props.minutes} minutes`,
      schedule: Schedule.rate(this.period),
      // A missed run is not worth retrying: the next one comes within the period and sees the same.
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });
  }
}
