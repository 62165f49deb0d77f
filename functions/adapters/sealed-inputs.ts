import { decodeSecretData } from '../domain/data-codec.ts';
import type { SecretData } from '../domain/types.ts';
import type { KeyService, Sealed } from '../domain/ports.ts';
import { unseal } from './seal.ts';

/** Opens the sealed secret data and token a Kubernetes step receives. */
export async function openInputs(
  keys: KeyService,
  mappingId: string,
  sealedData: Sealed,
  sealedToken: Sealed,
): Promise<{ desired: SecretData; token: string }> {
  const [data, token] = await Promise.all([
    unseal(keys, { mappingId, purpose: 'secret-data' }, sealedData),
    openToken(keys, mappingId, sealedToken),
  ]);
  return { desired: decodeSecretData(data), token };
}

/**
 * Opens the sealed EKS token alone, for a step that needs the cluster but no
 * secret value (the restart of workloads).
 *
 * @throws InvalidInputError when it is not a sealed token of this mapping.
 */
export async function openToken(keys: KeyService, mappingId: string, sealedToken: Sealed): Promise<string> {
  return (await unseal(keys, { mappingId, purpose: 'eks-token' }, sealedToken)).toString('utf8');
}
