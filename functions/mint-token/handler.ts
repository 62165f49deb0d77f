import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { TokenOutput } from '../domain/contract.ts';
import { mintEksToken } from '../adapters/eks-token.ts';
import { requireEnv } from '../runtime/env.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { logger } from '../runtime/logger.ts';
import { seal } from '../adapters/seal.ts';

const MAPPING_ID = requireEnv('MAPPING_ID');
const CLUSTER_NAME = requireEnv('CLUSTER_NAME');
const REGION = requireEnv('AWS_REGION');
// The function's role: Lambda puts its credentials in the environment.
const credentials = fromEnv();
const keys = kmsKeyService(requireEnv('SEAL_KEY_ID'), { credentials });

/**
 * Mints an EKS bearer token with this function's role (the identity the
 * cluster's access entry maps) and seals it: the token itself never enters
 * the state.
 *
 * @throws InvalidInputError for a bad cluster name or region; TransientError from KMS.
 */
export async function handler(): Promise<TokenOutput> {
  const { token, expiresAt } = await mintEksToken({
    clusterName: CLUSTER_NAME,
    region: REGION,
    credentials: await credentials(),
  });
  const sealedToken = await seal(keys, { mappingId: MAPPING_ID, purpose: 'eks-token' }, Buffer.from(token, 'utf8'));
  logger.info('minted EKS token', { mappingId: MAPPING_ID, cluster: CLUSTER_NAME, expiresAt });
  return { sealedToken, expiresAt };
}
