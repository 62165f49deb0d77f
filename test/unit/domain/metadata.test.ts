import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  dataHash,
  encodeManagedKeys,
  MANAGED_BY_LABEL,
  managedLabels,
  MAPPING_LABEL,
  readDataHashKey,
  readLastSource,
  readManagedKeys,
  sourceAnnotations,
} from '../../../functions/domain/metadata.ts';

const source = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf',
  versionId: 'v1',
  createdDate: '2026-11-01T10:00:00.000Z',
};

describe('metadata names', () => {
  it('uses the documented label and annotation names when writing', () => {
    expect(managedLabels('m1')).toStrictEqual({
      'app.kubernetes.io/managed-by': 'eks-secret-sync',
      'eks-secret-sync.io/mapping': 'm1',
    });
    expect([MANAGED_BY_LABEL, MAPPING_LABEL]).toStrictEqual([
      'app.kubernetes.io/managed-by',
      'eks-secret-sync.io/mapping',
    ]);
    expect(Object.values(ANNOTATIONS)).toStrictEqual([
      'eks-secret-sync.io/source-arn',
      'eks-secret-sync.io/source-version-id',
      'eks-secret-sync.io/source-created-date',
      'eks-secret-sync.io/source-current-at',
      'eks-secret-sync.io/managed-keys',
      'eks-secret-sync.io/synced-at',
      'eks-secret-sync.io/data-hash',
      'eks-secret-sync.io/data-hash-key',
      'eks-secret-sync.io/created-by',
    ]);
  });
});

describe('encodeManagedKeys', () => {
  it('writes a sorted compact JSON array without duplicates when given keys', () => {
    expect(encodeManagedKeys(['b', 'a', 'b'])).toBe('["a","b"]');
    expect(encodeManagedKeys([])).toBe('[]');
  });
});

describe('readLastSource', () => {
  it('reads back what sourceAnnotations wrote when the annotations are ours', () => {
    expect(readLastSource(sourceAnnotations(source, ['a']))).toStrictEqual(source);
  });

  const full = sourceAnnotations(source, []);
  const without = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(full).filter(([k]) => k !== name));
  it.each([
    ['no annotations', {}],
    ['no ARN', without(ANNOTATIONS.sourceArn)],
    ['no version id', without(ANNOTATIONS.sourceVersionId)],
    ['no created date', without(ANNOTATIONS.sourceCreatedDate)],
    ['an empty ARN', { ...full, [ANNOTATIONS.sourceArn]: '' }],
    ['a created date that is not a date', { ...full, [ANNOTATIONS.sourceCreatedDate]: 'yesterday' }],
    ['a value that is not a string', { ...full, [ANNOTATIONS.sourceVersionId]: 7 }],
  ])('returns undefined when there is %s', (_what, annotations) => {
    expect(readLastSource(annotations)).toBeUndefined();
  });
});

describe('readManagedKeys', () => {
  const withKeys = (value: unknown): Record<string, unknown> => ({ [ANNOTATIONS.managedKeys]: value });
  it.each([
    ['a sorted array', '["a","b"]', ['a', 'b']],
    ['an unsorted array with duplicates', '["b","a","b"]', ['a', 'b']],
    ['an empty array', '[]', []],
  ])('returns the keys when the annotation is %s', (_what, value, expected) => {
    expect(readManagedKeys(withKeys(value))).toStrictEqual(expected);
  });

  it.each([
    ['absent', {}],
    ['empty', withKeys('')],
    ['not JSON', withKeys('a,b')],
    ['a JSON object', withKeys('{"a":1}')],
    ['a JSON string', withKeys('"a"')],
    ['an array with a non-string', withKeys('["a",1]')],
    ['not a string', withKeys(['a'])],
    ['inherited from the prototype', Object.create({ [ANNOTATIONS.managedKeys]: '["a"]' }) as Record<string, unknown>],
  ])('returns no keys when the annotation is %s', (_what, annotations) => {
    expect(readManagedKeys(annotations)).toStrictEqual([]);
  });
});

describe('dataHash', () => {
  const key = Buffer.alloc(32, 7);
  const b64 = (t: string) => Buffer.from(t).toString('base64');

  it('matches the documented algorithm as an independent HMAC computes it (Python hmac, docs/operations.md)', () => {
    // python3: hmac.new(bytes([7])*32, b'[["a","MQ=="],["b","Mg=="]]', hashlib.sha256).hexdigest()
    expect(dataHash(key, { b: b64('2'), a: b64('1') })).toBe(
      'hmac-sha256:38a99ed0de5ca908b893bd78e716b13b8effacdc1f4329f660f29bd944c54c8a',
    );
  });

  it('is the same for the same bytes in another base64 form, and differs when a value, a name or the key does', () => {
    const h = dataHash(key, { a: 'YQ' + '==' });
    expect(dataHash(key, { a: 'YQ' })).toBe(h);
    expect(dataHash(key, { a: b64('b') })).not.toBe(h);
    expect(dataHash(key, { b: 'YQ==' })).not.toBe(h);
    expect(dataHash(Buffer.alloc(32, 8), { a: 'YQ==' })).not.toBe(h);
  });
});

describe('readDataHashKey', () => {
  const good = Buffer.alloc(32, 9).toString('base64');
  it('reads a key of 32 bytes in canonical base64', () => {
    expect(readDataHashKey({ [ANNOTATIONS.dataHashKey]: good })).toStrictEqual(Buffer.alloc(32, 9));
  });

  it.each([
    ['no annotation', {}],
    ['16 bytes', { [ANNOTATIONS.dataHashKey]: Buffer.alloc(16).toString('base64') }],
    ['not base64', { [ANNOTATIONS.dataHashKey]: `${good.slice(0, -2)}!=` }],
    ['not canonical base64', { [ANNOTATIONS.dataHashKey]: good.replace(/=$/, '') }],
    ['not a string', { [ANNOTATIONS.dataHashKey]: 7 }],
  ])('treats %s as no key', (_what, annotations) => {
    expect(readDataHashKey(annotations)).toBeUndefined();
  });
});
