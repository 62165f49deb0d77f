import { describe, expect, it } from 'vitest';
import { awsEndpoint } from '../../../functions/adapters/aws-json.ts';
import { stsHost } from '../../../functions/adapters/eks-token.ts';
import { endpointServiceName, partitionOf, regionalHost } from '../../../functions/domain/partitions.ts';
import { partitionOfRegion } from '../../../infra/model/cluster-env.ts';

const KMS = { service: 'kms', endpointVariable: 'AWS_ENDPOINT_URL_KMS' };

describe('partitions', () => {
  it.each([
    ['eu-west-1', 'aws', 'sts.eu-west-1.amazonaws.com', 'com.amazonaws.eu-west-1.kms'],
    ['us-gov-west-1', 'aws-us-gov', 'sts.us-gov-west-1.amazonaws.com', 'com.amazonaws.us-gov-west-1.kms'],
    ['cn-north-1', 'aws-cn', 'sts.cn-north-1.amazonaws.com.cn', 'cn.com.amazonaws.cn-north-1.kms'],
    ['us-iso-east-1', 'aws-iso', 'sts.us-iso-east-1.c2s.ic.gov', 'com.amazonaws.us-iso-east-1.kms'],
    ['us-isob-east-1', 'aws-iso-b', 'sts.us-isob-east-1.sc2s.sgov.gov', 'com.amazonaws.us-isob-east-1.kms'],
  ])('gives %s the partition %s, its STS host and its KMS endpoint service', (region, partition, sts, kmsService) => {
    expect(partitionOf(region)?.name).toBe(partition);
    expect(partitionOfRegion(region)).toBe(partition);
    expect(stsHost(region)).toBe(sts);
    expect(endpointServiceName('kms', region)).toBe(kmsService);
    expect(awsEndpoint(KMS, region, {})).toBe(`https://${regionalHost('kms', region)}`);
  });

  it('knows no host in an isolated partition it does not list, and the token signer refuses it', () => {
    expect(partitionOf('eu-isoe-west-1')).toBeUndefined();
    expect(regionalHost('sts', 'eu-isoe-west-1')).toBeUndefined();
    expect(() => stsHost('eu-isoe-west-1')).toThrow(/isolated partition's STS host is not known/);
  });

  it('lets the SDK settings override the regional endpoint', () => {
    expect(awsEndpoint(KMS, 'cn-north-1', { AWS_ENDPOINT_URL_KMS: 'http://localhost:4566' })).toBe(
      'http://localhost:4566',
    );
    expect(awsEndpoint(KMS, 'cn-north-1', {})).toBe('https://kms.cn-north-1.amazonaws.com.cn');
  });
});
