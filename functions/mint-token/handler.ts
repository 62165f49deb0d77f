import { fromEnv } from '@aws-sdk/credential-provider-env';
import { eksTokenSigner } from '../adapters/eks-token.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import { ENV } from '../runtime/env-contract.ts';
import { clusterRegionsOf, lambdaRegion, readEnv } from '../runtime/env.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { logger } from '../runtime/logger.ts';
import { clusterOf, mintToken, type TokenInput, type TokenOutput } from '../steps/token.ts';

const env = readEnv('mint-token');
const settings = { mappingId: env[ENV.mappingId] };
// A cluster of another region gets a token for its own region's STS host (the authenticator accepts any regional
// host of its partition; signing for the cluster's region is what `aws eks get-token --region` does).
const regionOf = clusterRegionsOf(env[ENV.clusterRegions], lambdaRegion());
// The function's role: Lambda puts its credentials in the environment.
const credentials = fromEnv();
const sealer = envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { credentials, timeLeft }));

/**
 * MintToken ({@link mintToken}): an EKS bearer token for the target's cluster with this function's role (the
 * identity the cluster's access entry maps), sealed: the token itself never enters the state.
 *
 * @throws InvalidInputError for a missing or bad cluster name or a bad region; TransientError from KMS.
 */
export async function handler(input: TokenInput, context?: InvocationContext): Promise<TokenOutput> {
  startInvocation(context, input);
  const clusterName = clusterOf(input);
  const signer = eksTokenSigner({ clusterName, region: regionOf(clusterName), credentials });
  const out = await mintToken({ signer, sealer }, settings);
  logger.info('minted EKS token', { mappingId: settings.mappingId, cluster: clusterName, expiresAt: out.expiresAt });
  return out;
}
