import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArnFormat, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StepPlaceholder } from '../../functions/domain/sync-steps.ts';
import type { WavesOption } from '../../functions/domain/waves.ts';
import { definitionJson as definitionJsonOf } from '../model/definition-json.ts';
import { withWaves } from '../model/waves.ts';
import { REPO_ROOT } from './lambda-defaults.ts';

/** The ASL file: the single source of truth, also executed by the state machine tests. */
export const DEFINITION_FILE = join(REPO_ROOT, 'statemachine', 'sync.asl.json');

/**
 * Every `${Name}` placeholder of the ASL file, with the value it stands for: each step's function ARN by the step
 * table's placeholder (functions/domain/sync-steps.ts; for an optional step the mapping does not have, a
 * well-formed ARN of no function that the definition never reaches, see SecretMapping), and the constants below.
 */
export type SyncSubstitutions = { readonly [P in StepPlaceholder]: string } & {
  readonly DeadLetterQueueUrl: string;
  readonly MappingId: string;
  /** The mapping's targets as the Map state's items (`definitionJson` of `TargetRef[]`). */
  readonly TargetsJson: string;
  /** Each target's Map item (`definitionJson` of `targetItems(...)`): its index into TargetsJson and its name. */
  readonly TargetItemsJson: string;
  /** The clusters of the targets, by name: `{endpoint, ca}` (`definitionJson` of a `ClusterMap`). */
  readonly ClustersJson: string;
};

/**
 * `value` as the base64 of its JSON text for a `States.StringToJson(States.Base64Decode('${Name}'))` placeholder
 * (see infra/model/definition-json.ts). With CDK tokens inside (a cluster's endpoint or CA looked up at deploy time),
 * CloudFormation encodes it (Fn::Base64 of the text with the tokens in place).
 */
export function definitionJson(value: unknown): string {
  const text = JSON.stringify(value);
  return Token.isUnresolved(text) ? Fn.base64(text) : definitionJsonOf(value);
}

/**
 * Fills the ASL file's `${Name}` placeholders the way Step Functions'
 * DefinitionSubstitutions does, so tests can compare the deployed definition
 * with the file.
 *
 * @param subs values by placeholder name.
 * @param template the ASL text; @default the text of {@link DEFINITION_FILE}
 * @throws Error when the text has a placeholder `subs` does not fill.
 */
export function renderDefinition(
  subs: Readonly<Record<string, string>>,
  template = readFileSync(DEFINITION_FILE, 'utf8'),
): string {
  return template.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_all, name: string) => {
    const value = subs[name];
    if (value === undefined) throw new Error(`the state machine definition needs a value for \${${name}}`);
    return value;
  });
}

/**
 * The definition of a mapping with `waves` (infra/model/waves.ts), written to a file named by its content so that it
 * is staged as an asset like the ASL file (DefinitionS3Location), not inlined into the template.
 */
function wavesDefinitionFile(waves: NonNullable<SyncStateMachineProps['waves']>): string {
  const text = JSON.stringify(
    withWaves(JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')), waves.targets, waves.option),
    null,
    2,
  );
  const file = join(tmpdir(), `eks-secret-sync-waves-${createHash('sha256').update(text).digest('hex')}.asl.json`);
  writeFileSync(file, text);
  return file;
}

/** Props of {@link SyncStateMachine}. */
export interface SyncStateMachineProps {
  /** The values of the ASL placeholders. */
  readonly substitutions: SyncSubstitutions;
  /** The step functions the definition invokes (invoke is granted on exactly these). */
  readonly functions: readonly IFunction[];
  /** The queue the SendToDlq state writes to (sqs:SendMessage is granted on it). */
  readonly deadLetterQueue: IQueue;
  /**
   * Name of the state machine, unique in the account and region (the stack's rule prefix and the mapping id):
   * its role trusts Step Functions only for this state machine (aws:SourceArn), which needs the ARN before the
   * state machine exists.
   */
  readonly stateMachineName: string;
  /**
   * The execution log group, shared by every state machine of the stack (infra/constructs/eks-secret-sync.ts): one
   * group
   * takes the stack's metric filters once, however many mappings there are.
   * @default a group of this state machine's own, named `logGroupPrefix` + the role's unique id
   */
  readonly logGroup?: ILogGroup;
  /**
   * Start of the name of the state machine's own execution log group (when no `logGroup` is given); the state
   * machine role's unique id follows. A `/aws/vendedlogs/` prefix keeps the account's CloudWatch Logs resource
   * policy small however many state machines exist.
   * @default `/aws/vendedlogs/states/<stateMachineName>/`
   */
  readonly logGroupPrefix?: string;
  /**
   * Retention of the state machine's own execution log group (when no `logGroup` is given).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * The mapping's `waves` and its target names in the Map's order: the definition gets the wave loop
   * (infra/model/waves.ts).
   * @default none: the ASL file's definition as it is
   */
  readonly waves?: { readonly option: WavesOption; readonly targets: readonly string[] };
}

/**
 * The Express state machine of one mapping, loaded from `statemachine/sync.asl.json`
 * with typed substitutions. Express workflows keep no history of their own, so
 * every execution is logged (level ALL, with execution data: the state holds
 * only sealed values) and traced with X-Ray.
 */
export class SyncStateMachine extends Construct {
  /** The state machine. */
  readonly stateMachine: StateMachine;
  /** Its execution log group (the shared one when given). */
  readonly logGroup: ILogGroup;

  constructor(scope: Construct, id: string, props: SyncStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Confused-deputy guard: Step Functions may assume the role only for this state machine of this account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': arn },
      }),
      description: `eks-secret-sync state machine ${props.stateMachineName}`,
    });
    this.logGroup =
      props.logGroup ??
      new LogGroup(this, 'Logs', {
        // The role's unique id (AROA...) is new whenever the role is created: a state machine removed and added
        // again gets a new name instead of "already exists" for the retained group.
        logGroupName: `${props.logGroupPrefix ?? `/aws/vendedlogs/states/${props.stateMachineName}/`}${role.roleId}`,
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      });
    this.stateMachine = new StateMachine(this, 'Resource', {
      stateMachineName: props.stateMachineName,
      role,
      definitionBody: DefinitionBody.fromFile(props.waves ? wavesDefinitionFile(props.waves) : DEFINITION_FILE),
      definitionSubstitutions: { ...props.substitutions },
      stateMachineType: StateMachineType.EXPRESS,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // Unqualified ARNs only: the definition never calls a version or alias.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: props.functions.map((f) => f.functionArn) }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
    );
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    for (const why of WILDCARD_REASONS) Validations.of(policy ?? this.stateMachine.role).acknowledge(why);
  }
}

const WILDCARD_REASONS = [
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions logging to CloudWatch Logs needs logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, ' +
      'DeleteLogDelivery, ' +
      'ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups on "*" (these actions ' +
      'support no resource ' +
      'ARN), and X-Ray tracing needs xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and ' +
      'GetSamplingTargets on "*" (same reason).',
  },
];
