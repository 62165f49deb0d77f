/**
 * Positive controls of the leak scanner (test/support/leak-scanner.ts): each
 * encoding is produced here by an independent encoder (not the scanner's),
 * planted after 0 to 3 bytes of other text, and must be found. Negative
 * controls: ciphertext of the value and a different value are not findings.
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import { describeLeaks, encodingsOf, scanForLeaks, scanForMarkers, SUBSTRING_LENGTH } from '../support/leak-scanner.ts';

/** A value whose every encoding differs from its raw form (quotes, slash, plus, space, non-ASCII, backslash). */
const VALUE = `pa"ss wörd/+&=${randomUUID()}\\?>~`;
const SECRET = [{ label: 'canary', value: VALUE }];

/**
 * Independent encoders: how a value could reach a surface, after the `prefix`
 * bytes; and the encoding the scanner must name for it (a prefix of its name:
 * `base64@` accepts any alignment, as the plant's alignment follows the prefix).
 */
const PLANTS: Record<string, { plant: (prefix: string) => string; expect: string }> = {
  raw: { plant: (p) => `${p}${VALUE} and more`, expect: 'raw' },
  'json in a log line': { plant: (p) => JSON.stringify({ message: `${p}${VALUE}"quoted"` }), expect: 'json' },
  'json inside json (a cause)': {
    plant: (p) => JSON.stringify({ cause: JSON.stringify({ errorMessage: `${p}${VALUE}\n` }) }),
    expect: 'json-twice',
  },
  'url-encoded query': {
    plant: (p) => `https://example.test/?q=${encodeURIComponent(`${p}${VALUE} x`)}`,
    expect: 'url',
  },
  'form-encoded body': { plant: (p) => new URLSearchParams({ password: `${p}${VALUE} x` }).toString(), expect: 'form' },
  hex: { plant: (p) => Buffer.from(`${p}${VALUE}`).toString('hex'), expect: 'hex' },
  'hex upper': { plant: (p) => Buffer.from(`${p}${VALUE}`).toString('hex').toUpperCase(), expect: 'HEX' },
  base64: { plant: (p) => Buffer.from(`${p}${VALUE}tail`).toString('base64'), expect: 'base64@' },
  'base64 of a JSON SecretString': {
    plant: (p) =>
      Buffer.from(JSON.stringify({ [`k${p}`]: 'v', s: VALUE.slice(0, 3) })).toString('base64') +
      Buffer.from(`${p}${VALUE}`).toString('base64'),
    expect: 'base64@',
  },
  base64url: { plant: (p) => Buffer.from(`${p}${VALUE}tail`).toString('base64url'), expect: 'base64url@' },
  'a 12-character substring': {
    plant: (p) => `${p}…${VALUE.slice(20, 20 + SUBSTRING_LENGTH)}…`,
    expect: `substring(${SUBSTRING_LENGTH})`,
  },
};

describe('scanForLeaks', () => {
  it.each(Object.keys(PLANTS).flatMap((name) => [0, 1, 2, 3].map((offset) => [name, offset] as const)))(
    'finds the value planted as %s after %i bytes',
    (name, offset) => {
      // Prepare
      const { plant, expect: encoding } = PLANTS[name]!;
      const text = `surface text ${plant('x'.repeat(offset))} end`;
      // Act
      const leaks = scanForLeaks(text, SECRET);
      // Assess
      expect(
        leaks.map((l) => l.encoding),
        `not found as ${encoding} in ${name}`,
      ).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${encoding.replace(/[()]/g, '\\$&')}`))]));
      expect(leaks.every((l) => l.label === 'canary')).toBe(true);
    },
  );

  it('finds nothing in AES-256-GCM ciphertext of the value, in any of its encodings', () => {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
    const ct = Buffer.concat([cipher.update(VALUE), cipher.final()]);
    const text = [ct.toString('base64'), ct.toString('base64url'), ct.toString('hex')].join('\n');
    expect(scanForLeaks(text, SECRET)).toEqual([]);
  });

  it('finds nothing for a different value of the same shape', () => {
    expect(
      scanForLeaks(`canary-${randomUUID()} ${Buffer.from(`canary-${randomUUID()}`).toString('base64')}`, SECRET),
    ).toEqual([]);
  });

  it('names the secret and the encoding, never the value, when it describes a leak', () => {
    const text = describeLeaks(scanForLeaks(Buffer.from(VALUE).toString('hex'), SECRET));
    expect(text).toContain('canary as hex at');
    expect(scanForLeaks(text, SECRET)).toEqual([]);
  });

  it('refuses a secret too short to search meaningfully', () => {
    expect(() => scanForLeaks('x', [{ label: 'short', value: 'abc' }])).toThrow(/shorter than 12/);
  });

  it('searches base64 and base64url at every byte alignment', () => {
    const names = encodingsOf(VALUE).map((e) => e.encoding);
    for (const k of [0, 1, 2]) expect(names).toEqual(expect.arrayContaining([`base64@${k}`, `base64url@${k}`]));
  });
});

describe('scanForMarkers', () => {
  it('finds a freshly minted EKS token, and the token and its signature as secrets', async () => {
    const { token } = await mintEksToken({
      clusterName: 'demo',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    expect(scanForMarkers(`log: ${token}`).length).toBeGreaterThan(0);
    // The token without its prefix: the base64url STS URL is still recognized.
    expect(scanForMarkers(`log: ${token.slice(11)}`).length).toBeGreaterThan(0);
    const secrets = [
      { label: 'token', value: token },
      { label: 'signature', value: signature },
    ];
    expect(scanForLeaks(`x${JSON.stringify({ t: token })}`, secrets).map((l) => l.label)).toContain('token');
    expect(scanForLeaks(`sig=${signature.slice(3, 40)}`, secrets).map((l) => l.label)).toContain('signature');
  });

  it('finds nothing in text without a token', () => {
    expect(
      scanForMarkers('FetchSecret: version 1 (2026-11-27), 3 keys; ReadSecret: token signed, plan update'),
    ).toEqual([]);
  });
});
