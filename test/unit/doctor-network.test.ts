// doctor's verdicts on whether a mapping's functions reach the API server and KMS, on plain data shaped like
// eks:DescribeCluster and EC2's Describe answers. test/cli/doctor.test.ts runs the same checks against moto's EKS
// and EC2; the cases here are the ones moto cannot stage cheaply (NAT addresses, Transit Gateway routes, missing
// fields) and each branch's exact message.
import { describe, expect, it } from 'vitest';
import type { MappingTarget as Mapping } from '../../infra/model/targets.ts';
import {
  apiReachFinding,
  type ClusterNetwork,
  coveredBy,
  kmsReachFinding,
  type VpcFacts,
} from '../../bin/lib/doctor/network-checks.ts';

const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const FN_SG = 'sg-0a1b2c3d4e5f60718';
const CLUSTER_SG = 'sg-0c1c2c3c4c5c60718';

function mapping(vpc?: Mapping['cluster']['vpc']): Mapping {
  return { id: 'db', cluster: { name: 'prod', ...(vpc && { vpc }) } } as unknown as Mapping;
}

const inVpc = mapping({ subnetIds: [SUBNET], securityGroupIds: [FN_SG] });
const cluster = (over: Partial<ClusterNetwork> = {}): ClusterNetwork => ({
  name: 'prod',
  publicAccess: true,
  privateAccess: true,
  publicAccessCidrs: ['0.0.0.0/0'],
  vpcId: 'vpc-1',
  securityGroupIds: [CLUSTER_SG],
  ...over,
});
const https = { protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: [], groups: [] };
const facts = (over: Partial<VpcFacts> = {}): VpcFacts => ({
  subnets: [{ id: SUBNET, vpcId: 'vpc-1', cidr: '10.0.1.0/24' }],
  missingSubnets: [],
  functionGroups: [{ id: FN_SG, ingress: [], egress: [{ ...https, protocol: '-1', cidrs: ['0.0.0.0/0'] }] }],
  clusterGroups: [{ id: CLUSTER_SG, ingress: [{ ...https, groups: [FN_SG] }], egress: [] }],
  routes: [{ subnetId: SUBNET }],
  kmsEndpoints: [],
  ...over,
});

describe('apiReachFinding without cluster.vpc', () => {
  it('reports a private-only endpoint as unreachable, with the vpc block to add', () => {
    expect(apiReachFinding(mapping(), cluster({ publicAccess: false }))).toEqual({
      check: 'api-reach',
      verdict: 'problem',
      message:
        "cluster prod's API endpoint is private only: the mapping's functions run outside any VPC and cannot reach it",
      fix:
        `give mapping db a cluster.vpc: subnets of vpc-1 and a security group the cluster security group ` +
        `${CLUSTER_SG} admits on TCP 443 (docs/deploy.md#private-clusters-functions-in-a-vpc)`,
    });
  });

  it("reports a public allow-list, which cannot name Lambda's addresses", () => {
    expect(apiReachFinding(mapping(), cluster({ publicAccessCidrs: ['203.0.113.0/24'] }))).toMatchObject({
      verdict: 'problem',
      message:
        "cluster prod's public endpoint admits only 203.0.113.0/24: functions outside a VPC call from Lambda's " +
        'shared AWS addresses, which no allow-list can name',
      fix: expect.stringMatching(/, or add 0\.0\.0\.0\/0 to the cluster's publicAccessCidrs$/),
    });
  });

  it('accepts a public endpoint open to all, and says when EKS gave no endpoint access', () => {
    expect(apiReachFinding(mapping(), cluster())).toMatchObject({ verdict: 'ok' });
    expect(apiReachFinding(mapping(), cluster({ publicAccessCidrs: undefined }))).toMatchObject({ verdict: 'ok' });
    expect(apiReachFinding(mapping(), cluster({ publicAccess: undefined }))).toMatchObject({
      verdict: 'unchecked',
      message: 'could not check how the functions reach cluster prod: eks:DescribeCluster gave no endpoint access',
    });
  });
});

describe('apiReachFinding with cluster.vpc', () => {
  it('accepts subnets in the cluster VPC admitted by the cluster security group on 443', () => {
    expect(apiReachFinding(inVpc, cluster({ publicAccess: false }), facts())).toMatchObject({
      verdict: 'ok',
      message: expect.stringContaining("reach cluster prod's private endpoint"),
    });
  });

  it('accepts a cluster security group rule naming a CIDR that holds the subnets, not a smaller one', () => {
    const byCidr = (cidr: string) =>
      facts({ clusterGroups: [{ id: CLUSTER_SG, ingress: [{ ...https, cidrs: [cidr] }], egress: [] }] });
    expect(apiReachFinding(inVpc, cluster(), byCidr('10.0.0.0/16'))).toMatchObject({ verdict: 'ok' });
    expect(apiReachFinding(inVpc, cluster(), byCidr('10.0.1.128/25'))).toMatchObject({ verdict: 'problem' });
  });

  it.each([
    [
      'a cluster security group that admits only itself',
      facts({ clusterGroups: [{ id: CLUSTER_SG, ingress: [{ ...https, groups: [CLUSTER_SG] }], egress: [] }] }),
      cluster(),
      `aws ec2 authorize-security-group-ingress --group-id ${CLUSTER_SG} --protocol tcp --port 443 ` +
        `--source-group ${FN_SG}`,
    ],
    [
      'a subnet that does not exist',
      facts({ subnets: [], missingSubnets: [SUBNET] }),
      cluster(),
      'correct cluster.vpc.subnetIds of mapping db (aws ec2 describe-subnets)',
    ],
    [
      'function security groups with no outbound HTTPS',
      facts({ functionGroups: [{ id: FN_SG, ingress: [], egress: [{ ...https, fromPort: 80, toPort: 80 }] }] }),
      cluster(),
      expect.stringContaining('authorize-security-group-egress'),
    ],
    [
      'a public-only endpoint and a subnet without a NAT route',
      facts({ routes: [{ subnetId: SUBNET, target: { kind: 'internet-gateway', id: 'igw-1' } }] }),
      cluster({ privateAccess: false }),
      expect.stringContaining('route 0.0.0.0/0 of those subnets to a NAT gateway'),
    ],
    [
      "a NAT address outside the endpoint's allow-list",
      facts({ routes: [{ subnetId: SUBNET, target: { kind: 'nat', id: 'nat-1' }, natPublicIps: ['198.51.100.7'] }] }),
      cluster({ privateAccess: false, publicAccessCidrs: ['203.0.113.0/24'] }),
      expect.stringContaining('add 198.51.100.7/32 to publicAccessCidrs'),
    ],
  ])('reports %s', (_what, vpc, net, fix) => {
    expect(apiReachFinding(inVpc, net, vpc)).toMatchObject({ check: 'api-reach', verdict: 'problem', fix });
  });

  it('accepts a NAT route whose address the allow-list holds; warns on a Transit Gateway it cannot follow', () => {
    const nat = { subnetId: SUBNET, target: { kind: 'nat' as const, id: 'nat-1' }, natPublicIps: ['203.0.113.9'] };
    const pub = cluster({ privateAccess: false, publicAccessCidrs: ['203.0.113.0/24'] });
    expect(apiReachFinding(inVpc, pub, facts({ routes: [nat] }))).toMatchObject({ verdict: 'ok' });
    const tgw = { subnetId: SUBNET, target: { kind: 'transit-gateway' as const, id: 'tgw-1' } };
    expect(apiReachFinding(inVpc, pub, facts({ routes: [tgw] }))).toMatchObject({ verdict: 'warning' });
  });

  it('warns about subnets in another VPC than the cluster, which only peering or a Transit Gateway can join', () => {
    const other = facts({ subnets: [{ id: SUBNET, vpcId: 'vpc-2', cidr: '10.1.0.0/24' }] });
    expect(apiReachFinding(inVpc, cluster(), other)).toMatchObject({
      verdict: 'warning',
      message: expect.stringMatching(/^the functions' subnets are in vpc-2, cluster prod in vpc-1/),
    });
  });

  it('says which part it could not read', () => {
    expect(apiReachFinding(inVpc, cluster(), 'AccessDenied (HTTP 403): no')).toMatchObject({
      verdict: 'unchecked',
      message: 'could not check the subnets of mapping db: AccessDenied (HTTP 403): no',
    });
    expect(apiReachFinding(inVpc, cluster(), facts({ clusterGroups: 'denied' }))).toMatchObject({
      verdict: 'unchecked',
    });
  });
});

describe('kmsReachFinding', () => {
  it('reports a VPC with neither an endpoint nor a NAT route, with the endpoints option as fix', () => {
    expect(kmsReachFinding(inVpc, 'eu-west-1', facts())).toEqual({
      check: 'kms-reach',
      verdict: 'problem',
      message:
        'the functions in vpc-1 cannot reach KMS (kms.eu-west-1.amazonaws.com), which opens the sealed values: ' +
        'the VPC has no KMS endpoint with private DNS and not every subnet routes to a NAT gateway',
      fix:
        'add endpoints: { vpcId: vpc-1 } to cluster.vpc of mapping db, or a NAT route ' +
        '(docs/deploy.md#private-clusters-functions-in-a-vpc)',
    });
  });

  it('accepts the endpoints option, a KMS endpoint with private DNS, or a NAT route', () => {
    const withOption = mapping({ subnetIds: [SUBNET], securityGroupIds: [FN_SG], endpoints: { vpcId: 'vpc-1' } });
    expect(kmsReachFinding(withOption, 'eu-west-1', facts())).toMatchObject({ verdict: 'ok' });
    const endpoint = facts({ kmsEndpoints: [{ id: 'vpce-1', privateDns: true }] });
    expect(kmsReachFinding(inVpc, 'eu-west-1', endpoint)).toMatchObject({ verdict: 'ok' });
    const noDns = facts({ kmsEndpoints: [{ id: 'vpce-1', privateDns: false }] });
    expect(kmsReachFinding(inVpc, 'eu-west-1', noDns)).toMatchObject({ verdict: 'problem' });
    const nat = facts({ routes: [{ subnetId: SUBNET, target: { kind: 'nat', id: 'nat-1' } }] });
    expect(kmsReachFinding(inVpc, 'eu-west-1', nat)).toMatchObject({ verdict: 'ok' });
  });

  it('reports an endpoints option naming another VPC than the subnets', () => {
    const wrong = mapping({ subnetIds: [SUBNET], securityGroupIds: [FN_SG], endpoints: { vpcId: 'vpc-9' } });
    expect(kmsReachFinding(wrong, 'eu-west-1', facts())).toMatchObject({
      verdict: 'problem',
      message: "cluster.vpc.endpoints.vpcId is vpc-9 but the functions' subnets are in vpc-1",
    });
  });
});

describe('coveredBy', () => {
  it.each([
    ['10.0.1.0/24', ['10.0.0.0/16'], true],
    ['10.0.1.0/24', ['10.0.1.0/25'], false],
    ['203.0.113.9', ['203.0.113.0/24'], true],
    ['203.0.113.9', ['203.0.114.0/24', '0.0.0.0/0'], true],
    ['10.0.1.7/24', ['10.0.1.0/24'], true],
    ['2001:db8::/64', ['0.0.0.0/0'], false],
  ])('%s in %j: %s', (inner, cidrs, expected) => {
    expect(coveredBy(inner, cidrs)).toBe(expected);
  });
});
