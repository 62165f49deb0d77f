import type { SealGrantor } from './seal-grants.ts';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { SyncMonitoring } from './monitoring.ts';
import type { SyncRedrive } from './redrive.ts';
/**
 * The props of the EksSecretSync construct and their validation: the same schema and cross-checks as the
 * mappings file (infra/model/config-schema.ts, infra/model/config.ts), so a mapping given in code fails with the
 * message
 * a YAML mapping gets, naming the mapping and the field.
 */
import { Token } from 'aws-cdk-lib';
import type { ICluster } from 'aws-cdk-lib/aws-eks';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { DeletionPolicy, SecretType } from '../../functions/domain/types.ts';
import type { DataSourceFields } from '../../functions/domain/shape.ts';
import { constructPropsSchema, type mappingSchema } from '../model/config-schema.ts';
import {
  crossCheckMappings,
  describeIssues,
  mappingLabel,
  MappingsError,
  type Mapping,
  type MappingVpc,
} from '../model/config.ts';

/** An EKS cluster by its attributes (the `cluster:` block of the mappings file). */
export interface MappingClusterProps {
  /** The EKS cluster's name. Its authentication mode must be API or API_AND_CONFIG_MAP. */
  readonly name: string;
  /**
   * The cluster's region; it must be the stack's region (the access entry is created there).
   * @default the stack's region
   */
  readonly region?: string;
  /**
   * The API server endpoint (`https://...`), as `aws eks describe-cluster --query cluster.endpoint` prints it.
   * Give it together with `certificateAuthority`.
   * @default looked up at deploy time with eks:DescribeCluster on this one cluster
   */
  readonly endpoint?: string;
  /**
   * The cluster CA as EKS returns it (base64 of the PEM). Give it together with `endpoint`.
   * @default looked up at deploy time with eks:DescribeCluster on this one cluster
   */
  readonly certificateAuthority?: string;
  /**
   * Run the functions that call the cluster's API server (read-secret, apply-secret, restart-workloads) in these
   * subnets with these security groups, for a cluster whose endpoint is private or allow-listed; with `endpoints`,
   * the stack also creates the KMS interface endpoint they need in that VPC
   * (docs/deploy.md#private-clusters-functions-in-a-vpc). Ids must be literals.
   * @default the functions run outside any VPC and reach the cluster's public endpoint
   */
  readonly vpc?: MappingVpc;
}

/**
 * One target of a mapping (`targets:` of the mappings file): where one copy of the secret goes, and what it
 * overrides of the mapping's Secret options (a field left out takes the mapping's; labels and annotations
 * replace the mapping's, they are not merged).
 */
export interface MappingTargetProps {
  /** The cluster, as in {@link MappingProps.cluster}. */
  readonly cluster: MappingClusterProps | ICluster;
  /** The namespace of the Kubernetes Secret (it must exist). */
  readonly namespace: string;
  /** The Kubernetes Secret's name. */
  readonly secretName: string;
  /** @default the mapping's `type` */
  readonly type?: SecretType;
  /** @default the mapping's `labels` */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default the mapping's `annotations` */
  readonly annotations?: Readonly<Record<string, string>>;
  /** @default the mapping's `prune` */
  readonly prune?: boolean;
  /** @default the mapping's `deletionPolicy` */
  readonly deletionPolicy?: DeletionPolicy;
  /** @default the mapping's `restart` (workloads in this target's namespace) */
  readonly restart?: readonly string[];
}

/**
 * One AWS Secrets Manager secret synced into one Kubernetes Secret (`cluster`, `namespace`, `secretName`) or
 * several (`targets`): a mapping of the mappings file, as an object.
 */
export interface MappingProps {
  /**
   * Unique; lower-case letters, digits and '-', at most 40. Names the Kubernetes group `eks-secret-sync:<id>`,
   * the Role `eks-secret-sync-<id>` and the mapping's resources.
   */
  readonly id: string;
  /** The FULL secret ARN, with the 6 characters Secrets Manager appends to the name; a literal, not a token. */
  readonly secretArn: string;
  /**
   * The customer managed key that encrypts the secret: the fetch function may decrypt with it, only through
   * Secrets Manager and only for this secret.
   * @default the secret is encrypted with the AWS managed key
   */
  readonly secretKmsKeyArn?: string;
  /**
   * The cluster: by its attributes, or as a CDK cluster (an `eks.Cluster` of the app, or one imported with
   * `eks.Cluster.fromClusterAttributes`), whose name, endpoint and CA data are used. An imported cluster
   * without endpoint and CA data is looked up at deploy time. Give `cluster`, `namespace` and `secretName`
   * for one target, or `targets` instead.
   * @default none: `targets` lists the clusters
   */
  readonly cluster?: MappingClusterProps | ICluster;
  /**
   * The namespace of the Kubernetes Secret (it must exist).
   * @default none: `targets` lists the namespaces
   */
  readonly namespace?: string;
  /**
   * The Kubernetes Secret's name.
   * @default none: `targets` lists the names
   */
  readonly secretName?: string;
  /**
   * Every Kubernetes Secret the secret goes to (1 to 40: `MAX_TARGETS`, docs/mappings.md), instead of `cluster`,
   * `namespace` and `secretName`.
   * The mapping's `type`, `labels`, `annotations`, `prune`, `deletionPolicy` and `restart` are each target's
   * defaults.
   * @default one target: `cluster`, `namespace`, `secretName`
   */
  readonly targets?: readonly MappingTargetProps[];
  /**
   * The Kubernetes Secret's type.
   * @default 'Opaque'
   */
  readonly type?: SecretType;
  /**
   * Extra labels on the Secret (the tool adds its own managed-by and mapping labels).
   * @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Extra annotations on the Secret.
   * @default none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Remove keys the tool wrote earlier that are no longer in the AWS secret.
   * @default false
   */
  readonly prune?: boolean;
  /**
   * What happens to the Kubernetes Secret when the AWS secret is deleted.
   * @default 'retain'
   */
  readonly deletionPolicy?: DeletionPolicy;
  /**
   * Workloads in the namespace to restart after the Secret changed: `deployment/<name>`,
   * `statefulset/<name>` or `daemonset/<name>`.
   * @default none
   */
  readonly restart?: readonly string[];
  /**
   * With `restart`: seconds to follow each restarted workload until its new pods are available (0 to 120; 0: not
   * followed); a rollout not complete by then sends the sync to the DLQ (docs/restart.md).
   * @default 90
   */
  readonly rolloutTimeoutSeconds?: number;
  /**
   * A periodic resync, which repairs drift in the cluster: `rate(...)` or `cron(...)` (EventBridge syntax).
   * @default no periodic resync
   */
  readonly resyncSchedule?: string;
  /**
   * Also react to DeleteSecret and RestoreSecret (needs a CloudTrail trail with logging on).
   * @default false
   */
  readonly cloudTrailRules?: boolean;
  /**
   * The keys to write, each from one top-level key (`from`), a property path into nested JSON (`path`) or a
   * template (`template`) of the secret's value (docs/mappings.md#shaping-the-data-data).
   * @default every top-level key of the secret as it is
   */
  readonly data?: Readonly<Record<string, DataSourceFields>>;
  /**
   * With `data`: also copy the secret's top-level keys that `data` does not read.
   * @default false
   */
  readonly includeOtherKeys?: boolean;
}

// The props name exactly the fields of the file's mapping: a field added to one side fails the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameFields: Same<keyof MappingProps, keyof z.input<typeof mappingSchema>> = true;
void sameFields;

/** Props of the EksSecretSync construct. */
export interface EksSecretSyncProps {
  /**
   * The mappings, at least one. All secrets must be in one account and region, the stack's: Secrets Manager
   * sends its events only to the default event bus of the secret's region.
   */
  readonly mappings: readonly MappingProps[];
  /**
   * Retention of every log group (CloudWatch Logs periods; not INFINITE).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Where the alarms (docs/operations.md#alarms-and-where-to-look) are mailed, ALARM and OK, through a new SNS topic.
   * @default no topic: the alarms only change state
   */
  readonly alarmEmail?: string;
  /**
   * Minutes a failed sync may wait in the dead-letter queue before the freshness alarm fires (5 to 10080).
   * @default 60
   */
  readonly freshnessMinutes?: number;
  /**
   * Attempts a failed sync gets in all (first run and redrives, 1 to 20) before its dead-letter message is
   * parked instead of redriven.
   * @default 5
   */
  readonly redriveMaxAttempts?: number;
  /**
   * The mappings file the mappings were read from, named in messages (the YAML app sets it).
   * @default messages name the construct
   */
  readonly source?: string;
  /**
   * The app's core: the EksSecretSync (in another stack of the same app, account and region) whose seal key,
   * dead-letter queue, redrive, monitoring and execution log group this one's mappings use. This one then holds
   * only its mappings; the options above other than `mappings`, `logRetention` and `source` are the core's.
   * @default this one is a core: it holds the shared parts
   */
  readonly core?: SharedParts;
}

/** What the mappings of every stack of an app share, held by the app's core (the first stack). */
export interface SharedParts {
  readonly sealKey: Key;
  readonly deadLetterQueue: Queue;
  readonly executionLogGroup: ILogGroup;
  readonly redrive: SyncRedrive;
  readonly monitoring: SyncMonitoring;
  /** The function behind every stack's seal grants (infra/constructs/seal-grants.ts). */
  readonly sealGrantor: SealGrantor;
}

/** {@link EksSecretSyncProps} validated, defaults applied. */
export interface ValidatedSyncProps {
  readonly mappings: readonly Mapping[];
  readonly logRetention: RetentionDays;
  readonly alarmEmail?: string;
  readonly redriveMaxAttempts: number;
  readonly freshnessMinutes: number;
}

/** Stand-ins the schema accepts for cluster attributes that are tokens (resolved only at deploy time). */
const TOKEN_STAND_INS = {
  name: 'token',
  endpoint: 'https://token.invalid',
  certificateAuthority: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'),
} as const;

type ClusterField = keyof typeof TOKEN_STAND_INS;

/**
 * Validates the props with the mappings file's schema and cross-checks. Cluster attributes may be tokens
 * (an `eks.Cluster` of the same app); any other field must be a literal.
 *
 * @param where names the construct in the message (used when `props.source` is not set).
 * @throws MappingsError listing every problem, each naming the mapping and the field.
 */
export function validateSyncProps(props: EksSecretSyncProps, where: string): ValidatedSyncProps {
  const [source, subject] = props.source !== undefined ? [props.source, undefined] : [where, 'props of EksSecretSync'];
  // Each mapping's clusters in target order: the single-target cluster, or each target's.
  const clusters = props.mappings.map((m) =>
    (m.targets ?? (m.cluster === undefined ? [] : [{ cluster: m.cluster }])).map((t) => clusterAttributes(t.cluster)),
  );
  const raw = {
    mappings: props.mappings.map((m, i) =>
      m.targets === undefined
        ? { ...m, ...(m.cluster !== undefined && { cluster: withStandIns(clusters[i]![0]!) }) }
        : { ...m, targets: m.targets.map((t, j) => ({ ...t, cluster: withStandIns(clusters[i]![j]!) })) },
    ),
    alarmEmail: props.alarmEmail,
    redriveMaxAttempts: props.redriveMaxAttempts,
    logRetention: props.logRetention,
    freshnessMinutes: props.freshnessMinutes,
  };
  const tokens = props.mappings.flatMap((m, i) =>
    tokenProblems(
      {
        ...m,
        cluster: m.cluster === undefined ? undefined : { vpc: clusters[i]![0]?.vpc },
        targets: m.targets?.map((t, j) => ({ ...t, cluster: { vpc: clusters[i]![j]?.vpc } })),
      },
      mappingLabel(i, m.id),
    ),
  );
  const parsed = constructPropsSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success || tokens.length > 0) {
    const issues = parsed.success ? [] : describeIssues(raw, parsed.error.issues);
    throw new MappingsError(source, [...tokens, ...issues], subject);
  }
  // The tokens back in place of their stand-ins: the schema does not change the values it accepts.
  const mappings = (parsed.data.mappings as Mapping[]).map((m, i) => ({
    ...m,
    targets: m.targets.map((t, j) => ({ ...t, cluster: { ...t.cluster, ...clusters[i]![j] } })),
  }));
  const problems = crossCheckMappings(mappings);
  if (problems.length > 0) throw new MappingsError(source, problems, subject);
  const { alarmEmail, redriveMaxAttempts, freshnessMinutes } = parsed.data;
  return {
    mappings,
    logRetention: parsed.data.logRetention as RetentionDays,
    alarmEmail,
    redriveMaxAttempts,
    freshnessMinutes,
  };
}

/**
 * The attributes of a cluster given either way. An imported cluster throws on an attribute it was imported
 * without: that attribute is left out (and looked up at deploy time when endpoint and CA are both missing).
 */
function clusterAttributes(cluster: MappingClusterProps | ICluster): MappingClusterProps {
  if (!Construct.isConstruct(cluster)) return cluster;
  const attribute = (read: () => string): string | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  const endpoint = attribute(() => cluster.clusterEndpoint);
  const certificateAuthority = attribute(() => cluster.clusterCertificateAuthorityData);
  // An eks.ICluster carries no subnets for the functions: such a mapping runs outside a VPC.
  return {
    name: cluster.clusterName,
    ...(endpoint !== undefined && { endpoint }),
    ...(certificateAuthority !== undefined && { certificateAuthority }),
  };
}

function withStandIns(cluster: MappingClusterProps): MappingClusterProps {
  const replaced = { ...cluster };
  for (const field of Object.keys(TOKEN_STAND_INS) as ClusterField[]) {
    const value = cluster[field];
    if (typeof value === 'string' && Token.isUnresolved(value)) replaced[field] = TOKEN_STAND_INS[field];
  }
  return replaced;
}

/** Fields outside the cluster that are tokens: the rules and checks need their values at synth time. */
function tokenProblems(value: unknown, where: string, path = ''): string[] {
  if (typeof value === 'string') {
    if (!Token.isUnresolved(value)) return [];
    return [`${where}: ${path}: is a token; expected a literal value known at synth time`];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => tokenProblems(v, where, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => tokenProblems(v, where, path === '' ? k : `${path}.${k}`));
}
