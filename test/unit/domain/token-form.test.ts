import { describe, expect, it } from 'vitest';
import { TOKEN_PREFIX, tokenFromSealed, tokenToSeal } from '../../../functions/domain/token-form.ts';

const url =
  'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60' +
  '&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2F%2Bexample&X-Amz-Signature=0123456789abcdef';
const token = TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');

describe('the sealed form of an EKS token', () => {
  it('is the URL the token encodes, a quarter smaller than its text, and opens to the same token', () => {
    const bytes = tokenToSeal(token);
    expect(bytes.toString('utf8')).toBe(url);
    expect(bytes.length).toBeLessThan(token.length * 0.76);
    expect(tokenFromSealed(bytes)).toBe(token);
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
