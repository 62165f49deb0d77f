import { describe, expect, it } from 'vitest';
import {
  assertValidKeys,
  assertWithinSizeLimit,
  displayKey,
  invalidKeyReasons,
  parseSecretPayload,
  SECRET_DATA_LIMIT_BYTES,
  secretDataBytes,
} from '../../../functions/domain/secret-data.ts';
import { InvalidInputError } from '../../../functions/domain/errors.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

describe('parseSecretPayload', () => {
  it.each([
    ['string values as they are', '{"user":"admin","pass":"p@ss wörd"}', { user: 'admin', pass: 'p@ss wörd' }],
    ['a number as its JSON text', '{"port":5432}', { port: '5432' }],
    ['a float as its JSON text', '{"ratio":1.5e3}', { ratio: '1500' }],
    ['a boolean as its JSON text', '{"tls":true}', { tls: 'true' }],
    ['null as its JSON text', '{"x":null}', { x: 'null' }],
    ['a nested object as compact JSON', '{"cfg": { "a" : [1, 2] }}', { cfg: '{"a":[1,2]}' }],
    ['an array as compact JSON', '{"list":[ "a", {"b":1} ]}', { list: '["a",{"b":1}]' }],
    ['an empty string value as empty', '{"empty":""}', { empty: '' }],
    ['a "__proto__" key as a plain key', '{"__proto__":"x"}', { ['__proto__']: 'x' }],
    ['the last of duplicate keys', '{"a":"1","a":"2"}', { a: '2' }],
    ['no keys for an empty object', '{}', {}],
  ])('gives %s when SecretString is a JSON object', (_what, secretString, expected) => {
    const data = parseSecretPayload({ secretString });
    const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, text(v)]));
    expect(decoded).toStrictEqual(Object.fromEntries(Object.entries(expected)));
    expect(Object.keys(data)).toStrictEqual(Object.keys(expected));
  });

  it.each([
    ['invalid JSON', '{"user": admin}'],
    ['plain text', 'hunter2'],
    ['an empty string', ''],
    ['a JSON array', '["a","b"]'],
    ['a JSON string', '"quoted"'],
    ['a JSON number', '42'],
    ['a JSON boolean', 'false'],
    ['JSON null', 'null'],
    ['text with surrounding whitespace', '  not json \n'],
  ])('wraps the raw string as {value} when SecretString is %s', (_what, secretString) => {
    const data = parseSecretPayload({ secretString });
    expect(data).toStrictEqual({ value: b64(secretString) });
  });

  it('keeps the bytes unchanged under value when only SecretBinary is present', () => {
    const bytes = new Uint8Array([0, 255, 1, 128, 10, 13]);
    const data = parseSecretPayload({ secretBinary: bytes });
    expect([...Buffer.from(data.value ?? '', 'base64')]).toStrictEqual([...bytes]);
  });

  it('prefers SecretString when both are present', () => {
    const data = parseSecretPayload({ secretString: '{"a":"b"}', secretBinary: new Uint8Array([1]) });
    expect(data).toStrictEqual({ a: b64('b') });
  });

  it('throws InvalidInputError when neither SecretString nor SecretBinary is present', () => {
    expect(() => parseSecretPayload({})).toThrow(InvalidInputError);
    expect(() => parseSecretPayload({})).toThrow(/neither SecretString nor SecretBinary/);
  });
});

describe('invalidKeyReasons', () => {
  it.each([
    ['letters, digits and -._', ['a-b_c.d', 'A9', '.dockerconfigjson', 'tls.crt', '...', '-']],
    ['exactly 253 characters', ['k'.repeat(253)]],
  ])('finds nothing when keys have %s', (_what, keys) => {
    expect(invalidKeyReasons(keys)).toStrictEqual([]);
  });

  it.each([
    ['a space', 'db user', /contains " "/],
    ['a slash', 'a/b', /contains "\/"/],
    ['non-ASCII letters', 'clé', /contains "é"/],
    ['254 characters', 'k'.repeat(254), /is 254 bytes long \(at most 253\)/],
    ['".."', '..', /reserved/],
    ['"."', '.', /reserved/],
    ['nothing at all', '', /is empty/],
  ])('reports a key with %s', (_what, key, reason) => {
    const found = invalidKeyReasons([key]);
    expect(found).toHaveLength(1);
    expect(found[0]?.key).toBe(key);
    expect(found[0]?.reason).toMatch(reason);
  });

  it('gives both reasons when a key is too long and has bad characters', () => {
    const [found] = invalidKeyReasons([`${'x'.repeat(260)} y`]);
    expect(found?.reason).toMatch(/contains " " and is 262 bytes long/);
  });

  it('lists every bad key once, sorted, when several are bad', () => {
    const found = invalidKeyReasons(['ok', 'z z', 'a:b', 'z z']);
    expect(found.map((f) => f.key)).toStrictEqual(['a:b', 'z z']);
  });
});

describe('assertValidKeys', () => {
  it('passes when every key is valid or there are no keys', () => {
    expect(() => assertValidKeys(['a', 'b.c'], 'ctx')).not.toThrow();
    expect(() => assertValidKeys([], 'ctx')).not.toThrow();
  });

  it('names every bad key with its reason and the fix when keys are bad', () => {
    const act = (): void => assertValidKeys(['good', 'db user', 'a/b', '..'], 'Mapping "m1"');
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(
      new RegExp(
        /^Mapping "m1": 3 keys are not valid Kubernetes Secret data keys: "\.\." is reserved .*; /.source +
          /"a\/b" contains "\/"; "db user" contains " "\. Rename them in the AWS secret: /.source,
      ),
    );
  });

  it('truncates a huge key in the message when one key is too long', () => {
    const key = `${'x'.repeat(5000)}!`;
    let message = '';
    try {
      assertValidKeys([key], 'ctx');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/"x{60}…" \(5001 characters\) contains "!" and is 5001 bytes long/);
    expect(message.length).toBeLessThan(600);
    expect(message).toMatch(/Rename it in the AWS secret/);
  });
});

describe('displayKey', () => {
  it('quotes a short key as JSON when it is short', () => {
    expect(displayKey('a"b')).toBe('"a\\"b"');
  });

  it('never splits a surrogate pair when it cuts a long key', () => {
    const shown = displayKey('😀'.repeat(100));
    expect(shown).toBe(`"${'😀'.repeat(60)}…" (100 characters)`);
  });
});

describe('secretDataBytes', () => {
  it.each([
    [{}, 0],
    [{ a: b64('') }, 0],
    [{ a: b64('a') }, 1],
    [{ a: b64('ab'), b: b64('abc') }, 5],
    [{ a: b64('é') }, 2],
  ])('sums decoded bytes when data is %j', (data, bytes) => {
    expect(secretDataBytes(data)).toBe(bytes);
  });
});

describe('assertWithinSizeLimit', () => {
  const exactly = (n: number): string => Buffer.alloc(n, 1).toString('base64');

  it('passes when the data is exactly 1 MiB', () => {
    expect(() => assertWithinSizeLimit({ a: exactly(SECRET_DATA_LIMIT_BYTES) }, 'ctx')).not.toThrow();
  });

  it('throws InvalidInputError when data and kept bytes exceed 1 MiB', () => {
    const act = (): void => assertWithinSizeLimit({ a: exactly(SECRET_DATA_LIMIT_BYTES) }, 'ctx', 1);
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(/1048577 bytes, over the Kubernetes limit of 1048576/);
  });
});
