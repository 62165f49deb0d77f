import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.ts';
import type { KeyService, Sealed, SealContext, Sealer } from '../domain/ports.ts';

/**
 * The {@link Sealer} port over envelope encryption: a fresh data key from
 * `keys` per value (KMS GenerateDataKey in the Lambdas), AES-256-GCM with
 * the context as additional authenticated data.
 */
export function envelopeSealer(keys: KeyService): Sealer {
  return {
    seal: (context, plaintext) => seal(keys, context, plaintext),
    open: (context, sealed) => unseal(keys, context, sealed),
  };
}

function aad(context: SealContext): Buffer {
  return Buffer.from(`${context.mappingId}\n${context.purpose}`, 'utf8');
}

/** Encrypts `plaintext` under a fresh data key bound to `context`. */
export async function seal(keys: KeyService, context: SealContext, plaintext: Uint8Array): Promise<Sealed> {
  const dk = await keys.generateDataKey(context);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dk.plaintext, iv).setAAD(aad(context));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  dk.plaintext.fill(0);
  return {
    v: 1,
    key: Buffer.from(dk.ciphertext).toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/**
 * Decrypts a {@link Sealed} value.
 *
 * @throws InvalidInputError when the value is not a sealed envelope or was tampered with.
 */
export async function unseal(keys: KeyService, context: SealContext, sealed: unknown): Promise<Buffer> {
  if (!isSealed(sealed)) {
    throw new InvalidInputError(`state holds no sealed ${context.purpose} for mapping ${context.mappingId}`);
  }
  const key = await keys.decrypt(Buffer.from(sealed.key, 'base64'), context);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64')).setAAD(aad(context));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    throw new InvalidInputError(`sealed ${context.purpose} for mapping ${context.mappingId} failed authentication`);
  } finally {
    key.fill(0);
  }
}

function isSealed(x: unknown): x is Sealed {
  const s = x as Sealed;
  return !!s && s.v === 1 && [s.key, s.iv, s.tag, s.data].every((f) => typeof f === 'string');
}
