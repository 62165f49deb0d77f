/**
 * How the CLI reaches a mapping's cluster, and as whom.
 *
 * Precedence (first match wins):
 *   1. `--kubeconfig PATH` and/or `--context NAME`: server, CA and credentials (token,
 *      exec plugin such as `aws eks get-token`, or client certificate) all come from
 *      that kubeconfig context, loaded with @kubernetes/client-node. Explicit only: the
 *      current kubeconfig context may be another cluster than the mapping's.
 *   2. The mapping's `cluster.endpoint` and `cluster.certificateAuthority`, as deployed.
 *   3. `eks:DescribeCluster` of `cluster.name` in the cluster's region.
 * In 2 and 3 the CLI authenticates like the pipeline: an EKS token minted with the
 * caller's AWS credentials (SDK default chain) for `cluster.name`.
 */
import type { RequestOptions } from 'node:https';
import type { Target } from '../../infra/model/config.ts';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import { awsError } from '../../functions/adapters/aws-errors.ts';
import type { AwsSession } from './aws.ts';

/** Where the cluster is and the credentials to use there. Holds a credential: never print it. */
export interface KubeTarget {
  /** https URL of the kube-apiserver. */
  readonly server: string;
  /** PEM of the cluster CA. */
  readonly caPem: string;
  /** Bearer token (minted, or from the kubeconfig user). */
  readonly token?: string;
  /** Client certificate and key (kubeconfig users only). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Who the requests are made as, for messages. */
  readonly identity: string;
  /** Where server and CA came from, for messages. */
  readonly source: string;
  /** When a minted token expires (ISO 8601). */
  readonly expiresAt?: string;
  /** The cluster name a minted EKS token is bound to (signed into it): a token for another name gets 401. */
  readonly mintedFor?: string;
}

/** The kubeconfig flags. */
export interface KubeconfigFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/**
 * Resolves how to reach one cluster of a mapping (see the module comment for the precedence).
 *
 * @throws Error naming what is missing (context, CA, credentials); AWS errors from DescribeCluster.
 */
export async function resolveKubeTarget(
  cluster: Target['cluster'],
  aws: AwsSession,
  flags: KubeconfigFlags,
): Promise<KubeTarget> {
  if (flags.kubeconfig !== undefined || flags.context !== undefined) return fromKubeconfig(flags);
  const clusterName = cluster.name;
  const { server, caData, source } =
    cluster.endpoint !== undefined && cluster.certificateAuthority !== undefined
      ? {
          server: cluster.endpoint,
          caData: cluster.certificateAuthority,
          source: 'mapping cluster.endpoint',
        }
      : await describeCluster(clusterName, aws);
  const { token, expiresAt } = await mintEksToken({
    clusterName,
    region: aws.region,
    credentials: await aws.credentials(),
  });
  return {
    server: server.replace(/\/$/, ''),
    caPem: Buffer.from(caData, 'base64').toString('utf8'),
    token,
    expiresAt,
    mintedFor: clusterName,
    identity: `your AWS identity (EKS token for cluster ${clusterName})`,
    source,
  };
}

async function describeCluster(
  name: string,
  aws: AwsSession,
): Promise<{ server: string; caData: string; source: string }> {
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const eks = new EKSClient(await aws.config());
  try {
    const out = await eks.send(new DescribeClusterCommand({ name }));
    const server = out.cluster?.endpoint;
    const caData = out.cluster?.certificateAuthority?.data;
    if (!server || !caData)
      throw new Error(
        `eks:DescribeCluster of ${name} returned no endpoint or CA ` +
          `(cluster status ${out.cluster?.status ?? 'unknown'})`,
      );
    return { server, caData, source: `eks:DescribeCluster ${name}` };
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('eks:DescribeCluster')) throw e;
    throw awsError(e, `eks:DescribeCluster on ${name} in ${aws.region}`);
  } finally {
    eks.destroy();
  }
}

/**
 * Server, CA and credentials of a kubeconfig context, exec plugins included.
 *
 * @throws Error when the file or context does not exist, or the cluster has no CA.
 */
async function fromKubeconfig(flags: KubeconfigFlags): Promise<KubeTarget> {
  // ~200 ms to load: only when asked for.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (flags.kubeconfig !== undefined) kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  if (flags.context !== undefined) {
    if (!kc.getContextObject(flags.context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new Error(`the kubeconfig has no context ${JSON.stringify(flags.context)} (contexts: ${known})`);
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig context ${JSON.stringify(context)} names no cluster`);
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  if (cluster.skipTLSVerify || !opts.ca) {
    throw new Error(
      `kubeconfig cluster ${JSON.stringify(cluster.name)} has no certificate-authority; the CLI always verifies the ` +
        `cluster CA`,
    );
  }
  const auth =
    (opts.headers as Record<string, string> | undefined)?.Authorization ??
    (opts.headers as Record<string, string> | undefined)?.authorization;
  const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
  const user = JSON.stringify(kc.getCurrentUser()?.name ?? '?');
  return {
    server: cluster.server.replace(/\/$/, ''),
    caPem: opts.ca.toString(),
    ...(token !== undefined && { token }),
    ...(opts.cert !== undefined && { cert: opts.cert as string | Buffer }),
    ...(opts.key !== undefined && { key: opts.key as string | Buffer }),
    identity: `kubeconfig user ${user} (context ${JSON.stringify(context)})`,
    source: `kubeconfig context ${JSON.stringify(context)}`,
  };
}

/**
 * The bearer token of a target, which the pipeline's Secret client needs.
 *
 * @throws Error when the kubeconfig user authenticates with a client certificate only.
 */
export function requireToken(target: KubeTarget): string {
  if (target.token !== undefined) return target.token;
  throw new Error(
    `${target.identity} has no bearer token (client certificates only); plan and sync talk to the apiserver like the ` +
      `pipeline, ` +
      'with a token: use a context with a token or an exec plugin (aws eks get-token), or drop ' +
      '--kubeconfig/--context to mint one from your AWS credentials',
  );
}
