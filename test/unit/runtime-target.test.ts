import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidInputError } from '../../functions/domain/errors.ts';
import type { TargetRef } from '../../functions/domain/target.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { allowedEndpointsFrom, namespaceOf, secretOf } from '../../functions/runtime/target.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const target: TargetRef = { name: 'prod/app/app-config', cluster: 'prod', namespace: 'app', secretName: 'app-config' };
const PROD = 'https://ABC.gr7.us-east-1.eks.amazonaws.com';
const env = (endpoints: string | undefined) => ({ [ENV.mappingId]: 'app-config', [ENV.clusterEndpoints]: endpoints });
const allowed = allowedEndpointsFrom(env(JSON.stringify([PROD, 'https://other.example'])));

describe('allowedEndpointsFrom', () => {
  it('reads the JSON array of the mapping cluster endpoints', () => {
    expect(allowed).toStrictEqual({ mappingId: 'app-config', endpoints: [PROD, 'https://other.example'] });
  });

  it.each([
    ['missing', undefined],
    ['not JSON', 'https://x'],
    ['empty', '[]'],
    ['not URLs', '["ABC.eks.amazonaws.com"]'],
    ['an object', '{"prod":"https://x"}'],
  ])('refuses a value that is %s, naming the variable', (_what, value) => {
    expect(() => allowedEndpointsFrom(env(value))).toThrow(ConfigError);
    expect(() => allowedEndpointsFrom(env(value))).toThrow(/CLUSTER_ENDPOINTS must be a non-empty JSON array/);
  });
});

describe('namespaceOf / secretOf with the allow-list', () => {
  it("goes to an endpoint of the mapping's", () => {
    expect(secretOf(target, { prod: { endpoint: PROD, ca: CA } }, allowed)).toMatchObject({
      server: PROD,
      namespace: 'app',
      name: 'app-config',
    });
  });

  it('refuses any other endpoint the input names, naming mapping, target, endpoint and the fix', () => {
    const evil = { prod: { endpoint: 'https://attacker.example', ca: CA } };
    for (const f of [() => namespaceOf(target, evil, allowed), () => secretOf(target, evil, allowed)]) {
      expect(f).toThrow(InvalidInputError);
      expect(f).toThrow(
        'target prod/app/app-config: the endpoint https://attacker.example of cluster prod is not one of mapping ' +
          "app-config's cluster endpoints (CLUSTER_ENDPOINTS)",
      );
      expect(f).toThrow(/redeploy the stack/);
    }
  });

  it('compares the whole URL: a prefix or another port of an allowed endpoint is refused', () => {
    for (const endpoint of [`${PROD}.attacker.example`, `${PROD}:8443`, PROD.toLowerCase()]) {
      expect(() => namespaceOf(target, { prod: { endpoint, ca: CA } }, allowed)).toThrow(InvalidInputError);
    }
  });
});
