/**
 * Opening what the state carries sealed: the secret data and the EKS token of
 * one mapping. Shared by the steps that need them (read, apply, restart).
 */
import { decodeSecretData } from '../domain/data-codec.ts';
import type { Sealed, Sealer } from '../domain/ports.ts';
import { tokenFromSealed } from '../domain/token-form.ts';
import type { SecretData } from '../domain/types.ts';

/**
 * Opens the sealed Kubernetes data of a mapping.
 *
 * @throws InvalidInputError when it is not sealed data of this mapping, or was tampered with.
 */
export async function openData(sealer: Sealer, mappingId: string, sealedData: Sealed): Promise<SecretData> {
  return decodeSecretData(Buffer.from(await sealer.open({ mappingId, purpose: 'secret-data' }, sealedData)));
}

/**
 * Opens the sealed EKS token of a mapping. The token is a credential: it goes to the Kubernetes port only.
 *
 * @throws InvalidInputError when it is not a sealed token of this mapping, or was tampered with.
 */
export async function openToken(sealer: Sealer, mappingId: string, sealedToken: Sealed): Promise<string> {
  return tokenFromSealed(await sealer.open({ mappingId, purpose: 'eks-token' }, sealedToken));
}
