/**
 * What the network checks read (bin/lib/doctor/network-checks.ts has the verdicts): the cluster's endpoint access
 * from eks:DescribeCluster, and for a mapping with `cluster.vpc` its subnets, their default routes and NAT
 * addresses, the functions' and the cluster's security groups and the VPC's KMS endpoints, from EC2's Describe
 * calls. A call that fails leaves the reason in place of its part, and only that part goes unchecked.
 */
import type { Cluster } from '@aws-sdk/client-eks';
import type { MappingTarget as Mapping } from '../../../infra/model/targets.ts';
import { sdkErrorText, type AwsSession } from '../aws.ts';
import type { Finding } from './findings.ts';
import {
  apiReachFinding,
  type ClusterNetwork,
  type GroupView,
  kmsReachFinding,
  type RouteView,
  type RuleView,
  type VpcFacts,
} from './network-checks.ts';

type Ec2 = typeof import('@aws-sdk/client-ec2');

/** The network part of a DescribeCluster answer. */
export function clusterNetwork(name: string, cluster: Cluster | undefined): ClusterNetwork {
  const c = cluster?.resourcesVpcConfig;
  const groups = [c?.clusterSecurityGroupId, ...(c?.securityGroupIds ?? [])].filter((g): g is string => !!g);
  return {
    name,
    publicAccess: c?.endpointPublicAccess,
    privateAccess: c?.endpointPrivateAccess,
    publicAccessCidrs: c?.publicAccessCidrs,
    vpcId: c?.vpcId,
    securityGroupIds: [...new Set(groups)],
  };
}

/** The findings `api-reach` and, with `cluster.vpc`, `kms-reach`. */
export async function checkNetwork(m: Mapping, aws: AwsSession, cluster: Cluster | undefined): Promise<Finding[]> {
  const net = clusterNetwork(m.cluster.name, cluster);
  if (m.cluster.vpc === undefined) return [apiReachFinding(m, net)];
  const facts = await readVpcFacts(m, aws, net).catch((e: unknown) => sdkErrorText(e));
  return [apiReachFinding(m, net, facts), kmsReachFinding(m, aws.region, facts)];
}

/** A part of the facts, or why it could not be read. */
async function part<T>(read: () => Promise<T>): Promise<T | string> {
  try {
    return await read();
  } catch (e) {
    return sdkErrorText(e);
  }
}

const rules = (perms: import('@aws-sdk/client-ec2').IpPermission[] | undefined): RuleView[] =>
  (perms ?? []).map((p) => ({
    protocol: p.IpProtocol ?? '-1',
    fromPort: p.FromPort,
    toPort: p.ToPort,
    cidrs: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
    groups: (p.UserIdGroupPairs ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
  }));

/**
 * Reads the EC2 facts of the mapping's `cluster.vpc`.
 *
 * @throws the SDK's error when the subnets cannot be described (nothing else can be judged then).
 */
export async function readVpcFacts(m: Mapping, aws: AwsSession, net: ClusterNetwork): Promise<VpcFacts> {
  const sdk: Ec2 = await import('@aws-sdk/client-ec2');
  const ec2 = new sdk.EC2Client(await aws.config());
  const vpc = m.cluster.vpc!;
  try {
    const filter = (Name: string, Values: string[]) => ({ Name, Values });
    const described = await ec2.send(
      new sdk.DescribeSubnetsCommand({ Filters: [filter('subnet-id', [...vpc.subnetIds])] }),
    );
    const subnets = (described.Subnets ?? []).map((s) => ({ id: s.SubnetId!, vpcId: s.VpcId!, cidr: s.CidrBlock }));
    const missingSubnets = vpc.subnetIds.filter((id) => !subnets.some((s) => s.id === id));
    const groups = async (ids: readonly string[]): Promise<GroupView[]> => {
      if (ids.length === 0) return [];
      const out = await ec2.send(new sdk.DescribeSecurityGroupsCommand({ Filters: [filter('group-id', [...ids])] }));
      return (out.SecurityGroups ?? []).map((g) => ({
        id: g.GroupId!,
        ingress: rules(g.IpPermissions),
        egress: rules(g.IpPermissionsEgress),
      }));
    };
    const routes = async (): Promise<RouteView[]> => {
      const views: RouteView[] = [];
      for (const s of subnets) {
        let tables = (
          await ec2.send(new sdk.DescribeRouteTablesCommand({ Filters: [filter('association.subnet-id', [s.id])] }))
        ).RouteTables;
        if (!tables?.length) {
          const main = [filter('vpc-id', [s.vpcId]), filter('association.main', ['true'])];
          tables = (await ec2.send(new sdk.DescribeRouteTablesCommand({ Filters: main }))).RouteTables;
        }
        const route = tables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
        views.push({ subnetId: s.id, ...(await routeTarget(ec2, sdk, route)) });
      }
      return views;
    };
    const kmsEndpoints = async () => {
      const vpcIds = [...new Set(subnets.map((s) => s.vpcId))];
      if (vpcIds.length === 0) return [];
      const out = await ec2.send(
        new sdk.DescribeVpcEndpointsCommand({
          Filters: [filter('vpc-id', vpcIds), filter('service-name', [`com.amazonaws.${aws.region}.kms`])],
        }),
      );
      return (out.VpcEndpoints ?? []).map((e) => ({ id: e.VpcEndpointId!, privateDns: e.PrivateDnsEnabled === true }));
    };
    return {
      subnets,
      missingSubnets,
      functionGroups: await part(() => groups(vpc.securityGroupIds)),
      clusterGroups: await part(() => groups(net.securityGroupIds)),
      routes: await part(routes),
      kmsEndpoints: await part(kmsEndpoints),
    };
  } finally {
    ec2.destroy();
  }
}

/** Where a default route goes; for a NAT gateway, its public addresses. */
async function routeTarget(
  ec2: import('@aws-sdk/client-ec2').EC2Client,
  sdk: Ec2,
  route: import('@aws-sdk/client-ec2').Route | undefined,
): Promise<Pick<RouteView, 'target' | 'natPublicIps'>> {
  if (route === undefined) return {};
  if (route.NatGatewayId) {
    const out = await ec2.send(new sdk.DescribeNatGatewaysCommand({ NatGatewayIds: [route.NatGatewayId] }));
    const natPublicIps = (out.NatGateways ?? []).flatMap((n) =>
      (n.NatGatewayAddresses ?? []).flatMap((a) => (a.PublicIp ? [a.PublicIp] : [])),
    );
    return { target: { kind: 'nat', id: route.NatGatewayId }, natPublicIps };
  }
  if (route.TransitGatewayId) return { target: { kind: 'transit-gateway', id: route.TransitGatewayId } };
  if (route.GatewayId?.startsWith('igw-')) return { target: { kind: 'internet-gateway', id: route.GatewayId } };
  const id = route.GatewayId ?? route.NetworkInterfaceId ?? route.InstanceId ?? route.VpcPeeringConnectionId ?? '?';
  return { target: { kind: 'other', id } };
}
