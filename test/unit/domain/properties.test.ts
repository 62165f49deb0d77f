import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { buildWrite, planMerge } from '../../../functions/domain/plan.ts';
import type { SecretMergePatch } from '../../../functions/domain/requests.ts';
import { parseSecretPayload } from '../../../functions/domain/secret-data.ts';
import type {
  ExistingSecret,
  MergePlan,
  Observation,
  SecretData,
  SourceVersion,
} from '../../../functions/domain/types.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const parsesToObject = (raw: string): boolean => {
  try {
    return isObject(JSON.parse(raw));
  } catch {
    return false;
  }
};

/** Any UTF-16 string, lone surrogates included. */
const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const anyText = fc.string({ unit: 'binary' });

describe('parseSecretPayload properties', () => {
  it('never throws when given any string or any bytes', () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16, anyText, fc.json()), (secretString) => {
        parseSecretPayload({ secretString });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array(), (secretBinary) => {
        const data = parseSecretPayload({ secretBinary });
        expect([...Buffer.from(data.value ?? '', 'base64')]).toStrictEqual([...secretBinary]);
        expect(Object.keys(data)).toStrictEqual(['value']);
      }),
    );
  });

  it('decodes back to the same strings when SecretString is a JSON object of strings', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, anyText), (object) => {
        const data = parseSecretPayload({ secretString: JSON.stringify(object) });
        expect(Object.keys(data).sort()).toStrictEqual(Object.keys(object).sort());
        for (const [key, value] of Object.entries(object)) expect(text(data[key] ?? '')).toBe(value);
      }),
    );
  });

  it('gives the compact JSON of every non-string value when SecretString is any JSON object', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.jsonValue()), (object) => {
        const raw = JSON.stringify(object, null, 2);
        const reparsed = JSON.parse(raw) as Record<string, unknown>;
        const data = parseSecretPayload({ secretString: raw });
        for (const [key, value] of Object.entries(reparsed)) {
          expect(text(data[key] ?? '')).toBe(typeof value === 'string' ? value : JSON.stringify(value));
        }
      }),
    );
  });

  it('gives exactly {value} with the raw string when SecretString is not a JSON object', () => {
    const notObject = fc
      .oneof(
        anyText,
        fc
          .jsonValue()
          .filter((v) => !isObject(v))
          .map((v) => JSON.stringify(v)),
      )
      .filter((raw) => !parsesToObject(raw));
    fc.assert(
      fc.property(notObject, (raw) => {
        expect(parseSecretPayload({ secretString: raw })).toStrictEqual({ value: b64(raw) });
      }),
    );
  });
});

const validKey = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', 'e', '__proto__', 'constructor', 'toString', 'tls.crt', '.x'),
  fc.stringMatching(/^[-._a-zA-Z0-9]{1,8}$/).filter((k) => k !== '.' && k !== '..'),
);
const value = fc.constantFrom(b64('1'), b64('2'), b64(''), 'YQ==');
const secretData = fc.dictionary(validKey, value, { maxKeys: 12 });
const dates = ['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z'];
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf';
const source: fc.Arbitrary<SourceVersion> = fc.record({
  arn: fc.constant(ARN),
  versionId: fc.constantFrom('v1', 'v2', 'v3'),
  createdDate: fc.constantFrom(...dates),
});
const existing: fc.Arbitrary<ExistingSecret | null> = fc.option(
  fc
    .record({
      data: secretData,
      managed: fc.array(validKey, { maxLength: 12 }),
      last: fc.option(source, { nil: undefined }),
    })
    .map(({ data, managed, last }) => ({
      resourceVersion: '9',
      type: 'Opaque',
      data,
      labels: {},
      annotations: last === undefined ? {} : sourceAnnotations(last, managed),
    })),
  { nil: null },
);
const scenario = fc.record({ desired: secretData, existing, source, prune: fc.boolean() });

function plan(
  desired: SecretData,
  secret: ExistingSecret | null,
  src: SourceVersion,
  prune: boolean,
): { observed: Observation; merge: MergePlan } {
  const observed = observe(desired, secret);
  const merge = planMerge(
    src,
    observed,
    { mappingId: 'm', prune, type: 'Opaque', labels: {}, annotations: {} },
    dates[2] ?? '',
  );
  return { observed, merge };
}

describe('observe properties', () => {
  it('partitions the desired keys exactly into same, changed and missing for any Secret', () => {
    fc.assert(
      fc.property(secretData, existing, (desired, secret) => {
        const seen = observe(desired, secret);
        const all = [...seen.same, ...seen.changed, ...seen.missing];
        expect(new Set(all).size).toBe(all.length);
        expect(all.sort()).toStrictEqual(Object.keys(desired).sort());
        const onlyThere = Object.keys(secret?.data ?? {}).filter((k) => !Object.hasOwn(desired, k));
        expect(seen.others.count + seen.dropped.length).toBe(onlyThere.length);
        for (const key of seen.dropped) expect(seen.managedKeys).toContain(key);
      }),
    );
  });
});

describe('planMerge properties', () => {
  it('never lists a key twice and prunes only managed keys that AWS dropped for any scenario', () => {
    fc.assert(
      fc.property(scenario, ({ desired, existing: secret, source: src, prune }) => {
        const { observed, merge } = plan(desired, secret, src, prune);
        const listed = [...merge.added, ...merge.updated, ...merge.unchanged, ...merge.pruned, ...merge.kept.names];
        expect(new Set(listed).size).toBe(listed.length);
        for (const key of merge.pruned) {
          expect(observed.managedKeys).toContain(key);
          expect(observed.others.names).not.toContain(key);
          expect(Object.hasOwn(desired, key)).toBe(false);
        }
        if (!prune) expect(merge.pruned).toStrictEqual([]);
        if (merge.action === 'create' || merge.action === 'update') {
          expect([...merge.added, ...merge.updated, ...merge.unchanged].sort()).toStrictEqual(
            Object.keys(desired).sort(),
          );
        }
      }),
    );
  });

  it('never prunes outside managedKeys or inside others when the observation is inconsistent', () => {
    const names = fc.array(validKey, { maxLength: 8 });
    const forged = fc.record({
      same: names,
      changed: names,
      missing: names,
      dropped: names,
      managedKeys: names,
      others: names,
    });
    fc.assert(
      fc.property(forged, (lists) => {
        const others = { count: lists.others.length, names: lists.others, truncated: false };
        const observed: Observation = { ...lists, exists: true, resourceVersion: '1', type: 'Opaque', others };
        const merge = planMerge(
          { arn: ARN, versionId: 'v', createdDate: dates[0] ?? '' },
          observed,
          { mappingId: 'm', prune: true, type: 'Opaque', labels: {}, annotations: {} },
          'now',
        );
        for (const key of merge.pruned) {
          expect(lists.managedKeys).toContain(key);
          expect(lists.others).not.toContain(key);
          expect([...lists.same, ...lists.changed, ...lists.missing]).not.toContain(key);
        }
      }),
    );
  });
});

describe('buildWrite properties', () => {
  it('patches exactly the added, updated and pruned keys for any update', () => {
    fc.assert(
      fc.property(scenario, ({ desired, existing: secret, source: src, prune }) => {
        const { merge } = plan(desired, secret, src, prune);
        fc.pre(merge.action === 'update');
        const patch = buildWrite(merge, desired, { namespace: 'n', name: 's', type: 'Opaque' }) as SecretMergePatch;
        const expected = [...merge.added, ...merge.updated, ...merge.pruned].sort();
        expect(Object.keys(patch.data).sort()).toStrictEqual(expected);
        for (const key of merge.pruned) expect(patch.data[key]).toBeNull();
        for (const key of [...merge.added, ...merge.updated]) expect(patch.data[key]).toBe(desired[key]);
        expect(patch.metadata.resourceVersion).toBe('9');
      }),
    );
  });
});
