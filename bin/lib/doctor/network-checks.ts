/**
 * The doctor's network checks of one mapping: can its Kubernetes functions reach the cluster's API server, and,
 * in a VPC, KMS? Read from eks:DescribeCluster (endpoint access, public CIDR allow-list, VPC, security groups) and
 * the EC2 description of the mapping's subnets, their route tables, NAT gateways, security groups and the VPC's
 * KMS endpoints. The verdicts are pure functions of those facts ({@link apiReachFinding}, {@link kmsReachFinding});
 * what doctor cannot see (peering, Transit Gateway routes, DNS, network ACLs, endpoint policies) it says so.
 */
import { isIPv4 } from 'node:net';
import type { MappingTarget as Mapping } from '../../../infra/model/targets.ts';
import { unchecked, type Finding } from './findings.ts';
import { regionalHost } from '../../../functions/domain/partitions.ts';

const GUIDE = 'docs/deploy.md#private-clusters-functions-in-a-vpc';
const HTTPS = 443;

/** The network side of eks:DescribeCluster's answer. */
export interface ClusterNetwork {
  readonly name: string;
  readonly publicAccess?: boolean;
  readonly privateAccess?: boolean;
  readonly publicAccessCidrs?: readonly string[];
  readonly vpcId?: string;
  /** The cluster security group and the additional ones: both are on the private endpoint's interfaces. */
  readonly securityGroupIds: readonly string[];
}

/** One security group rule, reduced to what the checks read. */
export interface RuleView {
  /** `-1` (all), `tcp`, `6`, ... */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: readonly string[];
  readonly groups: readonly string[];
}

/** A security group's rules. */
export interface GroupView {
  readonly id: string;
  readonly ingress: readonly RuleView[];
  readonly egress: readonly RuleView[];
}

/** Where a subnet's default route (0.0.0.0/0) goes, and the public addresses of its NAT gateway. */
export interface RouteView {
  readonly subnetId: string;
  readonly target?: { readonly kind: 'nat' | 'internet-gateway' | 'transit-gateway' | 'other'; readonly id: string };
  readonly natPublicIps?: readonly string[];
}

/** What EC2 says about the mapping's VPC placement; a string is why that part could not be read. */
export interface VpcFacts {
  readonly subnets: readonly { readonly id: string; readonly vpcId: string; readonly cidr?: string }[];
  readonly missingSubnets: readonly string[];
  readonly functionGroups: readonly GroupView[] | string;
  readonly clusterGroups: readonly GroupView[] | string;
  readonly routes: readonly RouteView[] | string;
  /** The KMS interface endpoints of the subnets' VPC. */
  readonly kmsEndpoints: readonly { readonly id: string; readonly privateDns: boolean }[] | string;
}

function allowsHttps(rule: RuleView): boolean {
  if (rule.protocol === '-1') return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== '6') return false;
  return (rule.fromPort ?? 0) <= HTTPS && HTTPS <= (rule.toPort ?? 65535);
}

/** An IPv4 CIDR (or a bare address, /32) as its first and last address, as numbers. */
function block(cidr: string): { first: number; last: number } | undefined {
  const [address, bits = '32'] = cidr.split('/');
  if (!address || !isIPv4(address)) return undefined;
  const size = 2 ** (32 - Number(bits));
  const n = address.split('.').reduce((a, octet) => a * 256 + Number(octet), 0);
  const first = n - (n % size);
  return { first, last: first + size - 1 };
}

/** Whether one of `cidrs` holds every address of `inner` (a CIDR or an address); IPv4 only. */
export function coveredBy(inner: string, cidrs: readonly string[]): boolean {
  const b = block(inner);
  return (
    b !== undefined &&
    cidrs.some((c) => {
      const o = block(c);
      return o !== undefined && o.first <= b.first && b.last <= o.last;
    })
  );
}

const OPEN = '0.0.0.0/0';

/**
 * Can the mapping's Kubernetes functions reach the API server? (pure)
 *
 * @param vpc the EC2 facts, when the mapping has `cluster.vpc` (a string: why they could not be read).
 */
export function apiReachFinding(m: Mapping, cluster: ClusterNetwork, vpc?: VpcFacts | string): Finding {
  const check = 'api-reach';
  const name = cluster.name;
  if (m.cluster.vpc === undefined) {
    if (cluster.publicAccess === undefined)
      return unchecked(check, `how the functions reach cluster ${name}`, 'eks:DescribeCluster gave no endpoint access');
    const fix =
      `give mapping ${m.id} a cluster.vpc: subnets${cluster.vpcId ? ` of ${cluster.vpcId}` : ''} and a security ` +
      `group the cluster security group${cluster.securityGroupIds[0] ? ` ${cluster.securityGroupIds[0]}` : ''} ` +
      `admits on TCP 443 (${GUIDE})`;
    if (!cluster.publicAccess) {
      return {
        check,
        verdict: 'problem',
        message:
          `cluster ${name}'s API endpoint is private only: the mapping's functions run outside any VPC and cannot ` +
          'reach it',
        fix,
      };
    }
    const cidrs = cluster.publicAccessCidrs ?? [OPEN];
    if (cidrs.includes(OPEN))
      return {
        check,
        verdict: 'ok',
        message: `the functions reach cluster ${name}'s public endpoint (open to ${OPEN})`,
      };
    return {
      check,
      verdict: 'problem',
      message:
        `cluster ${name}'s public endpoint admits only ${cidrs.join(', ')}: functions outside a VPC call from ` +
        "Lambda's shared AWS addresses, which no allow-list can name",
      fix: `${fix}, or add ${OPEN} to the cluster's publicAccessCidrs`,
    };
  }
  if (typeof vpc === 'string') return unchecked(check, `the subnets of mapping ${m.id}`, vpc);
  if (vpc === undefined) return unchecked(check, `the subnets of mapping ${m.id}`, 'they were not read');
  if (vpc.missingSubnets.length > 0) {
    return {
      check,
      verdict: 'problem',
      message:
        `subnet(s) ${vpc.missingSubnets.join(', ')} of cluster.vpc do not exist: Lambda cannot place the ` +
        'functions',
      fix: `correct cluster.vpc.subnetIds of mapping ${m.id} (aws ec2 describe-subnets)`,
    };
  }
  const groups = m.cluster.vpc.securityGroupIds;
  if (typeof vpc.functionGroups !== 'string' && !vpc.functionGroups.some((g) => g.egress.some(allowsHttps))) {
    return {
      check,
      verdict: 'problem',
      message:
        `security group(s) ${groups.join(', ')} allow no outbound HTTPS: the functions reach neither the API ` +
        'server nor KMS',
      fix:
        `aws ec2 authorize-security-group-egress --group-id ${groups[0]} --protocol tcp --port 443 ` +
        "--cidr <the VPC's CIDR>",
    };
  }
  if (cluster.privateAccess === undefined)
    return unchecked(check, `how the functions reach cluster ${name}`, 'eks:DescribeCluster gave no endpoint access');
  const vpcs = [...new Set(vpc.subnets.map((s) => s.vpcId))];
  if (cluster.privateAccess) return privatePathFinding(m, cluster, vpc, vpcs);
  return natPathFinding(m, cluster, vpc);
}

/** Private endpoint on: the subnets must be in the cluster's VPC and the cluster security group admit the functions. */
function privatePathFinding(m: Mapping, cluster: ClusterNetwork, vpc: VpcFacts, vpcs: string[]): Finding {
  const check = 'api-reach';
  const groups = m.cluster.vpc!.securityGroupIds;
  if (cluster.vpcId !== undefined && vpcs.some((v) => v !== cluster.vpcId)) {
    return {
      check,
      verdict: 'warning',
      message:
        `the functions' subnets are in ${vpcs.join(', ')}, cluster ${cluster.name} in ${cluster.vpcId}: its private ` +
        'endpoint is reachable only through peering or a Transit Gateway, with its DNS name resolvable there ' +
        '(doctor cannot check either)',
      fix: `use subnets of ${cluster.vpcId}, or check the route and DNS resolution from ${vpcs.join(', ')}`,
    };
  }
  if (typeof vpc.clusterGroups === 'string')
    return unchecked(check, `the security groups of cluster ${cluster.name}`, vpc.clusterGroups);
  const cidrs = vpc.subnets.flatMap((s) => (s.cidr ? [s.cidr] : []));
  const admits = vpc.clusterGroups.some((g) =>
    g.ingress.some(
      (r) =>
        allowsHttps(r) &&
        (r.groups.some((id) => groups.includes(id)) || (cidrs.length > 0 && cidrs.every((c) => coveredBy(c, r.cidrs)))),
    ),
  );
  if (!admits) {
    const target = cluster.securityGroupIds[0] ?? '<cluster security group>';
    return {
      check,
      verdict: 'problem',
      message:
        `the cluster security group(s) ${cluster.securityGroupIds.join(', ')} admit HTTPS neither from ` +
        `${groups.join(', ')} nor from the functions' subnets: the private endpoint drops their connections`,
      fix:
        `aws ec2 authorize-security-group-ingress --group-id ${target} --protocol tcp --port 443 ` +
        `--source-group ${groups[0]}`,
    };
  }
  return {
    check,
    verdict: 'ok',
    message:
      `the functions reach cluster ${cluster.name}'s private endpoint: their subnets are in ` +
      `${cluster.vpcId ?? vpcs[0]} ` +
      'and the cluster security group admits them on 443 (network ACLs not checked)',
  };
}

/** Private endpoint off: the functions need a NAT route, and its address in the public allow-list. */
function natPathFinding(m: Mapping, cluster: ClusterNetwork, vpc: VpcFacts): Finding {
  const check = 'api-reach';
  const fixPrivate =
    `or turn on private access: aws eks update-cluster-config --name ${cluster.name} --resources-vpc-config ` +
    'endpointPrivateAccess=true';
  if (typeof vpc.routes === 'string') return unchecked(check, `the routes of mapping ${m.id}'s subnets`, vpc.routes);
  const noNat = vpc.routes.filter((r) => r.target?.kind !== 'nat' && r.target?.kind !== 'transit-gateway');
  if (noNat.length > 0) {
    return {
      check,
      verdict: 'problem',
      message:
        `cluster ${cluster.name}'s endpoint is public only and subnet(s) ${noNat.map((r) => r.subnetId).join(', ')} ` +
        'have no default route to a NAT gateway: a function in a VPC has no public address to reach it',
      fix: `route 0.0.0.0/0 of those subnets to a NAT gateway, ${fixPrivate}`,
    };
  }
  const cidrs = cluster.publicAccessCidrs ?? [OPEN];
  const outside = vpc.routes.flatMap((r) => r.natPublicIps ?? []).filter((ip) => !coveredBy(ip, cidrs));
  if (outside.length > 0) {
    return {
      check,
      verdict: 'problem',
      message:
        `the NAT address(es) ${outside.join(', ')} are not in cluster ${cluster.name}'s publicAccessCidrs ` +
        `(${cidrs.join(', ')})`,
      fix: `add ${outside.map((ip) => `${ip}/32`).join(', ')} to publicAccessCidrs, ${fixPrivate}`,
    };
  }
  if (vpc.routes.some((r) => r.target?.kind === 'transit-gateway')) {
    return {
      check,
      verdict: 'warning',
      message: 'the subnets route to a Transit Gateway: doctor cannot follow it to the public endpoint',
      fix: `check that the Transit Gateway leads to a NAT whose address is in publicAccessCidrs, ${fixPrivate}`,
    };
  }
  return {
    check,
    verdict: 'ok',
    message:
      `the functions reach cluster ${cluster.name}'s public endpoint through NAT (its addresses are in the ` +
      `allow-list ${cidrs.join(', ')})`,
  };
}

/**
 * Can the functions in the VPC reach KMS, which opens the sealed values? (pure; only with `cluster.vpc`) Their tokens
 * need no endpoint: each function presigns its own, a local computation.
 */
export function kmsReachFinding(m: Mapping, region: string, vpc: VpcFacts | string): Finding {
  const check = 'kms-reach';
  if (typeof vpc === 'string') return unchecked(check, 'how the functions in the VPC reach KMS', vpc);
  const vpcs = [...new Set(vpc.subnets.map((s) => s.vpcId))];
  const own = m.cluster.vpc!.endpoints;
  if (own !== undefined) {
    if (vpcs.some((v) => v !== own.vpcId)) {
      return {
        check,
        verdict: 'problem',
        message: `cluster.vpc.endpoints.vpcId is ${own.vpcId} but the functions' subnets are in ${vpcs.join(', ')}`,
        fix: `set endpoints.vpcId of mapping ${m.id} to the subnets' VPC`,
      };
    }
    return { check, verdict: 'ok', message: `the stack makes the functions a KMS interface endpoint in ${own.vpcId}` };
  }
  if (typeof vpc.kmsEndpoints !== 'string') {
    const dns = vpc.kmsEndpoints.find((e) => e.privateDns);
    if (dns) {
      return {
        check,
        verdict: 'ok',
        message:
          `the functions reach KMS through ${dns.id}, the VPC's KMS endpoint with private DNS (its policy must let ` +
          'the Kubernetes identity role, which read-secret and apply-secret run as, call kms:Decrypt on the seal ' +
          'key; doctor does not read it)',
      };
    }
  }
  if (typeof vpc.routes !== 'string' && vpc.routes.every((r) => r.target?.kind === 'nat')) {
    return { check, verdict: 'ok', message: 'the functions reach KMS through the NAT route of their subnets' };
  }
  const unknown = [vpc.kmsEndpoints, vpc.routes].find((x) => typeof x === 'string');
  if (unknown !== undefined) return unchecked(check, 'how the functions in the VPC reach KMS', unknown as string);
  const kmsHost = regionalHost('kms', region) ?? `kms.${region}`;
  return {
    check,
    verdict: 'problem',
    message:
      `the functions in ${vpcs.join(', ')} cannot reach KMS (${kmsHost}), which opens the sealed ` +
      'values: the VPC has no KMS endpoint with private DNS and not every subnet routes to a NAT gateway',
    fix:
      `add endpoints: { vpcId: ${vpcs[0] ?? '<vpc id>'} } to cluster.vpc of mapping ${m.id}, or a NAT route ` +
      `(${GUIDE})`,
  };
}
