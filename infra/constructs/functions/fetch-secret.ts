import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import type { SecretType } from '../../../functions/domain/types.ts';
import type { DataShape } from '../../../functions/domain/shape.ts';
import { DEFAULT_SOURCE_KIND } from '../../../functions/domain/source.ts';
import type { SourceKind } from '../../../functions/sources/providers.ts';
import { sourceProvider } from '../../../functions/sources/providers.ts';
import { dataShapeEnvValue } from '../../../functions/runtime/options.ts';
import { SyncFunction } from '../lambda-defaults.ts';
import { mappingFunctionDescription, grantStepSeals, type SealingFunctionProps } from './common.ts';
import { stepOfKind } from '../../../functions/domain/sync-steps.ts';

/** Props of {@link FetchSecretFunction}. */
export interface FetchSecretFunctionProps extends SealingFunctionProps {
  /**
   * The source provider that reads the secret (functions/sources/): its IAM is the role's.
   * @default 'secretsManager'
   */
  readonly source?: SourceKind;
  /** The full ARN of the mapping's AWS secret: the only secret the function may read. */
  readonly secretArn: string;
  /**
   * The Kubernetes Secret's type, whose required keys the function checks.
   * @default the function's default, Opaque
   */
  readonly secretType?: SecretType;
  /**
   * The mapping's data spec: which keys the function produces from the secret's value
   * (docs/mappings.md#shaping-the-data-data).
   * @default none: every top-level key of the secret as it is
   */
  readonly dataShape?: DataShape;
  /**
   * The customer managed key that encrypts the secret: kms:Decrypt on it, only through Secrets Manager and
   * only for this secret.
   * @default none: the secret is encrypted with the AWS managed key
   */
  readonly secretKmsKeyArn?: string;
  /**
   * Also allow secretsmanager:DescribeSecret on the secret, which confirms a DeleteSecret event against the
   * secret's state (needed with the CloudTrail rule).
   * @default false
   */
  readonly describeSecret?: boolean;
  /**
   * The sync ledger of the lost-event sweep: the function records the version it fetched in the mapping's own item
   * (its role may put only the item keyed by its mapping id).
   * @default none: nothing recorded
   */
  readonly syncLedger?: ITable;
}

/**
 * The fetch-secret step of one mapping: reads the secret's version and seals its data. Its role may read
 * exactly that secret (the IAM its source provider asks for) and seal for this mapping's `secret-data` only.
 */
export class FetchSecretFunction extends SyncFunction<'fetch-secret'> {
  constructor(scope: Construct, id: string, props: FetchSecretFunctionProps) {
    const source = props.source ?? DEFAULT_SOURCE_KIND;
    const environment: FunctionEnvironment<'fetch-secret'> = {
      [ENV.mappingId]: props.mappingId,
      [ENV.secretArn]: props.secretArn,
      // Set only for another provider than the default: a mapping of before `source` keeps its environment.
      ...(source !== DEFAULT_SOURCE_KIND && { [ENV.sourceKind]: source }),
      [ENV.sealKeyId]: props.sealKey.keyArn,
      [ENV.secretType]: props.secretType,
      ...(props.dataShape !== undefined && { [ENV.dataShape]: dataShapeEnvValue(props.dataShape) }),
      ...(props.syncLedger !== undefined && { [ENV.syncLedgerTable]: props.syncLedger.tableName }),
    };
    super(scope, id, {
      name: 'fetch-secret',
      environment,
      logRetention: props.logRetention,
      description: mappingFunctionDescription('fetch-secret', props),
    });
    const policy = sourceProvider(source).fetchPolicy(props.secretArn, {
      watchDeletion: props.describeSecret === true,
      kmsKeyArn: props.secretKmsKeyArn,
      region: Stack.of(this).region,
    });
    for (const statement of policy) this.role.addToPrincipalPolicy(PolicyStatement.fromJson(statement));
    if (props.syncLedger !== undefined) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [props.syncLedger.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [props.mappingId] } },
        }),
      );
    }
    grantStepSeals(props.sealKey, this.role, props.mappingId, stepOfKind('fetch-secret'));
  }
}
