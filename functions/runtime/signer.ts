/**
 * The token of a Kubernetes step (read-secret, apply-secret, restart-workloads): each presigns its own EKS token at
 * the call, with its execution role, which is the mapping's Kubernetes identity (the role its access entries name).
 * Presigning is a local computation (SigV4 over an STS GetCallerIdentity URL): no request to STS, so a function in a
 * VPC needs no STS endpoint. No token enters the state, a Lambda input or a log.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { eksTokenSigner } from '../adapters/eks-token.ts';
import type { TokenSigner } from '../domain/ports.ts';
import { ENV } from './env-contract.ts';
import { clusterRegionsOf, lambdaRegion } from './env.ts';
import type { EnvWith } from './options.ts';

/**
 * The signer of a step's tokens, by cluster: the function's role (Lambda puts its credentials in the environment),
 * for the cluster's region (CLUSTER_REGIONS; unset: the function's region). A cluster of another region gets a token
 * for its own region's STS host, as `aws eks get-token --region` signs it. Read once, at init.
 *
 * @throws ConfigError when CLUSTER_REGIONS is malformed or AWS_REGION is not set.
 */
export function identitySignerFrom(env: EnvWith<typeof ENV.clusterRegions>): (clusterName: string) => TokenSigner {
  const regionOf = clusterRegionsOf(env[ENV.clusterRegions], lambdaRegion());
  const credentials = fromEnv();
  return (clusterName) => eksTokenSigner({ clusterName, region: regionOf(clusterName), credentials });
}
