/**
 * The ports the sync steps work through: narrow interfaces that the adapters
 * (functions/adapters) implement over AWS and Kubernetes, and that tests and
 * the CLI implement in memory. Types only.
 */

/**
 * An envelope-encrypted value carried in the state machine's state: a KMS
 * data key encrypted under the stack's KMS key, and the payload encrypted
 * with that data key (AES-256-GCM). Only holders of kms:Decrypt for the same
 * encryption context can open it, so state, logs and DLQ messages never hold
 * a secret value or a token in plain text.
 */
export interface Sealed {
  readonly v: 1;
  /** Encrypted data key (KMS CiphertextBlob), base64. */
  readonly key: string;
  readonly iv: string;
  readonly tag: string;
  /** AES-256-GCM ciphertext, base64. */
  readonly data: string;
}

/** What a seal is bound to: the mapping and what it holds. KMS checks it on decrypt. */
export interface SealContext {
  readonly mappingId: string;
  readonly purpose: 'secret-data' | 'eks-token';
}

/** The two KMS calls envelope encryption needs (implemented over KMS in functions/adapters/kms.ts). */
export interface KeyService {
  generateDataKey(context: SealContext): Promise<{ plaintext: Uint8Array; ciphertext: Uint8Array }>;
  decrypt(ciphertext: Uint8Array, context: SealContext): Promise<Uint8Array>;
}
