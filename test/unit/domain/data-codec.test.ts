import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecretData, encodeSecretData } from '../../../functions/domain/data-codec.ts';
import { parseSecretPayload } from '../../../functions/domain/secret-data.ts';

const KEY = fc.stringMatching(/^[-._a-zA-Z0-9]{1,253}$/);
const VALUE = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));

describe('encodeSecretData / decodeSecretData', () => {
  it('round-trips any Kubernetes data, keys in order', () => {
    fc.assert(
      fc.property(fc.dictionary(KEY, VALUE, { maxKeys: 40 }), (data) => {
        // Entries, not the objects: fast-check also makes null-prototype dictionaries.
        expect(Object.entries(decodeSecretData(encodeSecretData(data)))).toStrictEqual(Object.entries(data));
      }),
    );
  });

  it('round-trips what FetchSecret parses, including a key named __proto__ and empty values', () => {
    const data = parseSecretPayload({ secretString: '{"__proto__":"x","empty":"","n":1,"nested":{"a":[1]},"ü":"é"}' });

    const back = decodeSecretData(encodeSecretData(data));

    expect(Object.keys(back)).toStrictEqual(['__proto__', 'empty', 'n', 'nested', 'ü']);
    expect(back).toStrictEqual(data);
  });

  it('is smaller than the JSON it replaces: raw value bytes instead of base64 text', () => {
    const data = { a: Buffer.alloc(48 * 1024, 7).toString('base64') };

    const binary = encodeSecretData(data).length;
    const json = Buffer.byteLength(JSON.stringify(data));

    expect(binary).toBe(1 + 4 + 1 + 4 + 48 * 1024);
    expect(binary / json).toBeLessThan(0.76);
  });

  it('still reads the earlier JSON form, so an execution sealed before an upgrade opens after it', () => {
    expect(decodeSecretData(Buffer.from('{"k":"dg=="}'))).toStrictEqual({ k: 'dg==' });
  });

  it.each([
    ['an unknown format', Buffer.of(0x02, 0, 0, 0, 0), 'sealed secret data has an unknown format'],
    ['a truncated length', Buffer.of(0x01, 0, 0), 'sealed secret data is truncated'],
    ['a length past the end', Buffer.of(0x01, 0, 0, 0, 9, 0x6b), 'sealed secret data is truncated'],
    ['a key without its value', Buffer.of(0x01, 0, 0, 0, 1, 0x6b), 'sealed secret data is truncated'],
  ])('refuses %s with InvalidInputError, quoting nothing', (_what, bytes, message) => {
    expect(() => decodeSecretData(bytes)).toThrowError(expect.objectContaining({ name: 'InvalidInputError', message }));
  });
});

describe('decodeSecretData errors', () => {
  it('does not quote bytes of the JSON form that are not JSON (JSON.parse would)', () => {
    const bytes = Buffer.from('{"password":"CANARY-CODEC-0001" broken');
    expect(() => decodeSecretData(bytes)).toThrow('sealed secret data in the JSON form is not valid JSON');
    try {
      decodeSecretData(bytes);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('CANARY');
    }
  });
});
