import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  encodeManagedKeys,
  MANAGED_BY_LABEL,
  managedLabels,
  MAPPING_LABEL,
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
