import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TOKEN_PREFIX, tokenFromSealed, tokenToSeal } from '../../../functions/domain/token-form.ts';

const url =
  'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261204%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261204T020516Z' +
  '&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id' +
  `&X-Amz-Security-Token=${encodeURIComponent(Buffer.from('session '.repeat(90)).toString('base64'))}` +
  '&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const token = TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');

describe('the sealed form of an EKS token', () => {
  it('is the URL the token encodes, deflated behind a NUL byte, smaller than the URL, and opens to the same token', () => {
    const bytes = tokenToSeal(token);
    expect(bytes[0]).toBe(0);
    expect(inflateRawSync(bytes.subarray(1)).toString('utf8')).toBe(url);
    expect(bytes.length).toBeLessThan(url.length * 0.8);
    expect(tokenFromSealed(bytes)).toBe(token);
  });

  it('opens a token sealed as its URL by the previous version of the functions', () => {
    expect(tokenFromSealed(Buffer.from(url, 'utf8'))).toBe(token);
  });

  it.each([
    ['a text that is no token', 'token'],
    ['a token whose body is not a URL', `${TOKEN_PREFIX}${Buffer.from('not a url').toString('base64url')}`],
    ['a token whose body does not round-trip (padding)', `${TOKEN_PREFIX}${Buffer.from(url).toString('base64')}`],
  ])('keeps %s whole, and opens it as it was', (_what, text) => {
    expect(tokenToSeal(text).toString('utf8')).toBe(text);
    expect(tokenFromSealed(tokenToSeal(text))).toBe(text);
  });

  it('opens a token sealed whole by an earlier version of the functions (a sync in flight during a deploy)', () => {
    expect(tokenFromSealed(Buffer.from(token, 'utf8'))).toBe(token);
  });
});
