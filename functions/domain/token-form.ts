/**
 * The form an EKS bearer token is sealed in. The token is `k8s-aws-v1.` + unpadded base64url of a pre-signed
 * URL; sealing the URL's bytes, deflated, instead of the token's text makes the sealed token about 40% smaller,
 * and the sealed token travels in most states of a sync (its log volume, docs/performance.md). Pure: raw deflate
 * is computation, no I/O (the only other built-in the domain uses, beside hashing).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Every token starts with this; the authenticator rejects anything else. */
export const TOKEN_PREFIX = 'k8s-aws-v1.';

/** What a pre-signed URL starts with; a token's text never does (it starts with {@link TOKEN_PREFIX}). */
const URL_START = 'https://';

/**
 * The first byte of the deflated form: neither a URL's nor a token's text starts with a NUL byte, so the three
 * forms cannot be taken for one another.
 */
const DEFLATED = 0;

/**
 * The bytes to seal for `token`: a marker byte and the URL it encodes, deflated (the query's names, the
 * credential scope and the percent-encoded session token repeat); the token's own text when it is not of that form.
 */
export function tokenToSeal(token: string): Buffer {
  const body = token.startsWith(TOKEN_PREFIX) ? token.slice(TOKEN_PREFIX.length) : undefined;
  const url = body === undefined ? undefined : Buffer.from(body, 'base64url');
  // Only a body that round-trips is compacted, so the opened token is byte for byte the one minted.
  const compact = url && url.toString('base64url') === body && url.toString('latin1').startsWith(URL_START);
  return compact ? Buffer.concat([Buffer.of(DEFLATED), deflateRawSync(url, { level: 9 })]) : Buffer.from(token, 'utf8');
}

/**
 * The token from the bytes that were sealed ({@link tokenToSeal}); a token sealed as its URL or whole (by earlier
 * versions of the functions, still in flight during a deploy) opens as well.
 */
export function tokenFromSealed(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  const url = b[0] === DEFLATED ? inflateRawSync(b.subarray(1)) : b;
  return url.toString('latin1').startsWith(URL_START) ? TOKEN_PREFIX + url.toString('base64url') : b.toString('utf8');
}
