/**
 * The plaintext inside a sealed `secret-data` envelope: the Kubernetes data
 * (key -> base64 value) with the values as raw bytes.
 *
 * Why not JSON (it made a 64 KiB secret about 113 KB of state, raw bytes about
 * 88 KB): docs/decisions.md#sealed-data-as-raw-bytes-the-data-codec.
 *
 * Layout: the byte 0x01, then per key `u32 key length, key (UTF-8), u32 value
 * length, value bytes`, big-endian lengths, keys in the data's order.
 * A plaintext starting with `{` is the earlier JSON form, still read so that an
 * execution sealed before an upgrade opens after it.
 */
import { InvalidInputError } from './errors.ts';
import type { SecretData } from './types.ts';

const FORMAT = 0x01;

/** Encodes Kubernetes data (base64 values) as the sealed plaintext. */
export function encodeSecretData(data: SecretData): Buffer {
  const parts: Buffer[] = [Buffer.of(FORMAT)];
  for (const [key, value] of Object.entries(data)) {
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(value, 'base64');
    parts.push(u32(k.length), k, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/**
 * Decodes {@link encodeSecretData}'s bytes (or the earlier JSON form) back to Kubernetes data.
 *
 * @throws InvalidInputError when the bytes are neither form (never quoting them: they are secret).
 */
export function decodeSecretData(bytes: Buffer): SecretData {
  if (bytes[0] === 0x7b) {
    try {
      return JSON.parse(bytes.toString('utf8')) as SecretData;
    } catch {
      // JSON.parse's message quotes the input: these bytes are secret.
      throw new InvalidInputError('sealed secret data in the JSON form is not valid JSON');
    }
  }
  if (bytes[0] !== FORMAT) throw new InvalidInputError('sealed secret data has an unknown format');
  const entries: [string, string][] = [];
  let at = 1;
  const take = (): Buffer => {
    if (at + 4 > bytes.length) throw new InvalidInputError('sealed secret data is truncated');
    const n = bytes.readUInt32BE(at);
    if (at + 4 + n > bytes.length) throw new InvalidInputError('sealed secret data is truncated');
    const out = bytes.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return out;
  };
  while (at < bytes.length) {
    const key = take().toString('utf8');
    entries.push([key, take().toString('base64')]);
  }
  // fromEntries defines own properties: a key named __proto__ (valid in Kubernetes) stays a key.
  return Object.fromEntries(entries);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
