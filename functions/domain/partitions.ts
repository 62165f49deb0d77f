/**
 * Which AWS partition a region belongs to, and what follows from it: the DNS suffix of its regional endpoints
 * (KMS, STS, ...) and the prefix of its VPC endpoint service names. Written once here; the config's partition check
 * (infra/model/cluster-env.ts), the EKS token's STS host (functions/adapters/eks-token.ts), the AWS JSON clients'
 * endpoint (functions/adapters/aws-json.ts), the KMS interface endpoint's service name
 * (infra/constructs/vpc-endpoints.ts) and the Secrets Manager provider's `kms:ViaService`
 * (functions/sources/secrets-manager/provider.ts) read it. Pure: no SDK (the functions bundle it), no environment.
 *
 * The partitions are the ones the AWS CLI's token was checked against (botocore's endpoints.json: `regionRegex`,
 * `dnsSuffix`); a region of another isolated partition (`<xx>-iso<x>-...`) is known to be isolated but not what
 * its hosts are called.
 */

/** One AWS partition. */
export interface Partition {
  /** Its name in ARNs (`aws`, `aws-cn`, ...). */
  readonly name: string;
  /** The DNS suffix of its regional endpoints (`amazonaws.com`, `amazonaws.com.cn`, ...). */
  readonly dnsSuffix: string;
  /** The prefix of its VPC endpoint service names (`com.amazonaws`, `cn.com.amazonaws`). */
  readonly endpointServicePrefix: string;
}

/** The commercial partition: every region that no other partition claims. */
export const AWS_PARTITION: Partition = {
  name: 'aws',
  dnsSuffix: 'amazonaws.com',
  endpointServicePrefix: 'com.amazonaws',
};

/** The other partitions by their regions' prefix, most specific first. */
const PARTITIONS: readonly (Partition & { readonly regionPrefix: string })[] = [
  { regionPrefix: 'cn-', name: 'aws-cn', dnsSuffix: 'amazonaws.com.cn', endpointServicePrefix: 'cn.com.amazonaws' },
  { regionPrefix: 'us-gov-', name: 'aws-us-gov', dnsSuffix: 'amazonaws.com', endpointServicePrefix: 'com.amazonaws' },
  { regionPrefix: 'us-iso-', name: 'aws-iso', dnsSuffix: 'c2s.ic.gov', endpointServicePrefix: 'com.amazonaws' },
  { regionPrefix: 'us-isob-', name: 'aws-iso-b', dnsSuffix: 'sc2s.sgov.gov', endpointServicePrefix: 'com.amazonaws' },
];

/** A region of an isolated partition (`us-iso-east-1`, `eu-isoe-west-1`, ...). */
const ISOLATED_REGION = /^[a-z]{2}-iso[a-z]*-/;

/** A region name as AWS spells them (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * The partition of `region`.
 *
 * @returns `undefined` for a region of an isolated partition other than those listed (its hosts are not known).
 */
export function partitionOf(region: string): Partition | undefined {
  const known = PARTITIONS.find((p) => region.startsWith(p.regionPrefix));
  if (known !== undefined) return known;
  return ISOLATED_REGION.test(region) ? undefined : AWS_PARTITION;
}

/**
 * The regional host of an AWS service (`sts.eu-west-1.amazonaws.com`, `kms.cn-north-1.amazonaws.com.cn`).
 *
 * @returns `undefined` when the region's partition is not known ({@link partitionOf}).
 */
export function regionalHost(service: string, region: string): string | undefined {
  const partition = partitionOf(region);
  return partition && `${service}.${region}.${partition.dnsSuffix}`;
}

/** The service name of a VPC interface endpoint (`com.amazonaws.eu-west-1.kms`, `cn.com.amazonaws...` in China). */
export function endpointServiceName(service: string, region: string): string {
  return `${(partitionOf(region) ?? AWS_PARTITION).endpointServicePrefix}.${region}.${service}`;
}
