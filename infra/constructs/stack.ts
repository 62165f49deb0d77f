import { Aspects, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { APP_NAME_CONTEXT } from './app-name.ts';
import { CheckovSkips } from './checkov.ts';
import type { SyncConfig } from '../model/config.ts';
import { EksSecretSync } from './eks-secret-sync.ts';
import type { SecretMapping } from './mapping.ts';
import type { SyncMonitoring } from './monitoring.ts';
import type { SyncRedrive } from './redrive.ts';
import type { EksSecretSyncProps } from './sync-props.ts';

/**
 * The construct id of the stack's one {@link EksSecretSync}. CDK leaves a `Default` id out of logical ids, so
 * the resources keep the logical ids they had when the stack held them directly (no replacement on upgrade).
 */
export const SYNC_CONSTRUCT_ID = 'Default';

/** Props of {@link EksSecretSyncStack}. */
export interface EksSecretSyncStackProps extends StackProps {
  /** The validated mappings file (this stack's mappings). */
  readonly config: SyncConfig;
  /**
   * The app's core, in the app's first stack: this stack then holds only its mappings, which use the core's seal
   * key, dead-letter queue, redrive, monitoring and execution log group.
   * @default this stack is the core
   */
  readonly core?: EksSecretSync;
  /**
   * The numbers of the stack's cluster lookups ({@link EksSecretSyncProps.clusterLookups}), from the placement record.
   * @default release 0.1.0's numbering (first use)
   */
  readonly clusterLookups?: EksSecretSyncProps['clusterLookups'];
  /**
   * The log group of the stack's custom-resource provider ({@link EksSecretSyncProps.providerLogs}), from the record.
   * @default release 0.1.0's choice
   */
  readonly providerLogs?: EksSecretSyncProps['providerLogs'];
}

/** The construct props of a validated mappings file: its mappings and its `stack:` options. */
export function syncPropsOf(config: SyncConfig): EksSecretSyncProps {
  return {
    mappings: config.mappings,
    logRetention: config.stack.logRetentionDays as RetentionDays,
    alarmEmail: config.stack.alarmEmail,
    redriveMaxAttempts: config.stack.redriveMaxAttempts,
    freshnessMinutes: config.stack.freshnessMinutes,
    sweepMinutes: config.stack.sweepMinutes,
    source: config.source,
  };
}

/** The stack of the YAML app (infra/app.ts): one {@link EksSecretSync} built from a mappings file. */
export class EksSecretSyncStack extends Stack {
  /** The stack's contents. */
  readonly sync: EksSecretSync;
  /** The seal key ({@link EksSecretSync.sealKey}). */
  readonly sealKey: Key;
  /** The shared dead-letter queue ({@link EksSecretSync.deadLetterQueue}). */
  readonly deadLetterQueue: Queue;
  /** The mappings by id. */
  readonly mappings: Readonly<Record<string, SecretMapping>>;
  /** Alarms and dashboard. */
  readonly monitoring: SyncMonitoring;
  /** Redrive of the DLQ. */
  readonly redrive: SyncRedrive;

  constructor(scope: Construct, id: string, props: EksSecretSyncStackProps) {
    const { config, core, clusterLookups, providerLogs, ...stackProps } = props;
    super(scope, id, {
      description: 'eks-secret-sync: AWS Secrets Manager secrets kept in step with Kubernetes Secrets on EKS',
      ...stackProps,
    });
    // Every stack of the app names what the app shares after stack.name (infra/constructs/app-name.ts).
    this.node.setContext(APP_NAME_CONTEXT, config.stack.name);
    // Each checkov finding decided rather than fixed, with its reason, on the resources it concerns.
    Aspects.of(this).add(new CheckovSkips());
    this.sync = new EksSecretSync(this, SYNC_CONSTRUCT_ID, {
      ...syncPropsOf(config),
      core,
      clusterLookups,
      providerLogs,
    });
    ({
      sealKey: this.sealKey,
      deadLetterQueue: this.deadLetterQueue,
      mappings: this.mappings,
      monitoring: this.monitoring,
      redrive: this.redrive,
    } = this.sync);
  }
}
