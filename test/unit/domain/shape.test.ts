// Shaping a secret's value into the keys a mapping's `data` names: from, path, template, includeOtherKeys; the
// errors that name mapping, key and missing input but never a value; the synth-time problems; and properties over
// random JSON values, paths and templates (no crash, no value in any error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import {
  dataShapeOf,
  shapeProblems,
  shapeSecretData,
  type DataShape,
  type DataSource,
} from '../../../functions/domain/shape.ts';
import { parseTemplate, TemplateSyntaxError } from '../../../functions/domain/template.ts';

const text = (base64: string | undefined): string => Buffer.from(base64 ?? '', 'base64').toString('utf8');
const shape = (data: Record<string, DataSource>, includeOtherKeys = false): DataShape => ({ data, includeOtherKeys });
const WHERE = 'mapping "db" (secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf version v1)';

const RDS = {
  username: 'app',
  password: 'Ωs3cret/p@ss"word',
  host: 'db.internal',
  port: 5432,
  dbname: 'shop',
  engine: 'postgres',
  connection: { host: 'primary.internal', replicas: [{ host: 'r0.internal' }, { host: 'r1.internal' }] },
};
const rds = { secretString: JSON.stringify(RDS) };

function shapeError(payload: { secretString?: string; secretBinary?: Uint8Array }, s: DataShape): InvalidInputError {
  try {
    shapeSecretData(payload, s, WHERE);
  } catch (e) {
    if (e instanceof InvalidInputError) return e;
    throw e;
  }
  throw new Error('shaped');
}

describe('shapeSecretData', () => {
  it('gives every key as it is without a data spec', () => {
    expect(Object.keys(shapeSecretData(rds, undefined, WHERE)).sort()).toStrictEqual(Object.keys(RDS).sort());
  });

  it('produces exactly the named keys: renamed, from a path, from a template', () => {
    const out = shapeSecretData(
      rds,
      shape({
        DB_PASSWORD: { from: 'password' },
        DB_HOST: { path: 'connection.host' },
        REPLICA: { path: 'connection.replicas.1.host' },
        PORT: { from: 'port' },
        CONNECTION: { from: 'connection' },
        DATABASE_URL: {
          template: 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}',
        },
      }),
      WHERE,
    );
    expect(Object.keys(out).sort()).toStrictEqual([
      'CONNECTION',
      'DATABASE_URL',
      'DB_HOST',
      'DB_PASSWORD',
      'PORT',
      'REPLICA',
    ]);
    expect(text(out.DB_PASSWORD)).toBe(RDS.password);
    expect(text(out.DB_HOST)).toBe('primary.internal');
    expect(text(out.REPLICA)).toBe('r1.internal');
    expect(text(out.PORT)).toBe('5432');
    expect(text(out.CONNECTION)).toBe(JSON.stringify(RDS.connection));
    expect(text(out.DATABASE_URL)).toBe(`postgresql://app:${encodeURIComponent(RDS.password)}@db.internal:5432/shop`);
  });

  it('builds a valid .dockerconfigjson from a user and a password', () => {
    const template =
      '{"auths":{"registry.example.com":{"username":{{ username | json }},"password":{{ password | json }},' +
      '"auth":{{ username | append: ":" | append: password | base64_encode | json }}}}}';
    const out = shapeSecretData(rds, shape({ '.dockerconfigjson': { template } }), WHERE);
    const config = JSON.parse(text(out['.dockerconfigjson']));
    expect(config).toStrictEqual({
      auths: {
        'registry.example.com': {
          username: 'app',
          password: RDS.password,
          auth: Buffer.from(`app:${RDS.password}`).toString('base64'),
        },
      },
    });
  });

  it('with includeOtherKeys, also copies the top-level keys the spec does not read', () => {
    const out = shapeSecretData(
      rds,
      shape({ DB_PASSWORD: { from: 'password' }, URL: { template: '{{ host }}:{{ port }}' } }, true),
      WHERE,
    );
    expect(Object.keys(out).sort()).toStrictEqual(['DB_PASSWORD', 'URL', 'connection', 'dbname', 'engine', 'username']);
  });

  it('lets a produced key win over a copied key of the same name', () => {
    const out = shapeSecretData(rds, shape({ username: { template: 'u-{{ username }}' } }, true), WHERE);
    expect(text(out.username)).toBe('u-app');
  });

  it('keeps a produced or copied key named __proto__ as a key', () => {
    const payload = { secretString: '{"__proto__":"p","constructor":"c","toString":"t"}' };

    // JSON.parse, not an object literal: a literal's __proto__ would set the prototype.
    const data = JSON.parse('{"__proto__":{"from":"constructor"}}') as Record<string, DataSource>;

    const out = shapeSecretData(payload, shape(data, true), WHERE);

    expect(Object.keys(out).sort()).toStrictEqual(['__proto__', 'toString']);
    expect(text(Object.getOwnPropertyDescriptor(out, '__proto__')?.value)).toBe('c');
    expect(text(Object.getOwnPropertyDescriptor(out, 'toString')?.value)).toBe('t');
  });

  it('shapes a plain-text secret through its one key, value, and keeps binary bytes exact', () => {
    expect(
      text(
        shapeSecretData({ secretString: 'just text' }, shape({ TOKEN: { template: 'Bearer {{ value }}' } }), WHERE)
          .TOKEN,
      ),
    ).toBe('Bearer just text');
    const bytes = new Uint8Array([0, 255, 128, 7]);
    const out = shapeSecretData({ secretBinary: bytes }, shape({ 'keystore.p12': { from: 'value' } }), WHERE);
    expect([...Buffer.from(out['keystore.p12']!, 'base64')]).toStrictEqual([...bytes]);
  });

  it.each([
    [
      'a missing key',
      { DB_PASSWORD: { from: 'pasword' } },
      `${WHERE}: data key "DB_PASSWORD": from "pasword" resolves to nothing: the secret has no key "pasword" (the ` +
        `secret's top-level keys: "connection", "dbname", "engine", "host", "password", "port", "username"). Fix ` +
        `the AWS secret or the mapping's data.`,
    ],
    [
      'a path into a string',
      { DB_HOST: { path: 'host.name' } },
      `${WHERE}: data key "DB_HOST": path "host.name" resolves to nothing: "host" is a string, which has no key ` +
        `"name" (the secret's top-level keys: "connection", "dbname", "engine", "host", "password", "port", ` +
        `"username"). Fix the AWS secret or the mapping's data.`,
    ],
    [
      'an index past the end',
      { R: { path: 'connection.replicas.2.host' } },
      `${WHERE}: data key "R": path "connection.replicas.2.host" resolves to nothing: "connection.replicas" is a ` +
        `list of 2 without index "2" (the secret's top-level keys: "connection", "dbname", "engine", "host", ` +
        `"password", "port", "username"). Fix the AWS secret or the mapping's data.`,
    ],
    [
      'a template variable the secret lacks',
      { DATABASE_URL: { template: 'postgresql://{{ user }}@{{ host }}' } },
      `${WHERE}: data key "DATABASE_URL": the template reads "user", which resolves to nothing: the secret has no ` +
        `key "user" (the secret's top-level keys: "connection", "dbname", "engine", "host", "password", "port", ` +
        `"username"). Fix the AWS secret or the mapping's data.`,
    ],
    [
      'a filter that fails',
      { RAW: { template: '{{ password | base64_decode }}' } },
      `${WHERE}: data key "RAW": the template failed: the filter base64_decode got a value that is not base64. Fix ` +
        `the AWS secret or the mapping's data.`,
    ],
    [
      'a template that does not parse',
      { X: { template: '{{ password' } },
      `${WHERE}: data key "X": the template does not parse (at line 1, column 12: '{{' is not closed by '}}'). Fix ` +
        `the AWS secret or the mapping's data.`,
    ],
  ])('fails permanently for %s, naming mapping, key and input but no value', (_what, data, message) => {
    const e = shapeError(rds, shape(data as Record<string, DataSource>));
    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toBe(message);
    expect(e.message).not.toContain('Ω');
  });
});

describe('the sandbox of from, path and template (the shipped lookup)', () => {
  // Names every JavaScript object answers through its prototype or its type: none is a key of the secret, so
  // each must resolve to nothing and fail the whole shape (no key written), whatever the object model offers.
  const SANDBOX = ['constructor', 'constructor.name', '__proto__', '__proto__.x', 'toString', 'password.length'];
  const payload = { secretString: JSON.stringify({ password: 'Ωpass', nested: { a: 'b' } }) };
  const forms = SANDBOX.flatMap((name) => [
    ['template', name, { template: `{{ ${name} }}` }],
    ['from', name, { from: name }],
    ['path', name, { path: name }],
    ['path', `nested.${name}`, { path: `nested.${name}` }],
  ]) as [string, string, DataSource][];

  it.each(forms)('refuses %s %s with InvalidInputError and produces no key', (form, name, source) => {
    for (const includeOtherKeys of [false, true]) {
      const e = shapeError(payload, shape({ OUT: source, password: { from: 'password' } }, includeOtherKeys));

      expect(e).toBeInstanceOf(InvalidInputError);
      const what =
        form === 'template' ? `the template reads ${JSON.stringify(name)}, which` : `${form} ${JSON.stringify(name)}`;
      expect(e.message).toContain(`data key "OUT": ${what} resolves to nothing: `);
      expect(e.message).not.toContain('Ωpass');
    }
  });
});

describe('what a path that resolves to nothing says (mutation survivors of resolve and keyList)', () => {
  const odd = {
    nul: null,
    list: ['a', 'b'],
    n: 5,
    flag: true,
    ...Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'])),
  };
  const top = [...Object.keys(odd)].sort();
  const listed = `the secret's top-level keys: ${top
    .slice(0, 20)
    .map((k) => JSON.stringify(k))
    .join(', ')} and 5 more`;

  it.each([
    ['null', 'nul.x', '"nul" is null, which has no key "x"'],
    ['a list without that index', 'list.x', '"list" is a list of 2 without index "x"'],
    ['a list and a number with a suffix', 'list.1x', '"list" is a list of 2 without index "1x"'],
    ['a list and a number with a prefix', 'list.x1', '"list" is a list of 2 without index "x1"'],
    ['a list and a two-digit index', 'list.10', '"list" is a list of 2 without index "10"'],
    ['a number', 'n.x', '"n" is a number, which has no key "x"'],
    ['a boolean', 'flag.x', '"flag" is a boolean, which has no key "x"'],
  ])('names %s, and lists 20 top-level keys and how many more', (_what, path, why) => {
    const e = shapeError({ secretString: JSON.stringify(odd) }, shape({ OUT: { path } }));
    expect(e.message).toBe(
      `${WHERE}: data key "OUT": path ${JSON.stringify(path)} resolves to nothing: ${why} (${listed}). Fix the AWS ` +
        `secret or the mapping's data.`,
    );
  });

  it('reads a list by a two-digit index and names binary as binary', () => {
    const list = Array.from({ length: 11 }, (_, i) => `item${i}`);
    const out = shapeSecretData({ secretString: JSON.stringify({ list }) }, shape({ OUT: { path: 'list.10' } }), WHERE);
    expect(text(out.OUT)).toBe('item10');
    const e = shapeError({ secretBinary: new Uint8Array([1]) }, shape({ OUT: { path: 'value.x' } }));
    expect(e.message).toContain('"value" is binary, which has no key "x" (the secret\'s top-level keys: "value")');
  });

  it('says the secret has no keys when it has none', () => {
    const e = shapeError({ secretString: '{}' }, shape({ OUT: { from: 'x' } }));
    expect(e.message).toContain('the secret has no key "x" (the secret has no keys)');
  });
});

describe('shapeProblems', () => {
  it.each([
    [
      'an invalid produced key',
      'Opaque',
      { 'DB URL': { from: 'x' } },
      [
        ['data', 'DB URL'],
        `is not a valid Kubernetes Secret data key: it contains " "; a key may contain only letters, digits, '-', ` +
          `'_' and '.'`,
      ],
    ],
    [
      'an empty from',
      'Opaque',
      { A: { from: '' } },
      [['data', 'A', 'from'], 'is empty; expected a top-level key of the secret, such as password'],
    ],
    [
      'a bad path',
      'Opaque',
      { A: { path: 'a/b' } },
      [
        ['data', 'A', 'path'],
        `"a/b" is not a property path; expected names of letters, digits, '_' or '-' joined by '.', such as ` +
          `connection.host or hosts.0.name`,
      ],
    ],
    [
      'a template with a bad variable',
      'Opaque',
      { A: { template: '{{ a..b }}' } },
      [
        ['data', 'A', 'template'],
        `does not parse: at line 1, column 4: "a..b" is not a variable path; expected names of letters, digits, ` +
          `'_' or '-' joined by '.'`,
      ],
    ],
    [
      'a tls mapping without tls.key',
      'kubernetes.io/tls',
      { 'tls.crt': { from: 'cert' } },
      [
        ['data'],
        'does not produce "tls.key", which a Secret of type kubernetes.io/tls needs; add it (for example ' +
          '"tls.key": { from: <key> }) or set includeOtherKeys: true',
      ],
    ],
    [
      'a dockerconfigjson mapping without the key',
      'kubernetes.io/dockerconfigjson',
      { auth: { from: 'x' } },
      [
        ['data'],
        'does not produce ".dockerconfigjson", which a Secret of type kubernetes.io/dockerconfigjson needs; add it ' +
          '(for example ".dockerconfigjson": { from: <key> }) or set includeOtherKeys: true',
      ],
    ],
    [
      'a docker template without json escaping',
      'kubernetes.io/dockerconfigjson',
      { '.dockerconfigjson': { template: '{"auths":{"r":{"password":"{{ password }}"}}}' } },
      [
        ['data', '.dockerconfigjson', 'template'],
        'does not render a JSON document when a value holds a quote or a backslash; put each value through the ' +
          'json filter, e.g. "password": {{ password | json }}',
      ],
    ],
    [
      'a docker template without auths',
      'kubernetes.io/dockerconfigjson',
      { '.dockerconfigjson': { template: '{"registry":{{ password | json }}}' } },
      [
        ['data', '.dockerconfigjson', 'template'],
        'does not render a JSON object with an "auths" object; expected {"auths": {"<registry>": {"username": ..., ' +
          '"password": ..., "auth": ...}}}',
      ],
    ],
  ] as const)('reports %s with the field and the fix', (_what, type, data, [path, message]) => {
    expect(shapeProblems(shape(data as Record<string, DataSource>), type)).toStrictEqual([{ path, message }]);
  });

  it('accepts what the type needs, or includeOtherKeys for keys the secret gives', () => {
    expect(
      shapeProblems(shape({ 'tls.crt': { from: 'cert' }, 'tls.key': { path: 'key.pem' } }), 'kubernetes.io/tls'),
    ).toStrictEqual([]);
    expect(shapeProblems(shape({ 'ca.crt': { from: 'ca' } }, true), 'kubernetes.io/tls')).toStrictEqual([]);
  });

  it('normalizes the schema output to one source per key', () => {
    expect(dataShapeOf({ data: { A: { from: 'a', path: undefined } }, includeOtherKeys: undefined })).toStrictEqual(
      shape({ A: { from: 'a' } }),
    );
    expect(dataShapeOf({})).toBeUndefined();
  });
});

// Values carry Ω, which no key, path, template or message text has: an Ω in a message is a value.
const value = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `Ω${s}`);
const key = fc.oneof(
  fc.constantFrom('a', 'b', 'c-d', 'e_f', '0', '1', '__proto__', 'constructor', 'toString', 'length'),
  fc.stringMatching(/^[a-z0-9_-]{1,6}$/),
);
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    value,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    tie('object'),
    tie('array'),
  ),
  object: fc.dictionary(key, tie('node'), { maxKeys: 5 }),
  array: fc.array(tie('node'), { maxLength: 4 }),
})).object;
const path = fc.array(key, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.'));
const filter = fc.oneof(
  fc.constantFrom(' | base64_encode', ' | base64_decode', ' | url_encode', ' | json', ' | default: "x"'),
  path.map((p) => ` | append: ${p}`),
  path.map((p) => ` | default: ${p}`),
);
const expression = fc.tuple(path, fc.array(filter, { maxLength: 3 })).map(([p, fs]) => `{{ ${p}${fs.join('')} }}`);
const template = fc
  .array(fc.oneof(expression, fc.constantFrom('text', ':', '/', '@', '}}', '{"a":')), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));
const source: fc.Arbitrary<DataSource> = fc.oneof(
  key.map((from) => ({ from })),
  path.map((p) => ({ path: p })),
  template.map((t) => ({ template: t })),
);
const leaves = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [];

describe('shaping properties', () => {
  it('never crashes on any JSON value, path or template, and no error holds a value or its base64', () => {
    fc.assert(
      fc.property(
        json,
        fc.dictionary(fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/), source, { minKeys: 1, maxKeys: 4 }),
        fc.boolean(),
        (secret, data, others) => {
          try {
            shapeSecretData({ secretString: JSON.stringify(secret) }, shape(data, others), WHERE);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidInputError);
            const message = (e as Error).message;
            expect(message).not.toContain('Ω');
            for (const leaf of leaves(secret)) expect(message).not.toContain(Buffer.from(leaf).toString('base64'));
          }
        },
      ),
      { seed: 16, numRuns: 1000 },
    );
  });

  it('finds by path exactly what the JSON holds there', () => {
    const withPath = json.chain((secret) => {
      const paths: string[][] = [];
      const walk = (v: unknown, at: string[]) => {
        if (at.length > 0) paths.push(at);
        if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...at, k]);
      };
      walk(secret, []);
      return paths.length === 0 ? fc.constant(undefined) : fc.constantFrom(...paths).map((p) => ({ secret, p }));
    });
    fc.assert(
      fc.property(withPath, (pick) => {
        if (pick === undefined || !pick.p.every((s) => /^[A-Za-z0-9_-]+$/.test(s))) return;
        const expected = pick.p.reduce<unknown>((v, s) => (v as Record<string, unknown>)[s], pick.secret);
        const out = shapeSecretData(
          { secretString: JSON.stringify(pick.secret) },
          shape({ K: { path: pick.p.join('.') } }),
          WHERE,
        );
        expect(text(out.K)).toBe(typeof expected === 'string' ? expected : JSON.stringify(expected));
      }),
      { seed: 16, numRuns: 500 },
    );
  });

  it('parses any text either into a template or a TemplateSyntaxError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          template,
          fc.string({ unit: fc.constantFrom('{', '}', '%', '|', ':', '"', "'", ' ', 'a', '.', ',') }),
        ),
        (t) => {
          try {
            parseTemplate(t);
          } catch (e) {
            expect(e).toBeInstanceOf(TemplateSyntaxError);
          }
        },
      ),
      { seed: 16, numRuns: 2000 },
    );
  });
});
