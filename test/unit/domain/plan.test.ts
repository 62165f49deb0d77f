import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  dataHash,
  newDataHashAnnotations,
  sourceAnnotations,
} from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { planMerge } from '../../../functions/domain/plan.ts';
import type {
  MergeOptions,
  Observation,
  SecretData,
  SecretType,
  SourceVersion,
} from '../../../functions/domain/types.ts';
import { InvalidInputError } from '../../../functions/domain/errors.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf';
const OTHER_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:other-XyZ123';
const NOW = '2026-11-05T12:00:00.000Z';
const v1: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z' };
const v2: SourceVersion = { arn: ARN, versionId: 'v2', createdDate: '2026-11-02T10:00:00.000Z' };
const v2sameDate: SourceVersion = { ...v1, versionId: 'v1b', current: true };
const v2sameDateNotCurrent: SourceVersion = { ...v1, versionId: 'v1b', current: false };

function options(over: Partial<MergeOptions> = {}): MergeOptions {
  return { mappingId: 'db', prune: false, type: 'Opaque', labels: {}, annotations: {}, ...over };
}

const HASH_KEY = Buffer.alloc(32, 7);

/**
 * Observes `desired` against a Secret last written from `last` with `data` (keys `managed` written by us), its
 * data hash recorded over the managed keys as ApplySecret writes it.
 */
function seen(
  desired: SecretData,
  data: SecretData,
  last?: SourceVersion,
  managed?: string[],
  type = 'Opaque',
): Observation {
  const keys = managed ?? Object.keys(data);
  const written = Object.fromEntries(keys.map((k) => [k, data[k] ?? '']));
  const annotations =
    last === undefined ? {} : { ...sourceAnnotations(last, keys), ...newDataHashAnnotations(HASH_KEY, written) };
  return observe(desired, { resourceVersion: '7', type, data, labels: {}, annotations });
}

const A = { a: b64('1') };
const AB = { a: b64('1'), b: b64('2') };

describe('planMerge: action', () => {
  it.each<[string, SourceVersion, Observation, Partial<MergeOptions>, string]>([
    ['creates when the Secret does not exist', v1, observe(AB, null), {}, 'create'],
    ['updates when the recorded version is older', v2, seen(AB, A, v1), {}, 'update'],
    ['skips when the recorded version is newer', v1, seen(AB, A, v2), {}, 'skip-stale'],
    [
      'updates when another version has the same created date and the incoming one is AWSCURRENT',
      v2sameDate,
      seen(AB, A, v1),
      {},
      'update',
    ],
    [
      'skips when another version has the same created date and the incoming one is no longer AWSCURRENT',
      v2sameDateNotCurrent,
      seen(AB, A, v1),
      {},
      'skip-stale',
    ],
    [
      'skips when another version has the same created date and currency is unknown',
      { ...v1, versionId: 'v1c' },
      seen(AB, A, v1),
      {},
      'skip-stale',
    ],
    ['does nothing when the version and data are already there', v1, seen(AB, AB, v1), {}, 'none'],
    [
      'does nothing when the version is there and kept keys are not ours',
      v1,
      seen(A, { ...A, x: b64('x') }, v1, ['a']),
      {},
      'none',
    ],
    [
      'updates when someone edited a value since the same version was written',
      v1,
      seen(AB, { ...AB, a: b64('edited') }, v1),
      {},
      'update',
    ],
    ['updates only metadata when a new version has the same values', v2, seen(AB, AB, v1), {}, 'update'],
    ['updates when it adopts a Secret without our annotations', v1, seen(AB, AB), {}, 'update'],
    [
      'updates only metadata when the data hash is not recorded (written before the data hash existed)',
      v1,
      observe(AB, {
        resourceVersion: '7',
        type: 'Opaque',
        data: AB,
        labels: {},
        annotations: sourceAnnotations(v1, ['a', 'b']),
      }),
      {},
      'update',
    ],
    [
      "updates only metadata when the recorded data hash is not the data's (someone edited it)",
      v1,
      observe(AB, {
        resourceVersion: '7',
        type: 'Opaque',
        data: AB,
        labels: {},
        annotations: { ...sourceAnnotations(v1, ['a', 'b']), ...newDataHashAnnotations(HASH_KEY, A) },
      }),
      {},
      'update',
    ],
    [
      'updates the managed keys when AWS dropped a key and prune is off',
      v1,
      seen(A, AB, v1),
      { prune: false },
      'update',
    ],
    ['updates when AWS dropped a key and prune is on', v1, seen(A, AB, v1), { prune: true }, 'update'],
    ['treats a missing type as Opaque when the Secret exists', v1, seen(AB, AB, v1, undefined, ''), {}, 'none'],
    [
      'ignores a stale version when it skips before checking the type',
      v1,
      seen(AB, A, v2, undefined, 'kubernetes.io/tls'),
      {},
      'skip-stale',
    ],
  ])('%s', (_what, source, observed, over, action) => {
    expect(planMerge(source, observed, options(over), NOW).action).toBe(action);
  });

  it('names both versions when it skips a stale one', () => {
    expect(planMerge(v1, seen(AB, A, v2), options(), NOW).reason).toBe(
      'The Secret holds version v2 created 2026-11-02T10:00:00.000Z, newer than version v1 created ' +
        '2026-11-01T10:00:00.000Z: the older version is not written.',
    );
  });

  it('says only the annotations change when a new version has the same values', () => {
    const plan = planMerge(v2, seen(AB, AB, v1), options(), NOW);
    expect(plan).toMatchObject({ added: [], updated: [], pruned: [], unchanged: ['a', 'b'] });
    expect(plan.reason).toMatch(/record version v2 in the annotations/);
    expect(plan.annotations[ANNOTATIONS.sourceVersionId]).toBe('v2');
  });
});

describe('planMerge: keys', () => {
  const data = { same: b64('s'), changed: b64('old'), gone: b64('g'), theirs: b64('t') };
  const desired = { same: b64('s'), changed: b64('new'), fresh: b64('f') };
  const observed = seen(desired, data, v1, ['same', 'changed', 'gone']);

  it.each([
    [
      false,
      {
        added: ['fresh'],
        updated: ['changed'],
        unchanged: ['same'],
        pruned: [],
        kept: { count: 2, names: ['gone', 'theirs'], truncated: false },
      },
    ],
    [
      true,
      {
        added: ['fresh'],
        updated: ['changed'],
        unchanged: ['same'],
        pruned: ['gone'],
        kept: { count: 1, names: ['theirs'], truncated: false },
      },
    ],
  ])('sorts keys into categories when prune is %s', (prune, expected) => {
    expect(planMerge(v2, observed, options({ prune }), NOW)).toMatchObject(expected);
  });

  it('adds every desired key when it creates', () => {
    expect(planMerge(v1, observe(desired, null), options(), NOW)).toMatchObject({
      added: ['changed', 'fresh', 'same'],
      updated: [],
      unchanged: [],
      pruned: [],
      kept: { count: 0 },
    });
  });

  it('never prunes a dropped key the observation does not list as managed', () => {
    const forged: Observation = { ...observed, managedKeys: ['same'] };
    const plan = planMerge(v2, forged, options({ prune: true }), NOW);
    expect(plan.pruned).toStrictEqual([]);
    expect(plan.kept.names).toContain('gone');
  });

  it('lists no keys at all when it skips a stale version', () => {
    expect(planMerge(v1, seen(desired, data, v2), options({ prune: true }), NOW)).toMatchObject({
      added: [],
      updated: [],
      unchanged: [],
      pruned: [],
      kept: { count: 0 },
    });
  });
});

describe('planMerge: metadata', () => {
  const over = {
    labels: { team: 'db', 'app.kubernetes.io/managed-by': 'helm' },
    annotations: { note: 'x', [ANNOTATIONS.sourceArn]: 'forged' },
  };

  it.each([
    ['create', v1, observe(AB, null), undefined],
    ['update', v2, seen(AB, A, v1), '7'],
  ])(
    "writes our labels and annotations over the mapping's when it plans a %s",
    (action, source, observed, resourceVersion) => {
      const plan = planMerge(source, observed, options(over), NOW);
      expect(plan.action).toBe(action);
      expect(plan.resourceVersion).toBe(resourceVersion);
      expect(plan.labels).toStrictEqual({
        team: 'db',
        'app.kubernetes.io/managed-by': 'eks-secret-sync',
        'eks-secret-sync.io/mapping': 'db',
      });
      expect(plan.annotations).toStrictEqual({
        note: 'x',
        'eks-secret-sync.io/source-arn': ARN,
        'eks-secret-sync.io/source-version-id': source.versionId,
        'eks-secret-sync.io/source-created-date': source.createdDate,
        'eks-secret-sync.io/managed-keys': '["a","b"]',
        'eks-secret-sync.io/synced-at': NOW,
        ...(action === 'create' && { 'eks-secret-sync.io/created-by': 'eks-secret-sync' }),
        ...(action === 'update' && { 'eks-secret-sync.io/data-hash': dataHash(HASH_KEY, AB) }),
      });
    },
  );

  it.each([
    ['none', v1, seen(AB, AB, v1)],
    ['skip-stale', v1, seen(AB, A, v2)],
  ])('writes no metadata and no resourceVersion when the action is %s', (action, source, observed) => {
    const plan = planMerge(source, observed, options(over), NOW);
    expect(plan).toMatchObject({ action, labels: {}, annotations: {} });
    expect(plan.resourceVersion).toBeUndefined();
  });
});

describe('planMerge: refusals', () => {
  const TLS: SecretType = 'kubernetes.io/tls';
  const tlsData = { 'tls.crt': b64('c'), 'tls.key': b64('k') };
  it.each<[string, SourceVersion, Observation, Partial<MergeOptions>, RegExp]>([
    [
      'the Secret was written from another AWS secret',
      v2,
      seen(AB, A, { ...v1, arn: OTHER_ARN }),
      {},
      /^Mapping "db": the Secret was written from arn:.*:other-XyZ123, not from arn:.*:db-AbCdEf; .*Fix the mapping/,
    ],
    [
      'the Secret has another type',
      v2,
      seen(AB, A, v1, undefined, 'Opaque'),
      { type: 'kubernetes.io/tls' },
      new RegExp(
        /the Secret has type "Opaque" but the mapping asks for kubernetes.io\/tls, /.source +
          /and a Secret's type cannot change\. Delete the Secret .* or set the mapping's type to "Opaque"/.source,
      ),
    ],
    [
      'a tls Secret would be created without tls.key',
      v1,
      observe({ 'tls.crt': b64('c') }, null),
      { type: 'kubernetes.io/tls' },
      /a Secret of type kubernetes.io\/tls needs the data key "tls.key"/,
    ],
    [
      'a dockerconfigjson Secret would lack .dockerconfigjson',
      v2,
      seen(A, A, v1, undefined, 'kubernetes.io/dockerconfigjson'),
      { type: 'kubernetes.io/dockerconfigjson' },
      /kubernetes.io\/dockerconfigjson needs the data key "\.dockerconfigjson"/,
    ],
    [
      'pruning would remove a key the type requires',
      v2,
      seen({ 'tls.crt': b64('c') }, tlsData, v1, undefined, 'kubernetes.io/tls'),
      { type: 'kubernetes.io/tls', prune: true },
      /needs the data key "tls.key", which the result would lack \(pruning would remove it\)/,
    ],
    [
      'an AWS key is not a valid data key',
      v1,
      observe({ 'bad key': b64('x') }, null),
      {},
      /^Mapping "db": 1 key is not valid .*"bad key" contains " "/,
    ],
    [
      'the incoming created date is not a date',
      { ...v1, createdDate: 'soon' },
      observe(A, null),
      {},
      /createdDate "soon" is not an ISO 8601 date/,
    ],
  ])('throws InvalidInputError when %s', (_what, source, observed, over, message) => {
    const act = (): unknown => planMerge(source, observed, options(over), NOW);
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(message);
  });

  it.each([
    [
      'keeps a required key written by someone else',
      seen({ 'tls.crt': b64('c') }, tlsData, v1, ['tls.crt'], TLS),
      'update',
    ],
    [
      'cannot see every kept key',
      {
        ...seen({ 'tls.crt': b64('c') }, { 'tls.crt': b64('c') }, v1, undefined, TLS),
        others: { count: 5000, names: [], truncated: true },
      },
      'update',
    ],
  ])('accepts a tls Secret when the result %s', (_what, observed, action) => {
    expect(planMerge(v2, observed, options({ type: 'kubernetes.io/tls', prune: true }), NOW).action).toBe(action);
  });

  it('accepts tls when the Secret type matches and both keys come from AWS', () => {
    const plan = planMerge(
      v2,
      seen(tlsData, {}, v1, [], 'kubernetes.io/tls'),
      options({ type: 'kubernetes.io/tls' }),
      NOW,
    );
    expect(plan.added).toStrictEqual(['tls.crt', 'tls.key']);
  });
});
