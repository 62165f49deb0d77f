import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** Props of {@link ClusterConnection}: the `cluster` block of a mapping. */
export interface ClusterConnectionProps {
  /** EKS cluster name. */
  readonly name: string;
  /**
   * The cluster's region.
   * @default the stack's region
   */
  readonly region?: string;
  /**
   * API server endpoint (https://...). Give it together with `certificateAuthority`.
   * @default looked up at deploy time with eks:DescribeCluster
   */
  readonly endpoint?: string;
  /**
   * The cluster CA as EKS returns it (base64 of the PEM).
   * @default looked up at deploy time with eks:DescribeCluster
   */
  readonly certificateAuthority?: string;
  /**
   * Log group of the lookup's provider function (only used when a lookup is needed).
   * @default CDK's default for the provider function
   */
  readonly lookupLogGroup?: ILogGroup;
}

/**
 * How the Kubernetes steps reach one EKS cluster: its endpoint and CA. When the
 * mapping does not give them, they are read at DEPLOY time by a custom
 * resource calling eks:DescribeCluster on exactly this cluster's ARN (never
 * at synth: synth needs no AWS credentials). The lookup runs again only when
 * its properties change; after a CA rotation, redeploy with a changed mapping
 * or give endpoint and CA explicitly.
 */
export class ClusterConnection extends Construct {
  /** The cluster's ARN. */
  readonly clusterArn: string;
  /** API server endpoint (a token when looked up). */
  readonly endpoint: string;
  /** Base64 of the CA PEM (a token when looked up). */
  readonly certificateAuthority: string;
  /** The lookup, when one was needed. */
  readonly lookup?: AwsCustomResource;

  constructor(scope: Construct, id: string, props: ClusterConnectionProps) {
    super(scope, id);
    this.clusterArn = Stack.of(this).formatArn({
      service: 'eks',
      resource: 'cluster',
      resourceName: props.name,
      region: props.region,
    });
    if (props.endpoint !== undefined && props.certificateAuthority !== undefined) {
      this.endpoint = props.endpoint;
      this.certificateAuthority = props.certificateAuthority;
      return;
    }
    this.lookup = new AwsCustomResource(this, 'DescribeCluster', {
      onUpdate: {
        service: 'EKS',
        action: 'describeCluster',
        parameters: { name: props.name },
        region: props.region,
        physicalResourceId: PhysicalResourceId.of(this.clusterArn),
        // Only what the steps need: a custom resource response is limited to 4 KB.
        outputPaths: ['cluster.endpoint', 'cluster.certificateAuthority.data'],
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [this.clusterArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: props.lookupLogGroup,
    });
    this.endpoint = this.lookup.getResponseField('cluster.endpoint');
    this.certificateAuthority = this.lookup.getResponseField('cluster.certificateAuthority.data');
  }
}
