import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import { SyncFunction } from '../lambda-defaults.ts';
import { stateMachineArnPrefix } from './redrive-sync.ts';

/** Props of {@link SweepSecretsFunction}. */
export interface SweepSecretsFunctionProps {
  /** The sync ledger: what each mapping's FetchSecret last fetched. */
  readonly ledger: ITable;
  /** The name prefix of every mapping's state machine of the app, in all its stacks: the only ones it may start. */
  readonly stateMachineNamePrefix: string;
  /** The app's metric namespace (the behind metric). */
  readonly metricNamespace: string;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The lost-event sweep (functions/sweep-secrets): reads the ledger and the metadata of the account's secrets
 * (ListSecrets: never a value), and starts the sync of each mapping behind. Its role may read secret metadata
 * (ListSecrets authorizes on `*` only), read and annotate the ledger, and start the app's state machines (by name
 * prefix); no GetSecretValue.
 */
export class SweepSecretsFunction extends SyncFunction<'sweep-secrets'> {
  constructor(scope: Construct, id: string, props: SweepSecretsFunctionProps) {
    const arnPrefix = stateMachineArnPrefix(Stack.of(scope), props.stateMachineNamePrefix);
    const environment: FunctionEnvironment<'sweep-secrets'> = {
      [ENV.syncLedgerTable]: props.ledger.tableName,
      [ENV.stateMachineArnPrefix]: arnPrefix,
      [ENV.metricNamespace]: props.metricNamespace,
    };
    super(scope, id, {
      name: 'sweep-secrets',
      description: 'eks-secret-sync sweep-secrets: starts the syncs of secrets that changed without their event',
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      environment,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.ledger.tableArn],
      }),
    );
    // ListSecrets has no resource-level permission: `*` is the only resource it authorizes on. It returns names,
    // ARNs, tags and the version-to-label map of every secret, never a value.
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [`${arnPrefix}*`] }),
    );
    const stack = Stack.of(scope);
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const where = `${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}`;
    const machines = `arn:<AWS::Partition>:states:${where}:stateMachine:${props.stateMachineNamePrefix}*`;
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${machines}]`,
        reason:
          "The sweep starts a mapping's state machine, which may be in any stack of the app: one statement by the " +
          "app's name prefix, the same size for any number of mappings.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:ListSecrets supports no resource-level permission; it returns metadata (names, ARNs, the ' +
          'versions each label is on), never a secret value. docs/deploy.md#permissions states it.',
      },
    );
  }
}
