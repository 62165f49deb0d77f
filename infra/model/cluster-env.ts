/**
 * Where a target's cluster lives (account and region) against where the app runs (the secrets' account and
 * region), and what a cluster elsewhere needs: its EKS access entry created in its own account and region (a stack
 * of the app there, or the command for that cluster's administrator), naming the mapping's identity role (the role
 * its Kubernetes functions run as) by a name known before any deploy. Pure: the CLI, the app and the tests import it
 * without the CDK.
 * Why: docs/deploy.md#clusters-in-other-accounts-and-regions.
 */
import { createHash } from 'node:crypto';
import { AWS_PARTITION, partitionOf } from '../../functions/domain/partitions.ts';
import { appKey, configAppScope, kubeNames, type AppScope } from './kube-names.ts';
import { parseSecretArn } from './secret-arn.ts';
import { rolePath } from './resource-names.ts';

/** What this module reads of a mapping (structurally: infra/model/config.ts imports this module). */
interface MappingPlace {
  readonly id: string;
  readonly secretArn: string;
  readonly targets: readonly { readonly cluster: { name: string; account?: string; region?: string } }[];
}

/**
 * The AWS partition of a region (functions/domain/partitions.ts); a region of an unknown isolated partition counts
 * as `aws` here, and the token signer refuses it.
 */
export function partitionOfRegion(region: string): string {
  return (partitionOf(region) ?? AWS_PARTITION).name;
}

/** An account and region. */
export interface AwsEnv {
  readonly account: string;
  readonly region: string;
}

/** The account and region of a cluster block: its own, else the app's (the secrets'). */
export function clusterEnv(cluster: { readonly account?: string; readonly region?: string }, home: AwsEnv): AwsEnv {
  return { account: cluster.account ?? home.account, region: cluster.region ?? home.region };
}

/** Whether a cluster block lies outside the app's account and region (its access entry is created elsewhere). */
export function isRemote(cluster: { readonly account?: string; readonly region?: string }, home: AwsEnv): boolean {
  const env = clusterEnv(cluster, home);
  return env.account !== home.account || env.region !== home.region;
}

/** The account and region of a mapping's secret: where the app runs. */
export function homeOf(m: Pick<MappingPlace, 'secretArn'>): AwsEnv {
  const arn = parseSecretArn(m.secretArn)!;
  return { account: arn.account, region: arn.region };
}

/** Whether any target of the mapping is in a cluster outside the app's account and region. */
export function hasRemoteCluster(m: Pick<MappingPlace, 'secretArn' | 'targets'>): boolean {
  const home = homeOf(m);
  return m.targets.some((t) => isRemote(t.cluster, home));
}

/**
 * The name of a mapping's identity role when a cluster of another account or region must know it before any deploy
 * (its access entry is created there, where no reference to the secrets' account reaches): the app key and the
 * mapping id, at most 8 + 1 + 40 + 11 = 60 characters (IAM allows 64). The `mint-token` suffix is the role's first
 * owner's, the mint-token function of earlier releases, kept: renaming a deployed role replaces it. A mapping with no
 * such cluster keeps the name CloudFormation generates.
 */
export function identityRoleName(app: AppScope, mappingId: string): string {
  return `${appKey(app)}-${mappingId}-mint-token`;
}

/** The ARN of that role (under the app's role path), in the secrets' account. */
export function identityRoleArn(app: AppScope, mappingId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${app.account}:role${rolePath(app.appName)}${identityRoleName(app, mappingId)}`;
}

/** One EKS access entry the app needs in a cluster outside its account and region. */
export interface RemoteAccessEntry extends AwsEnv {
  readonly mappingId: string;
  readonly clusterName: string;
  /** The mapping's identity role, in the secrets' account. */
  readonly principalArn: string;
  /** The one Kubernetes group it gives (the mapping's RBAC binds it). */
  readonly group: string;
}

/** The access entries a config needs in clusters outside the secrets' account and region, mapping by mapping. */
export function remoteAccessEntries(config: {
  readonly stack: { readonly name: string };
  readonly mappings: readonly MappingPlace[];
}): RemoteAccessEntry[] {
  const app = configAppScope(config);
  const out: RemoteAccessEntry[] = [];
  for (const m of config.mappings) {
    const home = homeOf(m);
    const partition = parseSecretArn(m.secretArn)!.partition;
    const seen = new Set<string>();
    for (const t of m.targets) {
      if (!isRemote(t.cluster, home) || seen.has(t.cluster.name)) continue;
      seen.add(t.cluster.name);
      out.push({
        ...clusterEnv(t.cluster, home),
        mappingId: m.id,
        clusterName: t.cluster.name,
        principalArn: identityRoleArn(app, m.id, partition),
        group: kubeNames(app, m.id).group,
      });
    }
  }
  return out;
}

/**
 * The name of the app's stack of access entries in one other account and region: the app's name, the account and
 * the region (a stack name is unique per account and region; this one is also readable in the secrets' account).
 */
export function clusterAccessStackName(appName: string, env: AwsEnv): string {
  return `${appName}-access-${env.account}-${env.region}`;
}

/** The entries grouped by account and region, in order of first appearance. */
export function byEnv(entries: readonly RemoteAccessEntry[]): { env: AwsEnv; entries: RemoteAccessEntry[] }[] {
  const groups = new Map<string, { env: AwsEnv; entries: RemoteAccessEntry[] }>();
  for (const e of entries) {
    const key = `${e.account}/${e.region}`;
    if (!groups.has(key)) groups.set(key, { env: { account: e.account, region: e.region }, entries: [] });
    groups.get(key)!.entries.push(e);
  }
  return [...groups.values()];
}

/**
 * The construct id of one access entry in the access stack: `Mapping-<id>-Entry<hash of the cluster name>` (a
 * cluster name may hold `_`, which a logical id may not), so its logical id starts like the mapping's resources in
 * its own stack and adding or removing another entry renames none.
 */
export function accessEntryId(e: Pick<RemoteAccessEntry, 'mappingId' | 'clusterName'>): string {
  const hash = createHash('sha256').update(e.clusterName).digest('hex').slice(0, 8);
  return `Mapping-${e.mappingId}-Entry${hash}`;
}

/**
 * The AWS CLI command that creates the entry, for the cluster's administrator where the operator cannot deploy into
 * the cluster's account: a STANDARD entry with the one group, and no access policy (the group's RBAC, which
 * `rbac --cluster` prints, is all it may do).
 */
export function accessEntryCommand(e: RemoteAccessEntry): string {
  return (
    `aws eks create-access-entry --region ${e.region} --cluster-name ${e.clusterName} ` +
    `--principal-arn ${e.principalArn} --type STANDARD --kubernetes-groups ${e.group}`
  );
}
