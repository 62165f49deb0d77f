/**
 * The doctor's AWS checks of one mapping: the secret (missing, scheduled for
 * deletion, no value; asked through its source provider), the EventBridge rules (missing, disabled), the cluster's
 * authentication mode, the access entry of the mapping's group, and whether the functions can reach the API
 * server and KMS (network-read.ts).
 */
import type { AppScope } from '../../../infra/model/kube-names.ts';
import { openSourceDoctor } from '../../../functions/sources/doctors.ts';
import type { MappingTarget as Mapping } from '../../../infra/model/targets.ts';
import { errorName, OPTIONAL_SDK, optionalSdk, sdkErrorText, type AwsSession } from '../aws.ts';
import { unchecked, type Finding } from './findings.ts';
import { checkNetwork } from './network-read.ts';

/** A server's Date header and the local time it was compared with. */
export interface ClockSample {
  readonly date: string;
  readonly localTime: number;
}

/** Adds a middleware that records the Date header of every raw response, errors included. */
// biome-ignore lint/suspicious/noExplicitAny: any SDK client's middleware stack; its types differ per client.
function recordDates<C extends { middlewareStack: { add: (mw: any, opts: any) => void } }>(
  client: C,
  samples: ClockSample[],
): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{ response: { headers?: Record<string, string> } }>) => async (args: unknown) => {
      const sent = Date.now();
      const result = await next(args);
      const date = result.response?.headers?.date;
      if (date) samples.push({ date, localTime: (sent + Date.now()) / 2 });
      return result;
    },
    // Low priority in the deserialize step: closest to the HTTP handler, so error answers are seen too.
    { step: 'deserialize', priority: 'low', name: 'doctorRecordDate' },
  );
  return client;
}

/**
 * The secret, through the mapping's source provider (functions/sources/doctors.ts): it exists under exactly the
 * mapping's reference, is not being deleted and has a current version; a problem names the provider's fix.
 */
export async function checkSecret(m: Mapping, aws: AwsSession, clock: ClockSample[]): Promise<Finding> {
  const { doctor, close } = openSourceDoctor(m.source, await aws.config(), (client) => recordDates(client, clock));
  try {
    return { check: 'secret', ...(await doctor.check(m.secretArn, { mappingId: m.id, region: aws.region })) };
  } catch (e) {
    return unchecked('secret', 'the secret', sdkErrorText(e));
  } finally {
    close();
  }
}

/**
 * The mapping's EventBridge rules exist and are enabled: `<stack16>-<id>-label`, and
 * `-trail` with cloudTrailRules (names from infra/model/resource-names.ts).
 */
export async function checkRules(
  m: Mapping,
  stackName: string,
  mappingsFile: string,
  aws: AwsSession,
): Promise<Finding[]> {
  const { ruleName } = await import('../../../infra/model/resource-names.ts');
  const names = [
    ruleName(stackName, m.id, 'label'),
    ...(m.cloudTrailRules ? [ruleName(stackName, m.id, 'trail')] : []),
  ];
  let sdk: Awaited<ReturnType<typeof optionalSdk>>;
  try {
    sdk = await optionalSdk(OPTIONAL_SDK.eventbridge);
  } catch (e) {
    return names.map((n) => unchecked('rule', `the EventBridge rule ${n}`, sdkErrorText(e)));
  }
  const events = new sdk.EventBridgeClient!(await aws.config());
  try {
    return await Promise.all(
      names.map(async (name): Promise<Finding> => {
        try {
          const rule = await events.send(new sdk.DescribeRuleCommand!({ Name: name }));
          if (rule.State === 'DISABLED') {
            return {
              check: 'rule',
              verdict: 'problem',
              message: `the EventBridge rule ${name} is disabled: changes of the secret start no sync`,
              fix: `aws events enable-rule --name ${name} --region ${aws.region}`,
            };
          }
          return {
            check: 'rule',
            verdict: 'ok',
            message: `the EventBridge rule ${name} is ${rule.State ?? 'present'}`,
          };
        } catch (e) {
          if (errorName(e) !== 'ResourceNotFoundException')
            return unchecked('rule', `the EventBridge rule ${name}`, sdkErrorText(e));
          return {
            check: 'rule',
            verdict: 'problem',
            message:
              `the EventBridge rule ${name} does not exist: changes of the secret start no sync (stack ` +
              `${stackName} not deployed, or deployed from another mappings file?)`,
            fix: `deploy the stacks of this mappings file: npx cdk deploy --all -c mappings=${mappingsFile}`,
          };
        }
      }),
    );
  } finally {
    events.destroy();
  }
}

/** What the cluster checks learned, for the RBAC check's subject. */
export interface ClusterFacts {
  /** The Kubernetes username of the access entry of the mapping's group, when found. */
  username?: string;
}

/** The cluster exists, its authentication mode allows access entries, and one maps a role to the mapping's group. */
/** @param identityStack the stack whose outputs hold the mapping's KubernetesIdentity (named in the fix). */
export async function checkCluster(
  m: Mapping,
  app: AppScope,
  aws: AwsSession,
  facts: ClusterFacts,
  identityStack?: string,
  place?: ClusterPlace,
): Promise<Finding[]> {
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const eks = new EKSClient(await aws.config());
  const name = m.cluster.name;
  try {
    const out = await eks.send(new DescribeClusterCommand({ name }));
    // EKS answers for the caller's account only: a cluster of that name there is not the mapping's.
    const account = out.cluster?.arn?.split(':')[4];
    if (place?.remoteAccount && account !== undefined && account !== place.account)
      return [unchecked('cluster', `cluster ${name}`, otherAccountReason(name, aws.region, place.account, account))];
    const mode = out.cluster?.accessConfig?.authenticationMode;
    const found: Finding = {
      check: 'cluster',
      verdict: 'ok',
      message: `cluster ${name} exists in ${aws.region} (${out.cluster?.status ?? 'status unknown'})`,
    };
    const network = await clusterNetworkFindings(m, aws, out.cluster, place?.functions);
    if (mode === undefined) {
      return [
        found,
        ...network,
        unchecked(
          'authentication-mode',
          'the authentication mode',
          'eks:DescribeCluster answered without accessConfig.authenticationMode',
        ),
        await checkAccessEntry(m, app, eks, facts, identityStack),
      ];
    }
    const modeFinding = authenticationModeFinding(name, aws.region, mode);
    if (modeFinding.verdict === 'problem') return [found, ...network, modeFinding];
    return [found, ...network, modeFinding, await checkAccessEntry(m, app, eks, facts, identityStack)];
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') {
      if (place?.remoteAccount)
        return [unchecked('cluster', `cluster ${name}`, otherAccountReason(name, aws.region, place.account))];
      return [
        {
          check: 'cluster',
          verdict: 'problem',
          message: `no EKS cluster ${name} in ${aws.region}: the access entry cannot exist`,
          fix:
            `correct cluster.name of mapping ${m.id}, or cluster.region when the cluster is not in ${aws.region} ` +
            `(docs/deploy.md#clusters-in-other-accounts-and-regions)`,
        },
      ];
    }
    return [unchecked('cluster', `cluster ${name}`, sdkErrorText(e))];
  } finally {
    eks.destroy();
  }
}

/** Where a target's cluster is: its account, and whether that is another account than the secrets'. */
export interface ClusterPlace {
  readonly account: string;
  readonly remoteAccount: boolean;
  /** The session of the functions' region (the secrets'), where `cluster.vpc`'s subnets and endpoints are. */
  readonly functions?: AwsSession;
}

/**
 * `api-reach` and `kms-reach`: the functions' subnets, groups and endpoints are read in their own region; for a
 * cluster in another region, a path from a VPC is peering or a Transit Gateway between regions, which doctor does
 * not follow, so `api-reach` says so instead of judging the cluster's groups against the functions' subnets.
 */
async function clusterNetworkFindings(
  m: Mapping,
  clusterAws: AwsSession,
  cluster: import('@aws-sdk/client-eks').Cluster | undefined,
  functions: AwsSession = clusterAws,
): Promise<Finding[]> {
  const findings = await checkNetwork(m, functions, cluster);
  if (m.cluster.vpc === undefined || functions.region === clusterAws.region) return findings;
  const reason =
    `the cluster is in ${clusterAws.region} and the functions' VPC in ${functions.region}: doctor does not follow ` +
    `VPC peering or Transit Gateway paths between regions (check that the cluster's security groups admit the ` +
    `functions' subnets' CIDRs on 443 over that path)`;
  return findings.map((f) =>
    f.check === 'api-reach'
      ? unchecked('api-reach', `the path from the functions to cluster ${m.cluster.name}`, reason)
      : f,
  );
}

/**
 * Why the cluster of another account could not be checked: EKS answers with the caller's account only (no
 * resource policy lets another account describe a cluster or list its access entries).
 */
function otherAccountReason(name: string, region: string, account: string, seen?: string): string {
  const found =
    seen === undefined ? `no cluster ${name} in ${region} is visible` : `${name} in ${region} is of ${seen}`;
  return (
    `the mapping's cluster is in account ${account}; with your credentials ${found}. Run doctor with credentials ` +
    `of account ${account} (e.g. AWS_PROFILE) to check the cluster and its access entry, or give its administrator ` +
    `what eks-secret-sync rbac --cluster ${name} prints`
  );
}

/** At most this many access entries are described, one call each. */
const MAX_ENTRIES = 200;

async function checkAccessEntry(
  m: Mapping,
  app: AppScope,
  eks: import('@aws-sdk/client-eks').EKSClient,
  facts: ClusterFacts,
  identityStack?: string,
): Promise<Finding> {
  const { ListAccessEntriesCommand, DescribeAccessEntryCommand } = await import('@aws-sdk/client-eks');
  const { kubeNames } = await import('../../../infra/model/kube-names.ts');
  const { group } = kubeNames(app, m.id);
  const clusterName = m.cluster.name;
  try {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await eks.send(new ListAccessEntriesCommand({ clusterName, nextToken }));
      arns.push(...(page.accessEntries ?? []));
      nextToken = page.nextToken;
    } while (nextToken && arns.length < MAX_ENTRIES);
    const entries: AccessEntryView[] = [];
    for (const principalArn of arns.slice(0, MAX_ENTRIES)) {
      const entry = (await eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn }))).accessEntry;
      entries.push({ principalArn, kubernetesGroups: entry?.kubernetesGroups ?? [], username: entry?.username });
      if (entry?.kubernetesGroups?.includes(group)) break;
    }
    const truncated = arns.length > MAX_ENTRIES;
    const { finding, username } = accessEntryFinding(clusterName, group, entries, truncated, identityStack);
    if (username) facts.username = username;
    return finding;
  } catch (e) {
    return unchecked(
      'access-entry',
      `the access entry of group ${group}`,
      `eks:ListAccessEntries/DescribeAccessEntry: ${sdkErrorText(e)}`,
    );
  }
}

/**
 * The verdict on a cluster's authentication mode (pure): CONFIG_MAP alone has
 * no access entries, so the pipeline's tokens are refused.
 */
export function authenticationModeFinding(name: string, region: string, mode: string): Finding {
  if (mode === 'CONFIG_MAP') {
    return {
      check: 'authentication-mode',
      verdict: 'problem',
      message:
        `cluster ${name} authenticates with the aws-auth ConfigMap only (CONFIG_MAP): access entries do not ` +
        `exist there, so the cluster refuses the pipeline's tokens (401)`,
      fix:
        `aws eks update-cluster-config --name ${name} --region ${region} --access-config ` +
        `authenticationMode=API_AND_CONFIG_MAP (one way: it cannot go back)`,
    };
  }
  return { check: 'authentication-mode', verdict: 'ok', message: `authentication mode ${mode} allows access entries` };
}

/** One access entry as DescribeAccessEntry gives it, reduced to what the check reads. */
export interface AccessEntryView {
  readonly principalArn: string;
  readonly kubernetesGroups: readonly string[];
  readonly username?: string;
}

/**
 * The verdict on a cluster's access entries (pure): one must put a role in
 * the mapping's group; its username is what RBAC is reviewed as.
 */
export function accessEntryFinding(
  clusterName: string,
  group: string,
  entries: readonly AccessEntryView[],
  truncated = false,
  identityStack?: string,
): { finding: Finding; username?: string } {
  const entry = entries.find((e) => e.kubernetesGroups.includes(group));
  if (entry) {
    return {
      finding: {
        check: 'access-entry',
        verdict: 'ok',
        message: `the access entry of ${entry.principalArn} puts it in group ${group}`,
      },
      username: entry.username,
    };
  }
  return {
    finding: {
      check: 'access-entry',
      verdict: 'problem',
      message:
        `no access entry of cluster ${clusterName} puts a role in group ` +
        `${group}${truncated ? ` (first ${MAX_ENTRIES} entries looked at)` : ''}: the pipeline's tokens are ` +
        `refused (401)`,
      fix:
        `deploy the stack (it creates the access entry of the mapping's Kubernetes identity, the role the read, ` +
        `apply and restart functions run as), or add one: aws eks ` +
        `create-access-entry --cluster-name ${clusterName} --principal-arn <the KubernetesIdentity output` +
        `${identityStack === undefined ? '' : ` of stack ${identityStack}`}> ` +
        `--kubernetes-groups ${group}`,
    },
  };
}
