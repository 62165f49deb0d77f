/**
 * The form an EKS bearer token is sealed in. The token is `k8s-aws-v1.` + unpadded base64url of a pre-signed
 * URL; sealing the URL's bytes instead of the token's text makes the sealed token a quarter smaller, and the
 * sealed token travels in most states of a sync (its log volume, docs/performance.md). Pure.
 */

/** Every token starts with this; the authenticator rejects anything else. */
export const TOKEN_PREFIX = 'k8s-aws-v1.';

/** What a pre-signed URL starts with; a token's text never does (it starts with {@link TOKEN_PREFIX}). */
const URL_START = 'https://';

/** The bytes to seal for `token`: the URL it encodes, or the token's own text when it is not of that form. */
export function tokenToSeal(token: string): Buffer {
  const body = token.startsWith(TOKEN_PREFIX) ? token.slice(TOKEN_PREFIX.length) : undefined;
  const url = body === undefined ? undefined : Buffer.from(body, 'base64url');
  // Only a body that round-trips is compacted, so the opened token is byte for byte the one minted.
  const compact = url && url.toString('base64url') === body && url.toString('latin1').startsWith(URL_START);
  return compact ? url : Buffer.from(token, 'utf8');
}

/**
 * The token from the bytes that were sealed ({@link tokenToSeal}); a token sealed whole (by an earlier version
 * of the functions, still in flight during a deploy) is returned as it is.
 */
export function tokenFromSealed(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  return b.toString('latin1').startsWith(URL_START) ? TOKEN_PREFIX + b.toString('base64url') : b.toString('utf8');
}
