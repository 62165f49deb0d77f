/**
 * The interface VPC endpoint the functions in a VPC need when their subnets have no route to AWS's public
 * endpoints (no NAT): KMS, which they call to open the sealed values (kms:Decrypt; the token each signs is a local
 * computation, no call). One per VPC, shared by every mapping that asks for it in that VPC
 * (`cluster.vpc.endpoints`), created only on request (docs/deploy.md#private-clusters-functions-in-a-vpc).
 *
 * Private DNS stays off: the functions are pointed at the endpoint's own DNS name (their environment's KMS endpoint
 * URL, functions/runtime/env-contract.ts), so the endpoint neither conflicts with a KMS endpoint the VPC may
 * already have nor captures the KMS traffic of anything else in the VPC with its narrow policy.
 */
import { Aws, Fn, Stack, Tags, Token } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnVPCEndpoint } from 'aws-cdk-lib/aws-ec2';
import { StarPrincipal, type IRole, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { appNameOf } from './app-name.ts';
import { endpointServiceName } from '../../functions/domain/partitions.ts';
import { appHash } from '../model/resource-names.ts';
import { endpointSubnets, mappingVpc, type Mapping } from '../model/config.ts';

/**
 * The IAM tag on the role of every function that uses a stack-made KMS endpoint; its value names the app and the VPC
 * ({@link kmsEndpointTagValue}). The endpoint policy admits only principals of this account carrying it, whatever
 * their number (a list of role ARNs would outgrow the policy's 20,480 characters at about 60 mappings in one VPC).
 * It admits through the endpoint only: whether the key opens anything is the key's grants' decision.
 */
export const KMS_ENDPOINT_TAG = 'eks-secret-sync:kms-endpoint';

/** `<app hash>:<VPC id>`: the app (its `stack.name`, hashed as in its role path) and the endpoint's VPC. */
export function kmsEndpointTagValue(appName: string, vpcId: string): string {
  return `${appHash(appName)}:${vpcId}`;
}

/** The KMS actions the functions in a VPC call: they only open seals (read-secret, apply-secret). */
export const KMS_ENDPOINT_ACTIONS = ['kms:Decrypt'] as const;

/** What a function needs of an endpoint: where to send its KMS calls, and the VPC to tag its role with. */
export interface KmsEndpointTarget {
  /** `https://<the endpoint's regional DNS name>` (a token). */
  readonly url: string;
  /** The endpoint's VPC. */
  readonly vpcId: string;
}

/** Props of {@link KmsInterfaceEndpoint}. */
export interface KmsInterfaceEndpointProps {
  /** The VPC. */
  readonly vpcId: string;
  /** Its subnets for the endpoint's network interfaces: at most one per Availability Zone. */
  readonly subnetIds: readonly string[];
  /** The security groups of the functions that call it: each is admitted on TCP 443. */
  readonly clientSecurityGroupIds: readonly string[];
  /** The seal key: the only key the endpoint lets through. */
  readonly sealKey: IKey;
}

/**
 * A KMS interface endpoint in one VPC with its own security group (HTTPS in from the functions' security groups,
 * nothing out) and a policy that allows `kms:Decrypt` on the seal key only, by principals of this account tagged
 * {@link KMS_ENDPOINT_TAG} = {@link kmsEndpointTagValue} (the app and the VPC).
 */
export class KmsInterfaceEndpoint extends Construct implements KmsEndpointTarget {
  readonly url: string;
  readonly vpcId: string;
  readonly endpoint: CfnVPCEndpoint;
  readonly securityGroup: CfnSecurityGroup;
  /** The value of {@link KMS_ENDPOINT_TAG} the endpoint admits. */
  readonly tagValue: string;

  constructor(scope: Construct, id: string, props: KmsInterfaceEndpointProps) {
    super(scope, id);
    this.vpcId = props.vpcId;
    this.tagValue = kmsEndpointTagValue(appNameOf(this), props.vpcId);
    const stack = Stack.of(this);
    this.securityGroup = new CfnSecurityGroup(this, 'SecurityGroup', {
      vpcId: props.vpcId,
      groupDescription: `eks-secret-sync ${stack.stackName}: KMS endpoint, HTTPS from the sync functions`,
      securityGroupIngress: props.clientSecurityGroupIds.map((sg) => ({
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        sourceSecurityGroupId: sg,
        description: `HTTPS from the functions in ${sg}`,
      })),
      // An endpoint starts no connection; CDK's way of writing "no outbound rule" (the default would allow all).
      securityGroupEgress: [
        { ipProtocol: 'icmp', cidrIp: '255.255.255.255/32', fromPort: 252, toPort: 86, description: 'Nothing out' },
      ],
    });
    const policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'SealKeyDecryptBySyncFunctions',
          // `"Principal": "*"`, the form the VPC documentation gives for endpoint policies.
          principals: [new StarPrincipal()],
          actions: [...KMS_ENDPOINT_ACTIONS],
          resources: [props.sealKey.keyArn],
          conditions: {
            StringEquals: {
              'aws:PrincipalAccount': Aws.ACCOUNT_ID,
              [`aws:PrincipalTag/${KMS_ENDPOINT_TAG}`]: this.tagValue,
            },
          },
        }),
      ],
    });
    this.endpoint = new CfnVPCEndpoint(this, 'Endpoint', {
      vpcId: props.vpcId,
      serviceName: kmsServiceName(stack),
      vpcEndpointType: 'Interface',
      subnetIds: [...props.subnetIds],
      securityGroupIds: [this.securityGroup.attrGroupId],
      privateDnsEnabled: false,
      policyDocument: policy,
    });
    // DnsEntries are "<hosted zone id>:<DNS name>", the regional name first.
    this.url = Fn.join('', ['https://', Fn.select(1, Fn.split(':', Fn.select(0, this.endpoint.attrDnsEntries)))]);
  }

  /** Lets a function's role through the endpoint's policy. */
  admit(role: IRole): void {
    Tags.of(role).add(KMS_ENDPOINT_TAG, this.tagValue);
  }
}

/** `com.amazonaws.<region>.kms` (the partition's prefix: `cn.com.amazonaws...` in the China regions). */
function kmsServiceName(stack: Stack): string {
  const region = stack.region;
  if (Token.isUnresolved(region)) return `com.amazonaws.${Aws.REGION}.kms`;
  return endpointServiceName('kms', region);
}

/**
 * One {@link KmsInterfaceEndpoint} per VPC that a mapping's `cluster.vpc.endpoints` names, admitting the security
 * groups of every such mapping in that VPC (the config checks that they agree on the endpoint's subnets).
 *
 * @returns the endpoint of each VPC id.
 */
export function kmsEndpointsFor(
  scope: Construct,
  mappings: readonly Mapping[],
  sealKey: IKey,
): ReadonlyMap<string, KmsInterfaceEndpoint> {
  const byVpc = new Map<string, { subnetIds: readonly string[]; groups: Set<string> }>();
  for (const m of mappings) {
    const vpc = mappingVpc(m);
    if (vpc?.endpoints === undefined) continue;
    const entry = byVpc.get(vpc.endpoints.vpcId) ?? { subnetIds: endpointSubnets(vpc), groups: new Set<string>() };
    for (const sg of vpc.securityGroupIds) entry.groups.add(sg);
    byVpc.set(vpc.endpoints.vpcId, entry);
  }
  const endpoints = new Map<string, KmsInterfaceEndpoint>();
  for (const [vpcId, { subnetIds, groups }] of byVpc) {
    endpoints.set(
      vpcId,
      new KmsInterfaceEndpoint(scope, `KmsEndpoint-${vpcId}`, {
        vpcId,
        subnetIds,
        clientSecurityGroupIds: [...groups].sort(),
        sealKey,
      }),
    );
  }
  return endpoints;
}
