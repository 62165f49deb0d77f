import type { SecretData } from './domain/types.ts';
import type { KeyService, Sealed } from './seal.ts';
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
    unseal(keys, { mappingId, purpose: 'eks-token' }, sealedToken),
  ]);
  return { desired: JSON.parse(data.toString('utf8')) as SecretData, token: token.toString('utf8') };
}
