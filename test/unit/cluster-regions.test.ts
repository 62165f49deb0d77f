// mint-token's CLUSTER_REGIONS (issue 25): the region each cluster's token is signed for, the function's own by
// default; the token's STS host follows it.
import { describe, expect, it } from 'vitest';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { clusterRegionsOf } from '../../functions/runtime/env.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const hostOf = (token: string) =>
  new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8')).host;

describe('clusterRegionsOf', () => {
  it.each([
    [undefined, 'home', 'us-east-1'],
    ['{"eu":"eu-west-1"}', 'eu', 'eu-west-1'],
    ['{"eu":"eu-west-1"}', 'home', 'us-east-1'],
    ['{"eu":"eu-west-1"}', 'constructor', 'us-east-1'],
  ])('gives %s for cluster %s the region %s', (json, cluster, region) => {
    expect(clusterRegionsOf(json, 'us-east-1')(cluster)).toBe(region);
  });

  it.each(['[]', '{"eu":"not a region"}', 'not json', '{"eu":1}'])('refuses %s, naming the variable', (json) => {
    expect(() => clusterRegionsOf(json, 'us-east-1')).toThrow(
      `environment variable ${ENV.clusterRegions} is not a JSON object of cluster name -> region; redeploy the stack`,
    );
  });

  it("signs a cluster's token for its region's STS host, and the others for the function's (control)", async () => {
    const regionOf = clusterRegionsOf('{"eu":"eu-west-1"}', 'us-east-1');
    const eu = await mintEksToken({ clusterName: 'eu', region: regionOf('eu'), credentials });
    const home = await mintEksToken({ clusterName: 'home', region: regionOf('home'), credentials });
    expect(hostOf(eu.token)).toBe('sts.eu-west-1.amazonaws.com');
    expect(hostOf(home.token)).toBe('sts.us-east-1.amazonaws.com');
  });
});
