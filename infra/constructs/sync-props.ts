import type { SealGrantor } from './seal-grants.ts';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { SyncMonitoring } from './monitoring.ts';
import type { SyncRedrive } from './redrive.ts';
import type { SyncSweep } from './sweep.ts';
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
import type { MappingOptionProps, TargetOptionProps } from '../model/mapping-options.ts';
import type { SourceKind } from '../../functions/sources/providers.ts';
import { constructPropsSchema, type mappingSchema } from '../model/config-schema.ts';
import type { ClusterAccessStack } from './cluster-access.ts';
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
   * The cluster's region, in the secrets' partition; the token is signed for it. In another region than the
   * secrets', the access entry is not created by this construct
   * (docs/deploy.md#clusters-in-other-accounts-and-regions).
   * @default the secrets' region
   */
  readonly region?: string;
  /**
   * The cluster's account (12 digits). Another account than the secrets' needs `endpoint` and `certificateAuthority`,
   * and its access entry is not created by this construct (a {@link ClusterAccessStack} there, or its administrator).
   * @default the secrets' account
   */
  readonly account?: string;
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
 * replace the mapping's, they are not merged). The options a target may override are those of
 * infra/model/mapping-options.ts with `targetOverride` (docs/mappings.md#options).
 */
export interface MappingTargetProps extends TargetOptionProps {
  /** The cluster, as in {@link MappingProps.cluster}. */
  readonly cluster: MappingClusterProps | ICluster;
  /** The namespace of the Kubernetes Secret (it must exist). */
  readonly namespace: string;
  /** The Kubernetes Secret's name. */
  readonly secretName: string;
}

/**
 * One AWS Secrets Manager secret synced into one Kubernetes Secret (`cluster`, `namespace`, `secretName`) or
 * several (`targets`): a mapping of the mappings file, as an object. Its options (type, labels, prune, ...) are
 * derived from their descriptors (infra/model/mapping-options.ts; each one's doc in docs/mappings.md#options).
 */
export interface MappingProps extends MappingOptionProps {
  /**
   * Unique; lower-case letters, digits and '-', at most 40. Names the Kubernetes group `eks-secret-sync:<id>`,
   * the Role `eks-secret-sync-<id>` and the mapping's resources.
   */
  readonly id: string;
  /**
   * Where the secret lives: the source provider that reads it (functions/sources/).
   * @default 'secretsManager'
   */
  readonly source?: SourceKind;
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
   * The mapping's options are each target's defaults; a target may override those marked so in
   * docs/mappings.md#options.
   * @default one target: `cluster`, `namespace`, `secretName`
   */
  readonly targets?: readonly MappingTargetProps[];
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
   * Minutes between two runs of the lost-event sweep, which syncs a mapping whose secret's AWSCURRENT moved
   * without its event (docs/operations.md#lost-event-sweep); 0 turns it off (0, or 5 to 1440).
   * @default 15
   */
  readonly sweepMinutes?: number;
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
   * The number of each deploy-time cluster lookup (construct `Cluster<n>`, part of its logical id), by cluster key
   * (`clusterKey`, infra/model/cluster-lookups.ts), as `lookupNumbers` returns it: keep what it returned and pass
   * it back, so that removing or reordering mappings never renumbers (and so replaces) another mapping's lookup.
   * A cluster not in it gets the next number after the highest. The YAML app keeps them in its placement record.
   * @default release 0.1.0's numbering: distinct cluster blocks in order of first use by `mappings` (stable under
   *   appends and option changes, not when the first mapping using a cluster is removed or moved after another)
   */
  readonly clusterLookups?: Readonly<Record<string, number>>;
  /**
   * The log group of CDK's custom-resource provider function of the stack (lookups, initial syncs), as `providerLogs`
   * (infra/model/cluster-lookups.ts) returns it: keep it and pass it back, so that removing the first mapping never
   * moves the function to another group and removes the old one. The YAML app keeps it in its placement record.
   * @default release 0.1.0's: `ClusterLookupLogs` when the first mapping reaches a looked-up cluster, else
   *   `CustomResourceLogs`
   */
  readonly providerLogs?: 'ClusterLookupLogs' | 'CustomResourceLogs';
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
  /** The lost-event sweep and its ledger (absent with `sweepMinutes: 0`). */
  readonly sweep?: SyncSweep;
}

/** {@link EksSecretSyncProps} validated, defaults applied. */
export interface ValidatedSyncProps {
  readonly mappings: readonly Mapping[];
  readonly logRetention: RetentionDays;
  readonly alarmEmail?: string;
  readonly redriveMaxAttempts: number;
  readonly freshnessMinutes: number;
  readonly sweepMinutes: number;
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
    sweepMinutes: props.sweepMinutes,
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
  const { alarmEmail, redriveMaxAttempts, freshnessMinutes, sweepMinutes } = parsed.data;
  return {
    mappings,
    logRetention: parsed.data.logRetention as RetentionDays,
    alarmEmail,
    redriveMaxAttempts,
    freshnessMinutes,
    sweepMinutes,
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
