// A mapping's `data` and `includeOtherKeys` at synth time: every problem named with the mapping, the field, what is
// wrong and what is right; and the one environment variable, DATA_SHAPE, that carries the spec to FetchSecret.
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { dataShapeOf } from '../../functions/domain/shape.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { dataShapeEnvValue, dataShapeFrom, MAX_DATA_SHAPE_BYTES } from '../../functions/runtime/options.ts';
import { functionId, synth, type Synthesized } from '../support/infra.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-Ab12Cd';
const M0 = 'mappings[0] (id "db")';
const DATABASE_URL = 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}';

/** A data spec too large for the function's environment. */
const BIG = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`URL_${i}`, { template: DATABASE_URL }]));

function mapping(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'db', secretArn: ARN, cluster: { name: 'prod' }, namespace: 'shop', secretName: 'db', ...overrides };
}

function problems(...mappings: Record<string, unknown>[]): readonly string[] {
  try {
    parseMappings(stringify({ mappings }), 'test.yaml');
  } catch (e) {
    if (e instanceof MappingsError) return e.problems;
    throw e;
  }
  return [];
}

describe('data in the mappings file', () => {
  it('accepts renamed keys, paths and templates, and keeps them as written', () => {
    const data = {
      DB_PASSWORD: { from: 'password' },
      DB_HOST: { path: 'connection.host' },
      DATABASE_URL: { template: DATABASE_URL },
    };
    const config = parseMappings(stringify({ mappings: [mapping({ data, includeOtherKeys: true })] }), 'test.yaml');
    expect(dataShapeOf(config.mappings[0]!)).toStrictEqual({ data, includeOtherKeys: true });
  });

  it.each([
    [
      'a template that does not parse',
      { data: { URL: { template: 'postgresql://{{ username' } } },
      `${M0}: data.URL.template: does not parse: at line 1, column 25: '{{' is not closed by '}}'`,
    ],
    [
      'an unknown filter',
      { data: { URL: { template: '{{ password | b64enc }}' } } },
      `${M0}: data.URL.template: does not parse: at line 1, column 15: unknown filter "b64enc"; the filters are ` +
        `base64_encode, base64_decode, url_encode, json, default, append, prepend`,
    ],
    [
      'a bad path',
      { data: { HOST: { path: 'connection[0].host' } } },
      `${M0}: data.HOST.path: "connection[0].host" is not a property path; expected names of letters, digits, '_' ` +
        `or '-' joined by '.', such as connection.host or hosts.0.name`,
    ],
    [
      'a produced key Kubernetes refuses',
      { data: { 'DB URL': { from: 'url' } } },
      `${M0}: data["DB URL"]: is not a valid Kubernetes Secret data key: it contains " "; a key may contain only ` +
        `letters, digits, '-', '_' and '.'`,
    ],
    [
      'two sources for one key',
      { data: { A: { from: 'a', template: '{{ a }}' } } },
      `${M0}: data.A: names from and template; expected exactly one of { from: <key> }, { path: <a.b.0.c> } or { ` +
        `template: "...{{ key }}..." }`,
    ],
    [
      'no source',
      { data: { A: {} } },
      `${M0}: data.A: names no source; expected exactly one of { from: <key> }, { path: <a.b.0.c> } or { template: ` +
        `"...{{ key }}..." }`,
    ],
    [
      'a tls mapping that cannot produce tls.key',
      { type: 'kubernetes.io/tls', data: { 'tls.crt': { from: 'certificate' } } },
      `${M0}: data: does not produce "tls.key", which a Secret of type kubernetes.io/tls needs; add it (for ` +
        `example "tls.key": { from: <key> }) or set includeOtherKeys: true`,
    ],
    [
      'a docker config template that breaks on a quote',
      {
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': { template: '{"auths":{"r":{"auth":"{{ auth }}"}}}' } },
      },
      `${M0}: data[".dockerconfigjson"].template: does not render a JSON document when a value holds a quote or a ` +
        `backslash; put each value through the json filter, e.g. "password": {{ password | json }}`,
    ],
    [
      'includeOtherKeys without data',
      { includeOtherKeys: true },
      `${M0}: includeOtherKeys: takes effect only with data; remove it, or add data naming the keys to produce`,
    ],
    [
      'a spec too large for the function environment',
      { data: BIG },
      `${M0}: data: takes ${dataShapeEnvValue(dataShapeOf({ data: BIG })!).length} bytes as the fetch function's ` +
        `environment variable ${ENV.dataShape}, over the ${MAX_DATA_SHAPE_BYTES} it may take (Lambda allows 4 KB for ` +
        `all of a function's variables); shorten the templates or split the secret across mappings`,
    ],
  ])('reports %s with the mapping, the field, the problem and the fix', (_what, overrides, expected) => {
    expect(problems(mapping(overrides))).toStrictEqual([expected]);
  });

  it('reports a misspelt source field, and that the entry then names no source', () => {
    expect(problems(mapping({ data: { A: { form: 'a' } } }))).toStrictEqual([
      `${M0}: data.A: unknown field "form"; check the spelling against mappings.example.yaml`,
      `${M0}: data.A: names no source; expected exactly one of { from: <key> }, { path: <a.b.0.c> } or { template: ` +
        `"...{{ key }}..." }`,
    ]);
  });

  it('accepts a tls or docker mapping whose keys come from the secret itself with includeOtherKeys', () => {
    expect(
      problems(mapping({ type: 'kubernetes.io/tls', data: { 'ca.crt': { from: 'ca' } }, includeOtherKeys: true })),
    ).toStrictEqual([]);
  });
});

describe('DATA_SHAPE', () => {
  let s: Synthesized;
  const data = { DATABASE_URL: { template: DATABASE_URL }, DB_PASSWORD: { from: 'password' } };
  const yaml = stringify({
    mappings: [
      mapping({ data }),
      mapping({ id: 'plain', secretName: 'plain', secretArn: ARN.replace('prod/db', 'prod/plain') }),
    ],
  });

  beforeAll(() => {
    s = synth(yaml);
  }, 120_000);

  const envOf = (id: string) =>
    s.resources[functionId(s, id, 'fetch-secret')]!.Properties!.Environment.Variables as Record<string, unknown>;

  it('is set on the fetch function of a mapping with data, as the function reads it back', () => {
    const value = envOf('db')[ENV.dataShape];
    expect(value).toBe(dataShapeEnvValue({ data, includeOtherKeys: false }));
    expect(dataShapeFrom({ [ENV.dataShape]: value as string })).toStrictEqual({ data, includeOtherKeys: false });
  });

  it('is absent without data, and no other function of the mapping gets it', () => {
    expect(envOf('plain')).not.toHaveProperty(ENV.dataShape);
    const others = Object.values(s.resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties?.Environment ?? {}).includes(ENV.dataShape),
    );
    expect(others).toHaveLength(1);
  });
});

describe('dataShapeFrom', () => {
  it.each([
    ['not JSON', '{', 'environment variable DATA_SHAPE is not valid JSON'],
    [
      'two sources in one entry',
      '{"data":{"A":{"from":"a","path":"b"}},"includeOtherKeys":false}',
      'DATA_SHAPE must be JSON {"data": {"<key>": {"from"|"path"|"template": "...", "stage"?: "..."}}, ' +
        '"includeOtherKeys": true|false}',
    ],
    [
      'a template that does not parse',
      '{"data":{"A":{"template":"{{ a"}},"includeOtherKeys":false}',
      "DATA_SHAPE: data.A.template: does not parse: at line 1, column 5: '{{' is not closed by '}}'",
    ],
  ])('refuses %s at init with a ConfigError', (_what, value, message) => {
    expect(() => dataShapeFrom({ [ENV.dataShape]: value })).toThrow(message);
  });
});
