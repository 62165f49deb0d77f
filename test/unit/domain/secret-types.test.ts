import { describe, expect, it } from 'vitest';
import {
  assertRequiredKeys,
  isSecretType,
  missingRequiredKeys,
  validateTypedValues,
} from '../../../functions/domain/secret-types.ts';
import type { SecretType } from '../../../functions/domain/types.ts';
import { InvalidInputError } from '../../../functions/domain/errors.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('missingRequiredKeys', () => {
  it.each<[SecretType, string[], string[]]>([
    ['Opaque', [], []],
    ['kubernetes.io/tls', ['tls.crt', 'tls.key', 'ca.crt'], []],
    ['kubernetes.io/tls', ['tls.crt'], ['tls.key']],
    ['kubernetes.io/tls', [], ['tls.crt', 'tls.key']],
    ['kubernetes.io/dockerconfigjson', ['.dockerconfigjson'], []],
    ['kubernetes.io/dockerconfigjson', ['dockerconfigjson'], ['.dockerconfigjson']],
  ])('for %s with keys %j returns %j', (type, keys, expected) => {
    expect(missingRequiredKeys(type, keys)).toStrictEqual(expected);
  });
});

describe('assertRequiredKeys', () => {
  it('names the missing keys and the type when keys are missing', () => {
    const act = (): void => assertRequiredKeys('kubernetes.io/tls', ['tls.crt'], 'Mapping "m"');
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(
      new RegExp(
        /^Mapping "m": a Secret of type kubernetes.io\/tls needs the data key "tls.key", /.source +
          /.*Add it to the AWS secret, or change the mapping's type\.$/.source,
      ),
    );
  });

  it('says pruning is the cause when a required key is being pruned', () => {
    expect(() => assertRequiredKeys('kubernetes.io/tls', ['tls.crt'], 'ctx', { pruned: ['tls.key'] })).toThrow(
      /pruning would remove it/,
    );
  });

  it('reports only pruned keys when the key list is partial', () => {
    expect(() => assertRequiredKeys('kubernetes.io/tls', [], 'ctx', { partial: true })).not.toThrow();
    expect(() => assertRequiredKeys('kubernetes.io/tls', [], 'ctx', { partial: true, pruned: ['tls.key'] })).toThrow(
      /needs the data key "tls.key"/,
    );
  });
});

describe('isSecretType', () => {
  it.each([
    ['Opaque', true],
    ['kubernetes.io/tls', true],
    ['kubernetes.io/dockerconfigjson', true],
    ['kubernetes.io/basic-auth', false],
    [undefined, false],
  ])('tells %s is %s', (value, expected) => {
    expect(isSecretType(value)).toBe(expected);
  });
});

describe('validateTypedValues', () => {
  const secretish = 'hunter2-do-not-leak';
  it.each([
    ['a JSON object with auths', '{"auths":{"r.example":{"auth":"x"}}}'],
    ['empty auths', '{"auths":{}}'],
  ])('accepts .dockerconfigjson when it is %s', (_what, json) => {
    expect(() =>
      validateTypedValues('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64(json) }),
    ).not.toThrow();
  });

  it.each([
    ['not JSON', `not json ${secretish}`, /it is not a JSON object/],
    ['a JSON array', `["${secretish}"]`, /it is not a JSON object/],
    ['an object without auths', `{"creds":"${secretish}"}`, /"auths" is missing or not an object/],
    ['auths as a string', `{"auths":"${secretish}"}`, /"auths" is missing or not an object/],
    ['auths as an array', `{"auths":["${secretish}"]}`, /"auths" is missing or not an object/],
    ['auths as null', '{"auths":null}', /"auths" is missing or not an object/],
  ])('throws without quoting the value when .dockerconfigjson is %s', (_what, json, reason) => {
    const act = (): void => validateTypedValues('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64(json) });
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(reason);
    expect(act).not.toThrow(secretish);
    expect(act).not.toThrow(b64(json));
  });

  it('checks nothing when the type has no value rules or the key is absent', () => {
    expect(() => validateTypedValues('Opaque', { '.dockerconfigjson': b64('garbage') })).not.toThrow();
    expect(() => validateTypedValues('kubernetes.io/tls', { 'tls.crt': b64('garbage') })).not.toThrow();
    expect(() => validateTypedValues('kubernetes.io/dockerconfigjson', {})).not.toThrow();
  });
});
