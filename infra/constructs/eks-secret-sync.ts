import { ArnFormat, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnLogGroup, type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ClusterConnection } from './cluster.ts';
import {
  clusterKey,
  lookupNumberProblems,
  lookupNumbers,
  needsLookup,
  PROVIDER_LOGS,
  providerLogs,
} from '../model/cluster-lookups.ts';
import { mappingVpc, MappingsError, type Mapping, type Target } from '../model/config.ts';
import { rulePrefix } from './events.ts';
import { SecretMapping } from './mapping.ts';
import { sealKeyPolicy } from './seal-key.ts';
import { SealGrantor, SealGrants } from './seal-grants.ts';
import { appNameOf } from './app-name.ts';
import { stackLimitProblems } from './stack-limits.ts';
import { SyncMonitoring } from './monitoring.ts';
import { QUEUE_RETENTION, SyncRedrive } from './redrive.ts';
import { SyncSweep } from './sweep.ts';
import { executionLogGroupPrefix, metricNamespace, rolePath, STACK_OUTPUTS } from '../model/resource-names.ts';
import { AdminWatch } from './admin-watch.ts';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { type SharedParts, validateSyncProps, type EksSecretSyncProps, type ValidatedSyncProps } from './sync-props.ts';
import { kmsEndpointsFor } from './vpc-endpoints.ts';

/** Construct id CDK gives the one provider function of every AwsCustomResource in a stack. */
const CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

const BRAND = Symbol.for('eks-secret-sync.EksSecretSync');

/**
 * AWS Secrets Manager secrets kept in step with Kubernetes Secrets on Amazon EKS, in any stack: the seal key,
 * the shared dead-letter queue and its redrive, monitoring, and per mapping an Express state machine of small
 * Lambda functions with one role each, the EventBridge rules that start it and the EKS access entry of its
 * Kubernetes identity.
 *
 * One per stack (its outputs and the seal key's alias are named after the stack), in the region of the
 * secrets. The RBAC objects of each mapping are not applied: an output per mapping says how.
 *
 * @throws MappingsError when the props are invalid, listing every problem with the mapping and the field.
 * @throws Error when the stack already holds an EksSecretSync.
 */
export class EksSecretSync extends Construct implements SharedParts {
  /** Whether `x` is an EksSecretSync (also across copies of this module). */
  static isEksSecretSync(x: unknown): x is EksSecretSync {
    return typeof x === 'object' && x !== null && BRAND in x;
  }

  /**
   * Seals secret values and tokens while they travel through the state
   * (envelope encryption, bound to the mapping by encryption context).
   */
  readonly sealKey: Key;
  /** Failed syncs (from the state machines) and events EventBridge could not deliver. */
  readonly deadLetterQueue: Queue;
  /** The mappings by id. */
  readonly mappings: Readonly<Record<string, SecretMapping>>;
  /** Alarms and dashboard. */
  readonly monitoring: SyncMonitoring;
  /** Redrive of the DLQ: the sync-requests queue, its consumer and the parked queue. */
  readonly redrive: SyncRedrive;
  /** The one execution log group of every state machine of the app. */
  readonly executionLogGroup: ILogGroup;
  /** The function behind every stack's seal grants (the core's). */
  readonly sealGrantor: SealGrantor;
  /** The KMS grants that let this stack's step roles use the seal key, each for its mapping's context only. */
  readonly sealGrants: SealGrants;
  /** Whether this one holds the shared parts (it was given no `core`). */
  readonly isCore: boolean;
  /** The app's lost-event sweep and its ledger (the core's; absent with `sweepMinutes: 0`). */
  readonly sweep?: SyncSweep;

  constructor(scope: Construct, id: string, props: EksSecretSyncProps) {
    super(scope, id);
    Object.defineProperty(this, BRAND, { value: true });
    const stack = Stack.of(this);
    // Thrown, not annotated: the second one's outputs would collide before the synth reports annotations.
    const other = stack.node.findAll().find((c) => c !== this && EksSecretSync.isEksSecretSync(c));
    if (other) {
      throw new Error(
        `${this.node.path}: stack ${stack.stackName} already holds an EksSecretSync (${other.node.path}); one stack ` +
          'holds one: give it all the mappings, or put this one in another stack',
      );
    }
    const config = validateSyncProps(props, this.node.path);
    const numbering = [
      ...lookupNumberProblems(props.clusterLookups ?? {}),
      ...(props.providerLogs === undefined || PROVIDER_LOGS.includes(props.providerLogs)
        ? []
        : [`providerLogs: ${JSON.stringify(props.providerLogs)} is not one of ${PROVIDER_LOGS.join(', ')}`]),
    ];
    if (numbering.length > 0)
      throw new MappingsError(
        this.node.path,
        numbering.map((p) => (p.startsWith('providerLogs') ? p : `clusterLookups: ${p}`)),
        'props of EksSecretSync',
      );
    const { logRetention } = config;

    const appName = appNameOf(this);
    const core = props.core ?? this.addSharedParts(config, appName);
    this.isCore = props.core === undefined;
    ({
      sealKey: this.sealKey,
      deadLetterQueue: this.deadLetterQueue,
      executionLogGroup: this.executionLogGroup,
      sealGrantor: this.sealGrantor,
      sweep: this.sweep,
    } = core);
    // Before the mappings: their step roles' grantSeal calls record their grants here.
    this.sealGrants = new SealGrants(this, {
      sealKey: this.sealKey,
      serviceToken: this.sealGrantor.function.functionArn,
    });
    const clusterOf = this.clusterConnections(config.mappings, logRetention, props);
    const kmsEndpoints = kmsEndpointsFor(this, config.mappings, this.sealKey);
    const mappings: Record<string, SecretMapping> = {};
    for (const m of config.mappings) {
      mappings[m.id] = new SecretMapping(this, `Mapping-${m.id}`, {
        mapping: m,
        sealKey: this.sealKey,
        deadLetterQueue: this.deadLetterQueue,
        clusters: m.targets.map((t) => clusterOf(t.cluster)),
        logRetention,
        executionLogGroup: this.executionLogGroup,
        kmsEndpoint: kmsEndpoints.get(mappingVpc(m)?.endpoints?.vpcId ?? ''),
        metricNamespace: core.monitoring.namespace,
        syncLedger: core.sweep?.ledger,
      });
    }
    this.mappings = mappings;
    // A mapping's deploy-time sync starts once its roles hold their grants.
    for (const m of Object.values(mappings)) m.initialSync.node.addDependency(this.sealGrants.resource);
    ({ redrive: this.redrive, monitoring: this.monitoring } = core);

    this.acknowledgeCustomResourceProvider();
    this.retainLogsExceptOnCreate();
    // Validations run before the template is written, so this message comes before CDK's TooManyResourcesInStack.
    this.node.addValidation({ validate: () => this.stackLimitProblems(config.mappings, props.source) });
  }

  /**
   * The parts every mapping of the app shares, in this (the core's) stack: the seal key (its policy admits the
   * app's roles by path, the same size for any number of mappings), the dead-letter queue (its policy admits every
   * rule of the app by name prefix), the execution log group, the redrive (it may start every state machine of
   * the app by name prefix) and the monitoring. Other stacks of the app reference them (`core`); nothing here
   * references another stack, so there is no cycle and the core deploys first.
   */
  private addSharedParts(config: ValidatedSyncProps, appName: string): SharedParts {
    const stack = Stack.of(this);
    const { logRetention } = config;
    // Before the key: the key policy names its role, the only one that may create grants on the key.
    const sealGrantor = new SealGrantor(this, 'SealGrantor', { logRetention });
    const sealKey = new Key(this, 'SealKey', {
      description: `eks-secret-sync ${stack.stackName}: seals secret values in Step Functions state`,
      alias: `eks-secret-sync/${stack.stackName}/seal`,
      enableKeyRotation: true,
      // Administration for the account; use only through the grantor's grants (constant size).
      policy: sealKeyPolicy(appName, sealGrantor.role.roleArn),
      // Nothing outlives a sync under this key (state is transient, DLQ messages hold no sealed data).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    sealGrantor.allowOn(sealKey);
    const deadLetterQueue = this.addDeadLetterQueue(appName);
    const executionLogGroup = this.addExecutionLogGroup(logRetention);
    const redrive = new SyncRedrive(this, 'Redrive', {
      deadLetterQueue,
      stateMachineNamePrefix: rulePrefix(appName),
      maxAttempts: config.redriveMaxAttempts,
      logRetention,
    });
    const sweep =
      config.sweepMinutes > 0
        ? new SyncSweep(this, 'Sweep', {
            minutes: config.sweepMinutes,
            stateMachineNamePrefix: rulePrefix(appName),
            metricNamespace: metricNamespace(stack.stackName),
            logRetention,
          })
        : undefined;
    const monitoring = new SyncMonitoring(this, 'Monitoring', {
      deadLetterQueue,
      deadLetterRetention: QUEUE_RETENTION,
      parkedQueue: redrive.parkedQueue,
      parkedRetention: QUEUE_RETENTION,
      syncRequests: redrive.syncRequests,
      redriveFunction: redrive.consumer.function,
      executionLogGroup,
      freshness: Duration.minutes(config.freshnessMinutes),
      alarmEmail: config.alarmEmail,
      ...(sweep && {
        sweep: { logGroup: sweep.function.logGroup, period: sweep.period, function: sweep.function.function },
      }),
    });
    // After the monitoring: its topic (with alarmEmail) is where an administrator's change is sent.
    new AdminWatch(this, 'AdminWatch', {
      sealKey,
      appName,
      rolePath: rolePath(appName),
      target: monitoring.topic ? new SnsTopic(monitoring.topic) : undefined,
    });
    return { sealKey, deadLetterQueue, executionLogGroup, redrive, monitoring, sealGrantor, ...(sweep && { sweep }) };
  }

  /**
   * The one execution log group of every mapping's state machine: the monitoring's metric filters are on it once,
   * however many mappings there are. Named after the stack (infra/model/resource-names.ts, which the CLI reads) and the
   * stack's own id, new each time the stack is created: the group is retained when the stack is deleted, and a
   * fixed name would make the next deploy fail with "already exists".
   */
  private addExecutionLogGroup(retention: RetentionDays): LogGroup {
    const stack = Stack.of(this);
    const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
    return new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `${executionLogGroupPrefix(stack.stackName)}${stackUuid}`,
      retention,
    });
  }

  /**
   * SQS-managed encryption (SSE-SQS), not the seal key: EventBridge can deliver to it with no key policy for
   * events.amazonaws.com, the messages hold no secret data (only event metadata and sanitized errors), and
   * the seal key stays usable for sealing alone.
   */
  private addDeadLetterQueue(appName: string): Queue {
    const stack = Stack.of(this);
    const queue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
    });
    // EventBridge delivers undeliverable events here for every rule of the app, in all its stacks: one statement
    // for all (their names share the app's prefix), as SQS allows only 20 statements per queue policy.
    const rules = stack.formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: `${rulePrefix(appName)}*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const customBusRules = stack.formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: '*/*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgeRulesOfThisStack',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': rules },
          // A rule on a custom bus is `rule/<bus>/<name>`: `rule/<prefix>bus/x` would match the prefix.
          ArnNotLike: { 'aws:SourceArn': customBusRules },
        },
      }),
    );
    // `eks-secret-sync status` finds the queue by this output's key.
    new CfnOutput(this, STACK_OUTPUTS.deadLetterQueueUrl, {
      description:
        'The dead-letter queue of failed syncs and undeliverable events (eks-secret-sync status shows its depth)',
      value: queue.queueUrl,
    });
    // No AwsSolutions-SQS3 acknowledgment: the queue is the dead-letter queue of Redrive's sync-requests queue.
    return queue;
  }

  /**
   * One connection (and at most one deploy-time lookup) per distinct cluster block. A lookup is `Cluster<n>`, its
   * number from {@link lookupNumbers}; a block with endpoint and CA has no resource, and its id no contract.
   */
  private clusterConnections(
    mappings: readonly Mapping[],
    logRetention: RetentionDays,
    props: Pick<EksSecretSyncProps, 'clusterLookups' | 'providerLogs'>,
  ): (c: Target['cluster']) => ClusterConnection {
    const numbers = lookupNumbers(mappings, props.clusterLookups);
    // Made before any custom resource, so that whichever comes first gives CDK's provider function this group.
    const logs = providerLogs(mappings, props.providerLogs);
    const providerLogGroup = new LogGroup(this, logs, { retention: logRetention });
    const clusters = new Map<string, ClusterConnection>();
    return (c) => {
      const key = clusterKey(c);
      let conn = clusters.get(key);
      if (!conn) {
        const lookup = needsLookup(c);
        // Release 0.1.0 made the lookups' group even where the provider writes elsewhere; it stays, idle.
        if (lookup && this.node.tryFindChild('ClusterLookupLogs') === undefined)
          new LogGroup(this, 'ClusterLookupLogs', { retention: logRetention });
        const id = lookup ? `Cluster${numbers[key]}` : `Connection${clusters.size + 1}`;
        conn = new ClusterConnection(this, id, { ...c, lookupLogGroup: providerLogGroup });
        clusters.set(key, conn);
      }
      return conn;
    };
  }

  /** Over a limit of one stack: the mapping that no longer fits, and how to split the mappings. */
  private stackLimitProblems(mappings: readonly Mapping[], source: string | undefined): string[] {
    // A KMS endpoint counts for the first mapping in its VPC: the one that makes the stack create it.
    const endpointOwner = new Map<string, string>();
    for (const m of mappings) {
      const vpcId = mappingVpc(m)?.endpoints?.vpcId;
      if (vpcId !== undefined && !endpointOwner.has(vpcId)) endpointOwner.set(vpcId, m.id);
    }
    const ownerOf = (c: IConstruct) => {
      const vpcId = /\/KmsEndpoint-([^/]+)(\/|$)/.exec(c.node.path)?.[1];
      return vpcId === undefined ? undefined : endpointOwner.get(vpcId);
    };
    return stackLimitProblems({ mappings: this.mappings, stack: Stack.of(this), ownerOf }, (fits) =>
      source !== undefined
        ? `Set stack.mappingsPerStack in ${source} to at most ${fits}: the app then makes one stack per ${fits} ` +
          'mappings (deploy them all with npx cdk deploy --all).'
        : `Give this EksSecretSync at most ${fits} mappings and the others to an EksSecretSync in another stack.`,
    );
  }

  /**
   * Every log group of the construct (the execution logs under their fixed names, the functions', the custom
   * resource provider's) is kept when a mapping is removed or the stack deleted, but not when the create that
   * made it rolls back: CloudFormation's `RetainExceptOnCreate`. With plain `Retain`, a failed first deploy left
   * the named log groups behind and the next deploy failed with "already exists".
   */
  private retainLogsExceptOnCreate(): void {
    for (const c of this.node.findAll()) {
      if (c instanceof CfnLogGroup) c.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    }
  }

  /** The AwsCustomResource provider (cluster lookups) is CDK's; its findings are acknowledged with reasons. */
  private acknowledgeCustomResourceProvider(): void {
    const provider = Stack.of(this).node.tryFindChild(CUSTOM_RESOURCE_PROVIDER_ID);
    if (!provider) return;
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's AwsCustomResource provider function (deploy-time eks:DescribeCluster lookup) always attaches this " +
        'managed policy; it only allows writing CloudWatch Logs.',
    });
  }
}
