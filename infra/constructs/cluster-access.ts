import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import type { Construct } from 'constructs';
import { accessEntryId, type AwsEnv, type RemoteAccessEntry } from '../model/cluster-env.ts';

/** Props of {@link ClusterAccessStack}. */
export interface ClusterAccessStackProps extends StackProps {
  /** The cluster account and region: every entry's. */
  readonly env: AwsEnv;
  /** The access entries of the app's mappings in clusters of that account and region. */
  readonly entries: readonly RemoteAccessEntry[];
}

/**
 * The app's EKS access entries in one account and region other than the secrets': per mapping and cluster there,
 * one STANDARD entry mapping the mapping's identity role (in the secrets' account) to its one Kubernetes group,
 * and nothing else: no IAM role, no policy, no access policy association. The role reaches the cluster as that
 * group only; nothing of this account reaches the secrets (their account admits no principal of it). Deployed
 * with the app by `cdk deploy --all`, into an account bootstrapped with `cdk bootstrap --trust <secrets account>`
 * (docs/deploy.md#clusters-in-other-accounts-and-regions).
 */
export class ClusterAccessStack extends Stack {
  /** The entries, by construct id (the mapping id and a hash of the cluster name). */
  readonly accessEntries: readonly CfnAccessEntry[];

  constructor(scope: Construct, id: string, props: ClusterAccessStackProps) {
    super(scope, id, {
      ...props,
      description:
        `eks-secret-sync: EKS access entries of the app's mappings in clusters of ${props.env.account} ` +
        `${props.env.region}`,
    });
    for (const e of props.entries) {
      if (e.account !== props.env.account || e.region !== props.env.region)
        throw new Error(`access entry of ${e.mappingId} is in ${e.account}/${e.region}, not this stack's`);
    }
    this.accessEntries = props.entries.map(
      (e) =>
        new CfnAccessEntry(this, accessEntryId(e), {
          clusterName: e.clusterName,
          principalArn: e.principalArn,
          kubernetesGroups: [e.group],
          type: 'STANDARD',
        }),
    );
    new CfnOutput(this, 'Principals', {
      description: 'The IAM roles (in the secrets account) these access entries admit, one group each',
      value: [...new Set(props.entries.map((e) => e.principalArn))].join(' '),
    });
  }
}
