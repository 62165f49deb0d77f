import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import type { ExistingSecret, SecretData } from '../../../functions/domain/types.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const source = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf',
  versionId: 'v1',
  createdDate: '2026-11-01T10:00:00.000Z',
};

function existing(data: SecretData, annotations: Record<string, string> = {}): ExistingSecret {
  return { resourceVersion: '42', type: 'Opaque', data, labels: {}, annotations };
}

describe('observe', () => {
  it('lists every desired key as missing when the Secret does not exist', () => {
    expect(observe({ b: b64('2'), a: b64('1') }, null)).toStrictEqual({
      exists: false,
      managedKeys: [],
      same: [],
      changed: [],
      missing: ['a', 'b'],
      others: { count: 0, names: [], truncated: false },
      dropped: [],
    });
  });

  it.each([
    ['equal values', { a: b64('1') }, { a: b64('1') }, { same: ['a'], changed: [], missing: [] }],
    ['different values', { a: b64('1') }, { a: b64('2') }, { same: [], changed: ['a'], missing: [] }],
    ['an absent key', { a: b64('1') }, {}, { same: [], changed: [], missing: ['a'] }],
    ['empty values', { a: '' }, { a: '' }, { same: ['a'], changed: [], missing: [] }],
    ['equal bytes spelt differently in base64', { a: 'YQ==' }, { a: 'YQ' }, { same: ['a'], changed: [], missing: [] }],
    [
      'keys named like Object.prototype members',
      { constructor: b64('1'), toString: b64('2') },
      { toString: b64('2') },
      { same: ['toString'], changed: [], missing: ['constructor'] },
    ],
  ])('sorts AWS keys into same/changed/missing when Kubernetes has %s', (_what, desired, data, expected) => {
    const seen = observe(desired, existing(data));
    expect({ same: seen.same, changed: seen.changed, missing: seen.missing }).toStrictEqual(expected);
  });

  it('splits Kubernetes-only keys into dropped and others by the managed-keys annotation', () => {
    const annotations = { [ANNOTATIONS.managedKeys]: '["a","gone","never-there"]' };
    const seen = observe(
      { a: b64('1') },
      existing({ a: b64('1'), gone: b64('x'), mine: b64('y'), zz: b64('z') }, annotations),
    );
    expect(seen.dropped).toStrictEqual(['gone']);
    expect(seen.others).toStrictEqual({ count: 2, names: ['mine', 'zz'], truncated: false });
    expect(seen.managedKeys).toStrictEqual(['a', 'gone', 'never-there']);
  });

  it('treats every Kubernetes-only key as others when the managed-keys annotation is garbage', () => {
    const seen = observe({}, existing({ a: b64('1') }, { [ANNOTATIONS.managedKeys]: '{not json' }));
    expect(seen.dropped).toStrictEqual([]);
    expect(seen.others.names).toStrictEqual(['a']);
    expect(seen.managedKeys).toStrictEqual([]);
  });

  it('counts all others but lists a bounded number when Kubernetes holds many other keys', () => {
    const data = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`other-key-${String(i).padStart(4, '0')}`, b64('v')]),
    );
    const seen = observe({}, existing(data));
    expect(seen.others.count).toBe(1000);
    expect(seen.others.truncated).toBe(true);
    expect(seen.others.names.join('').length).toBeLessThanOrEqual(4096);
  });

  it('copies resourceVersion, type, lastSource and managedKeys when the Secret exists', () => {
    const seen = observe(
      { a: b64('1') },
      { ...existing({}, sourceAnnotations(source, ['a'])), type: 'kubernetes.io/tls' },
    );
    expect(seen).toMatchObject({
      exists: true,
      resourceVersion: '42',
      type: 'kubernetes.io/tls',
      lastSource: source,
      managedKeys: ['a'],
    });
  });

  it('has no lastSource when the Secret has no source annotations', () => {
    expect(observe({}, existing({}))).not.toHaveProperty('lastSource');
  });

  it('carries no value when it compares values', () => {
    const secret = 'hunter2-unique-value';
    const seen = observe({ a: b64(secret) }, existing({ a: b64(`${secret}-old`), b: b64(secret) }));
    const text = JSON.stringify(seen);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(b64(secret));
  });
});
