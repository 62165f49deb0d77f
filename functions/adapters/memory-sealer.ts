/**
 * Sealing without KMS, for a process that keeps what it seals: the CLI's
 * `plan`/`sync`, the benchmark baseline's in-process checks and the unit
 * tests. The same envelope as the Lambdas (functions/adapters/seal.ts), with
 * data keys wrapped by a random AES-256 key that lives only in this process's
 * memory instead of by KMS: real AES-256-GCM bound to the context, so a
 * value opened under another mapping or purpose fails as it would in AWS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.ts';
import type { KeyService, SealContext, Sealer } from '../domain/ports.ts';
import { envelopeSealer } from './seal.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

function contextBytes(context: SealContext): Buffer {
  return Buffer.from(JSON.stringify([context.mappingId, context.purpose]), 'utf8');
}

/**
 * A {@link KeyService} whose master key is 32 random bytes held in memory:
 * GenerateDataKey and Decrypt as KMS answers them, the encryption context
 * checked on decrypt.
 */
export function memoryKeyService(): KeyService {
  const master = randomBytes(32);
  return {
    async generateDataKey(context) {
      const plaintext = randomBytes(32);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(contextBytes(context));
      const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), wrapped]) };
    },
    async decrypt(ciphertext, context) {
      const blob = Buffer.from(ciphertext);
      try {
        const iv = blob.subarray(0, IV_BYTES);
        const decipher = createDecipheriv('aes-256-gcm', master, iv).setAAD(contextBytes(context));
        decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      } catch {
        const { purpose, mappingId } = context;
        throw new InvalidInputError(`the data key of a sealed ${purpose} does not open for mapping ${mappingId}`);
      }
    },
  };
}

/** A {@link Sealer} with a fresh in-memory master key: what it seals, only it can open. */
export function memorySealer(): Sealer {
  return envelopeSealer(memoryKeyService());
}
