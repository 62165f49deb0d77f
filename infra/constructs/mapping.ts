import { Annotations, ArnFormat, CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type ILogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { Mapping, Target } from '../model/config.ts';
import { mappingConfigHash } from '../model/settings-hash.ts';
import type { TargetRef } from '../../functions/domain/target.ts';
import { CURRENT_LABEL } from '../../functions/domain/events.ts';
import type { ClusterConnection } from './cluster.ts';
import type { ClusterAccessStack } from './cluster-access.ts';
import {
  ExecutionInput,
  INITIAL_SYNC_DETAIL_TYPE,
  ruleName,
  type RuleKind,
  SCHEDULED_SYNC_DETAIL_TYPE,
  sourceEventPattern,
  syntheticExecutionInput,
  WithDeadLetterQueue,
} from './events.ts';
import { makeStepFunctions, type MappingFunctions } from './functions/steps.ts';
import { FUNCTION_NAMES, type FunctionName } from './lambda-defaults.ts';
import { FUNCTION_STEPS, type StepPlaceholder } from '../../functions/domain/sync-steps.ts';
import { appNameOf } from './app-name.ts';
import { rbacApplyCommand } from '../model/applyset.ts';
import { appScopeOf, kubeNames } from '../model/kube-names.ts';
import { clusterEnv, hasRemoteCluster, homeOf, isRemote, identityRoleName } from '../model/cluster-env.ts';
import { sourceProvider } from '../../functions/sources/providers.ts';
import { legacyExecutionLogGroupPrefix, stateMachineName } from '../model/resource-names.ts';
import { definitionJson, SyncStateMachine } from './state-machine.ts';
import { targetItems } from '../model/definition-json.ts';
import { targetName } from '../model/targets.ts';
import { TARGET_OPTIONS } from '../model/mapping-options.ts';
import { deliverOptions } from './option-delivery.ts';
import type { KmsInterfaceEndpoint } from './vpc-endpoints.ts';

/**
 * What the ASL's `${RestartWorkloadsFunctionArn}` becomes for a mapping
 * without `restart`: no function is created for it (a function and its log
 * group per mapping, for nothing), and the definition never reaches the
 * state, because the plan only lists workloads the mapping has. Step Functions needs a well-formed ARN there; this one
 * names no function, and the state machine may not invoke it anyway.
 */
export const NO_RESTART_FUNCTION_NAME = 'eks-secret-sync-restart-not-configured';

/** CloudFormation type of the custom resource that starts a mapping's initial sync. */
export const INITIAL_SYNC_RESOURCE_TYPE = 'Custom::InitialSync';

/** The id of the synth warning about a `secretArn` that may be a partial ARN (acknowledge it with this id). */
export const SECRET_ARN_SUFFIX_WARNING = 'eks-secret-sync:secret-arn-suffix';

export type { MappingFunctions } from './functions/steps.ts';
export { stateMachineName } from '../model/resource-names.ts';
export { mappingConfigHash } from '../model/settings-hash.ts';

/** Props of {@link SecretMapping}. */
export interface SecretMappingProps {
  /** The validated mapping. */
  readonly mapping: Mapping;
  /** The stack's seal key (KMS envelope for values in the state). */
  readonly sealKey: IKey;
  /**
   * Where failed syncs and undeliverable events go. Its policy must admit
   * EventBridge deliveries from rules named with `rulePrefix` (events.ts); the stack's does.
   */
  readonly deadLetterQueue: IQueue;
  /** How to reach each target's cluster, in the order of the mapping's targets. */
  readonly clusters: readonly ClusterConnection[];
  /** Retention of the mapping's log groups. */
  readonly logRetention: RetentionDays;
  /**
   * The stack's execution log group, where the mapping's state machine logs (with every other mapping's).
   * @default a group of the mapping's own
   */
  readonly executionLogGroup?: ILogGroup;
  /**
   * The KMS interface endpoint of the mapping's VPC, when its `cluster.vpc.endpoints` asks the stack for one.
   * @default none: the functions in a VPC reach KMS's regional endpoint (NAT or the VPC's own endpoint)
   */
  readonly kmsEndpoint?: KmsInterfaceEndpoint;
  /**
   * The app's metric namespace (the core stack's monitoring), where apply-secret records each write's freshness.
   * @default no freshness metric
   */
  readonly metricNamespace?: string;
  /**
   * The sync ledger of the lost-event sweep (the core's): FetchSecret records there what it fetched.
   * @default no ledger (the sweep is off)
   */
  readonly syncLedger?: ITable;
}

/**
 * Everything one mapping needs: three functions (a fourth when it restarts workloads) with two roles (fetch-secret's,
 * and the Kubernetes identity its Kubernetes steps share), the Express state machine, the EventBridge rule(s) that
 * start it, and the EKS access entry that makes the identity role a Kubernetes identity in the group
 * `eks-secret-sync:<id>`.
 *
 * The cluster's authentication mode must be API or API_AND_CONFIG_MAP: access
 * entries do not exist in CONFIG_MAP mode. The RBAC objects the group needs
 * are not applied by the stack (see infra/model/rbac.ts); an output says how.
 */
export class SecretMapping extends Construct {
  /** The steps by name (restart-workloads only with `restart`). */
  readonly functions: MappingFunctions;
  /**
   * The mapping's Kubernetes identity: the role its access entries name, and the execution role of its Kubernetes
   * steps (read-secret, apply-secret, restart-workloads), which sign their tokens with it.
   */
  readonly identity: Role;
  /** The state machine. */
  readonly stateMachine: SyncStateMachine;
  /** The rules starting it: the native label event, then the CloudTrail rule and the resync schedule when enabled. */
  readonly rules: readonly Rule[];
  /** The deploy-time custom resource that starts one sync at create and whenever the mapping's settings change. */
  readonly initialSync: AwsCustomResource;
  /**
   * The EKS access entry of the Kubernetes identity (the identity role) in the first cluster of the secrets'
   * account and region; undefined when every cluster of the mapping is elsewhere (their entries are made by the
   * app's access stacks: {@link ClusterAccessStack}).
   */
  readonly accessEntry: CfnAccessEntry | undefined;
  /** One access entry per cluster of the mapping's targets, in the order the targets first name them. */
  readonly accessEntries: readonly CfnAccessEntry[];

  constructor(scope: Construct, id: string, props: SecretMappingProps) {
    super(scope, id);
    const { mapping: m } = props;
    this.checkRegions(m);
    this.checkSecretArnSuffix(m);
    const made = this.addFunctions(props);
    this.functions = made.functions;
    this.identity = made.identity.role;
    deliverOptions(m, Object.values(this.functions));
    // A step the mapping does not have (restart-workloads without `restart`) gets a well-formed ARN of no function.
    const absent = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: NO_RESTART_FUNCTION_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const functionArns = Object.fromEntries(
      FUNCTION_STEPS.map((s) => [s.placeholder, this.functions[s.kind]?.function.functionArn ?? absent]),
    ) as Record<StepPlaceholder, string>;
    const targetRefs = m.targets.map((t) => targetRef(m, t));
    this.stateMachine = new SyncStateMachine(this, 'StateMachine', {
      substitutions: {
        ...functionArns,
        DeadLetterQueueUrl: props.deadLetterQueue.queueUrl,
        MappingId: m.id,
        TargetsJson: definitionJson(targetRefs),
        TargetItemsJson: definitionJson(targetItems(targetRefs)),
        ClustersJson: definitionJson(clusterMap(m, props.clusters)),
      },
      functions: FUNCTION_NAMES.flatMap((name: FunctionName) => this.functions[name]?.function ?? []),
      deadLetterQueue: props.deadLetterQueue,
      stateMachineName: stateMachineName(appNameOf(this), m.id),
      logGroup: props.executionLogGroup,
      logGroupPrefix: legacyExecutionLogGroupPrefix(Stack.of(this).stackName, m.id),
      logRetention: props.logRetention,
      ...(m.waves && { waves: { option: m.waves, targets: m.targets.map((t) => targetRef(m, t).name) } }),
    });
    this.rules = this.addRules(m, props.deadLetterQueue);

    const identity = this.identity.roleArn;
    const app = appScopeOf(appNameOf(this), m.secretArn);
    const { group } = kubeNames(app, m.id);
    // One identity for every target; one access entry in each cluster the targets name (the first keeps the id
    // a single-target mapping always had). A cluster in another account or region gets its entry from the app's
    // stack there (infra/constructs/cluster-access.ts), or from its administrator (`rbac --cluster`).
    const clusterNames = [...new Set(m.targets.map((t) => t.cluster.name))];
    const home = homeOf(m);
    const local = [...new Set(m.targets.filter((t) => !isRemote(t.cluster, home)).map((t) => t.cluster.name))];
    this.accessEntries = local.map(
      (clusterName, i) =>
        new CfnAccessEntry(this, i === 0 ? 'AccessEntry' : `AccessEntry${i + 1}`, {
          clusterName,
          principalArn: identity,
          kubernetesGroups: [group],
          type: 'STANDARD',
        }),
    );
    this.accessEntry = this.accessEntries[0];
    for (const name of clusterNames.filter((c) => !local.includes(c))) {
      Annotations.of(this).addInfo(
        `mapping ${m.id}: cluster ${name} is in another account or region; its access entry is made by the app's ` +
          `access stack there (ClusterAccessStack), or by its administrator with the command ` +
          `eks-secret-sync rbac --cluster ${name} prints`,
      );
    }
    this.initialSync = this.addInitialSync(m, props.logRetention);
    // The mappings file the app was synthesized from (the `mappings` context value), as the operator named it.
    const file: unknown = this.node.tryGetContext('mappings');
    new CfnOutput(this, 'RbacCommand', {
      description:
        `Mapping ${m.id}: apply the RBAC of its cluster(s) with a cluster-admin context of each (the stack holds ` +
        `none); the first time on a cluster, the two setup commands of docs/deploy.md first`,
      value: clusterNames
        .map((c) => rbacApplyCommand(app, c, typeof file === 'string' && file !== '' ? file : undefined))
        .join(' && '),
    });
    new CfnOutput(this, 'KubernetesIdentity', {
      description: `Mapping ${m.id}: the IAM role the cluster knows as group ${group}`,
      value: identity,
    });
  }

  /** The steps, each with its environment and exactly the permissions it needs (functions/steps.ts). */
  private addFunctions(props: SecretMappingProps): ReturnType<typeof makeStepFunctions> {
    const { mapping: m } = props;
    return makeStepFunctions(this, {
      mapping: m,
      sealKey: props.sealKey,
      logRetention: props.logRetention,
      kmsEndpoint: props.kmsEndpoint,
      metricNamespace: props.metricNamespace,
      syncLedger: props.syncLedger,
      // The endpoints the state's `clusters` may name: the same map the definition carries (ClustersJson).
      clusterEndpoints: Object.values(clusterMap(m, props.clusters)).map((c) => c.endpoint),
    });
  }

  /**
   * The rules that start a sync. The shared DLQ also takes events EventBridge
   * could not deliver (their messages carry EventBridge's error attributes
   * instead of a mappingId body); the stack's queue policy admits these rules
   * by name prefix, in one statement.
   */
  private addRules(m: Mapping, deadLetterQueue: IQueue): Rule[] {
    const stack = Stack.of(this);
    // The app's name, not the stack's: the core's DLQ policy and redrive admit the app's rules by this prefix.
    const stackName = appNameOf(this);
    const kinds: RuleKind[] = [
      'label',
      ...(m.cloudTrailRules ? ['trail' as const] : []),
      ...(m.resyncSchedule !== undefined ? ['sched' as const] : []),
    ];
    const ruleArns = kinds.map((kind) =>
      stack.formatArn({
        service: 'events',
        resource: 'rule',
        resourceName: ruleName(stackName, m.id, kind),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    // Confused-deputy guard: EventBridge may assume the role only for this mapping's rules in this account
    // (ARNs from the names: the rules depend on the role, so the role cannot depend on them).
    const role = new Role(this, 'EventsRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': ruleArns },
      }),
      description: `eks-secret-sync ${m.id}: EventBridge starts the mapping's state machine`,
    });
    const target = new WithDeadLetterQueue(
      new SfnStateMachine(this.stateMachine.stateMachine, {
        input: new ExecutionInput(),
        retryAttempts: 8,
        maxEventAge: Duration.hours(1),
        role,
      }),
      deadLetterQueue,
    );
    const rules = [
      new Rule(this, 'LabelUpdatedRule', {
        ruleName: ruleName(stackName, m.id, 'label'),
        description: `eks-secret-sync ${m.id}: ${m.label ?? CURRENT_LABEL} of the secret moved`,
        eventPattern: sourceEventPattern(m.source, 'label', m.secretArn, m.label),
        targets: [target],
      }),
    ];
    if (m.cloudTrailRules) {
      rules.push(
        new Rule(this, 'CloudTrailRule', {
          ruleName: ruleName(stackName, m.id, 'trail'),
          description: `eks-secret-sync ${m.id}: DeleteSecret or RestoreSecret on the secret (CloudTrail)`,
          eventPattern: sourceEventPattern(m.source, 'trail', m.secretArn),
          targets: [target],
        }),
      );
    }
    if (m.resyncSchedule !== undefined) {
      rules.push(
        new Rule(this, 'ResyncRule', {
          ruleName: ruleName(stackName, m.id, 'sched'),
          description: `eks-secret-sync ${m.id}: resync on schedule ${m.resyncSchedule} (repairs drift in the cluster)`,
          schedule: Schedule.expression(m.resyncSchedule),
          targets: [
            new WithDeadLetterQueue(
              new SfnStateMachine(this.stateMachine.stateMachine, {
                input: RuleTargetInput.fromObject(
                  syntheticExecutionInput(SCHEDULED_SYNC_DETAIL_TYPE, { mappingId: m.id }),
                ),
                role,
                retryAttempts: 8,
                maxEventAge: Duration.hours(1),
              }),
              deadLetterQueue,
            ),
          ],
        }),
      );
    }
    return rules;
  }

  /**
   * Starts one sync at deploy time (StartExecution by CDK's AwsCustomResource
   * provider, allowed on this state machine only): when the mapping is
   * created, and again when its settings change (their hash is part of the
   * input). The execution is asynchronous: the deployment does not wait for
   * it, and a failure lands in the DLQ like any other sync (for example a 403
   * when the mapping's RBAC is not applied yet: apply it first, or redrive).
   */
  private addInitialSync(m: Mapping, logRetention: RetentionDays): AwsCustomResource {
    const stateMachineArn = this.stateMachine.stateMachine.stateMachineArn;
    // Resolved first: a token (a cluster attribute of the same app) counts by its CloudFormation expression,
    // which stays the same from one synth to the next, unlike the token's text.
    const configHash = mappingConfigHash(Stack.of(this).resolve(m) as Mapping);
    const input = syntheticExecutionInput(INITIAL_SYNC_DETAIL_TYPE, { mappingId: m.id, configHash });
    const call = {
      service: 'SFN',
      action: 'startExecution',
      parameters: { stateMachineArn, input: JSON.stringify(input) },
      // One physical id for the life of the mapping: an update runs the call again without replacing the resource.
      physicalResourceId: PhysicalResourceId.of(`${m.id}-initial-sync`),
      outputPaths: ['executionArn'],
    };
    const resource = new AwsCustomResource(this, 'InitialSync', {
      resourceType: INITIAL_SYNC_RESOURCE_TYPE,
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: providerLogGroup(this, logRetention),
    });
    // The sync needs the Kubernetes identity: start it only once the access entries exist.
    resource.node.addDependency(this.stateMachine, ...this.accessEntries);
    return resource;
  }

  /** A reference its provider reads but would likely never see an event for (a warning, not an error). */
  private checkSecretArnSuffix(m: Mapping): void {
    const warning = sourceProvider(m.source).reference.warning(m.secretArn, m.id);
    if (warning !== undefined) Annotations.of(this).addWarningV2(SECRET_ARN_SUFFIX_WARNING, warning);
  }

  /** Impossible placements are errors that fail the synth, not silently fixed (the config refuses them first). */
  private checkRegions(m: Mapping): void {
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) return;
    const secretRegion = sourceProvider(m.source).reference.region(m.secretArn);
    if (secretRegion !== region) {
      Annotations.of(this).addError(
        `mapping ${m.id}: the secret is in ${secretRegion ?? 'no known region'} but the stack in ${region}; its ` +
          `events never reach this stack`,
      );
    }
  }
}

/**
 * The log group of CDK's one AwsCustomResource provider function of the stack
 * (a singleton: the first custom resource that creates it decides its log
 * group). The group its EksSecretSync (its parent) made for it (infra/model/cluster-lookups.ts `providerLogs`),
 * else one created there once, with the retention.
 */
function providerLogGroup(mapping: Construct, retention: RetentionDays): ILogGroup {
  const home = mapping.node.scope ?? Stack.of(mapping);
  // Its own group first: an EksSecretSync whose provider writes there may also hold an (idle) lookup group.
  const existing = home.node.tryFindChild('CustomResourceLogs') ?? home.node.tryFindChild('ClusterLookupLogs');
  return (existing as ILogGroup | undefined) ?? new LogGroup(home, 'CustomResourceLogs', { retention });
}

/**
 * A target as the Map state's item: where it writes, and only the options it overrides (the functions hold the
 * mapping's as their defaults), so 50 targets stay a few KiB of state.
 */
export function targetRef(m: Mapping, t: Target): TargetRef {
  const overrides = Object.fromEntries(
    TARGET_OPTIONS.filter((k) => JSON.stringify(t[k]) !== JSON.stringify(m[k])).map((k) => [k, t[k]]),
  );
  return {
    name: targetName(t),
    cluster: t.cluster.name,
    namespace: t.namespace,
    secretName: t.secretName,
    ...overrides,
    // Read by the ASL (FailureEventWanted), which cannot see the functions' environment: on every target.
    ...(m.failureEvents && { failureEvents: true }),
  };
}

/** The clusters of the mapping's targets by name (the config allows one way to each cluster per mapping). */
function clusterMap(
  m: Mapping,
  connections: readonly ClusterConnection[],
): Record<string, { endpoint: string; ca: string }> {
  const map: Record<string, { endpoint: string; ca: string }> = {};
  m.targets.forEach((t, i) => {
    map[t.cluster.name] ??= { endpoint: connections[i]!.endpoint, ca: connections[i]!.certificateAuthority };
  });
  return map;
}
