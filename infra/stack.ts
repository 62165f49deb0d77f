import { ArnFormat, CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ClusterConnection } from './cluster.ts';
import { rulePrefix } from './events.ts';
import type { Mapping, SyncConfig } from './config.ts';
import { SecretMapping } from './mapping.ts';
import { SyncMonitoring } from './monitoring.ts';
import { SyncRedrive } from './redrive.ts';

/** CloudFormation's limit of resources in one stack. */
export const MAX_STACK_RESOURCES = 500;

/** Construct id CDK gives the one provider function of every AwsCustomResource in a stack. */
const CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** Props of {@link EksSecretSyncStack}. */
export interface EksSecretSyncStackProps extends StackProps {
  /** The validated mappings file. */
  readonly config: SyncConfig;
}

/**
 * The one stack: the seal key, the shared dead-letter queue, monitoring, and
 * one {@link SecretMapping} per mapping.
 */
export class EksSecretSyncStack extends Stack {
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

  constructor(scope: Construct, id: string, props: EksSecretSyncStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, { description: 'eks-secret-sync: AWS Secrets Manager secrets kept in step with Kubernetes Secrets on EKS', ...stackProps });
    const logRetention = config.stack.logRetentionDays as RetentionDays;

    this.sealKey = new Key(this, 'SealKey', {
      description: `eks-secret-sync ${this.stackName}: seals secret values and EKS tokens in Step Functions state`,
      alias: `eks-secret-sync/${this.stackName}/seal`,
      enableKeyRotation: true,
      // Nothing outlives a sync under this key (state is transient, DLQ messages hold no sealed data).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    // SQS-managed encryption (SSE-SQS), not the seal key: EventBridge can deliver to it with no key policy
    // for events.amazonaws.com, the messages hold no secret data (only event metadata and sanitized
    // errors), and the seal key stays usable for sealing alone.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge delivers undeliverable events here for every rule of this stack: one statement for all
    // (their names share the stack's prefix), as SQS allows only 20 statements per queue policy.
    this.deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgeRulesOfThisStack',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({ service: 'events', resource: 'rule', resourceName: `${rulePrefix(this.stackName)}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          },
        },
      }),
    );
    // `eks-secret-sync status` finds the queue by this output's key.
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'The dead-letter queue of failed syncs and undeliverable events (eks-secret-sync status shows its depth)',
      value: this.deadLetterQueue.queueUrl,
    });
    // No AwsSolutions-SQS3 acknowledgment: the queue is the dead-letter queue of Redrive's sync-requests queue.

    // One connection (and at most one deploy-time lookup) per distinct cluster block.
    const clusters = new Map<string, ClusterConnection>();
    let lookupLogs: LogGroup | undefined;
    const clusterOf = (m: Mapping) => {
      const key = JSON.stringify([m.cluster.name, m.cluster.region, m.cluster.endpoint, m.cluster.certificateAuthority]);
      let conn = clusters.get(key);
      if (!conn) {
        const needsLookup = m.cluster.endpoint === undefined || m.cluster.certificateAuthority === undefined;
        if (needsLookup) lookupLogs ??= new LogGroup(this, 'ClusterLookupLogs', { retention: logRetention });
        conn = new ClusterConnection(this, `Cluster${clusters.size + 1}`, { ...m.cluster, lookupLogGroup: lookupLogs });
        clusters.set(key, conn);
      }
      return conn;
    };

    const mappings: Record<string, SecretMapping> = {};
    for (const m of config.mappings) {
      mappings[m.id] = new SecretMapping(this, `Mapping-${m.id}`, {
        mapping: m,
        sealKey: this.sealKey,
        deadLetterQueue: this.deadLetterQueue,
        cluster: clusterOf(m),
        logRetention,
      });
    }
    this.mappings = mappings;

    this.redrive = new SyncRedrive(this, 'Redrive', {
      deadLetterQueue: this.deadLetterQueue,
      stateMachines: Object.entries(mappings).map(([mappingId, sm]) => ({ mappingId, stateMachine: sm.stateMachine.stateMachine })),
      maxAttempts: config.stack.redriveMaxAttempts,
      logRetention,
    });

    this.monitoring = new SyncMonitoring(this, 'Monitoring', {
      deadLetterQueue: this.deadLetterQueue,
      parkedQueue: this.redrive.parkedQueue,
      stateMachines: Object.entries(mappings).map(([mappingId, sm]) => ({ mappingId, stateMachine: sm.stateMachine.stateMachine })),
      alarmEmail: config.stack.alarmEmail,
    });

    this.acknowledgeCustomResourceProvider();
    // Validations run before the template is written, so this message comes before CDK's TooManyResourcesInStack.
    this.node.addValidation({ validate: () => this.resourceLimitProblems(config) });
  }

  /** Too many mappings for one stack: how many it holds, and how to split the file. */
  private resourceLimitProblems(config: SyncConfig): string[] {
    const resources = this.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === this);
    if (resources.length <= MAX_STACK_RESOURCES) return [];
    const counts = Object.values(this.mappings).map((m) => resources.filter((r) => r.node.path.startsWith(`${m.node.path}/`)).length);
    const perMapping = Math.max(...counts);
    const shared = resources.length - counts.reduce((a, b) => a + b, 0);
    const fits = Math.max(1, Math.floor((MAX_STACK_RESOURCES - shared) / perMapping));
    return [
      `stack ${this.stackName}: its ${config.mappings.length} mappings make ${resources.length} CloudFormation resources ` +
        `(up to ${perMapping} per mapping, ${shared} shared), more than the ${MAX_STACK_RESOURCES} a stack may hold. ` +
        `Split ${config.source} into files of at most ${fits} mappings, each with its own stack.name, and deploy each ` +
        `(npx cdk deploy -c mappings=<file>).`,
    ];
  }

  /** The AwsCustomResource provider (cluster lookups) is CDK's; its findings are acknowledged with reasons. */
  private acknowledgeCustomResourceProvider(): void {
    const provider = this.node.tryFindChild(CUSTOM_RESOURCE_PROVIDER_ID);
    if (!provider) return;
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK\'s AwsCustomResource provider function (deploy-time eks:DescribeCluster lookup) always attaches this managed policy; ' +
          'it only allows writing CloudWatch Logs.',
      },
    );
  }
}
