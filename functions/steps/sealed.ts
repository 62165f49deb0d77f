/**
 * Opening what the state carries sealed: the secret data of one mapping. Shared by the steps that need it (read,
 * apply). No token travels: each Kubernetes step signs its own (functions/runtime/signer.ts).
 */
import { decodeSecretData } from '../domain/data-codec.ts';
import type { Sealed, Sealer } from '../domain/ports.ts';
import type { SecretData } from '../domain/types.ts';

/**
 * Opens the sealed Kubernetes data of a mapping.
 *
 * @throws InvalidInputError when it is not sealed data of this mapping, or was tampered with.
 */
export async function openData(sealer: Sealer, mappingId: string, sealedData: Sealed): Promise<SecretData> {
  return decodeSecretData(Buffer.from(await sealer.open({ mappingId, purpose: 'secret-data' }, sealedData)));
}
