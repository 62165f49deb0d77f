import { describe, expect, it } from 'vitest';
import { buildDeletion, planDeletion } from '../../../functions/domain/deletion.ts';
import { ANNOTATIONS, MANAGER_NAME, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { planMerge } from '../../../functions/domain/plan.ts';
import type {
  DeletionPolicy,
  MergeAction,
  MergeOptions,
  Observation,
  SecretData,
  SourceVersion,
} from '../../../functions/domain/types.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf';
const OTHER_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:other-XyZ123';
const NOW = '2026-11-05T12:00:00.000Z';
const v1: SourceVersion = {
  arn: ARN,
  versionId: 'v1',
  createdDate: '2026-11-01T10:00:00.000Z',
  current: true,
  currentAt: '2026-11-01T10:00:05.000Z',
};
/** The deletion FetchSecret reports: seen deleted by a fetch that started at 2026-11-03. */
const deleted: SourceVersion = {
  arn: ARN,
  versionId: 'v1',
  createdDate: '2026-11-03T09:00:00.000Z',
  deleted: true,
  currentAt: '2026-11-03T09:00:01.000Z',
};
/** Written by a sync that started after the deletion was seen: the secret was restored in between. */
const restoredLater: SourceVersion = { ...v1, currentAt: '2026-11-03T09:30:00.000Z' };

function options(deletionPolicy?: DeletionPolicy): MergeOptions {
  return {
    mappingId: 'db',
    prune: false,
    type: 'Opaque',
    labels: {},
    annotations: {},
    ...(deletionPolicy && { deletionPolicy }),
  };
}

/**
 * The observation ReadSecret makes for a deletion (empty AWS data) of a Secret with `data`, written by us from `last`.
 */
function seen(
  data: SecretData,
  opts: { last?: SourceVersion; managed?: string[]; createdByUs?: boolean } = {},
): Observation {
  const annotations: Record<string, string> =
    opts.last === undefined ? {} : sourceAnnotations(opts.last, opts.managed ?? Object.keys(data));
  if (opts.createdByUs) annotations[ANNOTATIONS.createdBy] = MANAGER_NAME;
  return observe({}, { resourceVersion: '7', type: 'Opaque', data, labels: {}, annotations });
}

const OURS = { a: b64('1'), b: b64('2') };
const MIXED = { ...OURS, theirs: b64('x') };

describe('planDeletion', () => {
  it.each<[string, DeletionPolicy | undefined, Observation, MergeAction, string[]]>([
    ['retains by default', undefined, seen(OURS, { last: v1, createdByUs: true }), 'retain', []],
    [
      'retains with policy retain, even a Secret it created',
      'retain',
      seen(OURS, { last: v1, createdByUs: true }),
      'retain',
      [],
    ],
    ['retains with policy retain when the Secret does not exist', 'retain', observe({}, null), 'retain', []],
    ['does nothing when the Secret does not exist', 'delete', observe({}, null), 'none', []],
    ['does nothing for a Secret without our source record', 'delete', seen(MIXED), 'none', []],
    [
      'deletes the Secret it created when no other keys remain',
      'delete',
      seen(OURS, { last: v1, createdByUs: true }),
      'delete-secret',
      ['a', 'b'],
    ],
    [
      'deletes only its keys from a Secret it created that holds keys of others',
      'delete',
      seen(MIXED, { last: v1, managed: ['a', 'b'], createdByUs: true }),
      'delete-keys',
      ['a', 'b'],
    ],
    [
      'deletes only its keys from a Secret it adopted, even with no other keys',
      'delete',
      seen(OURS, { last: v1 }),
      'delete-keys',
      ['a', 'b'],
    ],
    [
      'deletes only the keys the managed-keys annotation names',
      'delete',
      seen(MIXED, { last: v1, managed: ['a'] }),
      'delete-keys',
      ['a'],
    ],
    [
      'does nothing when none of its keys remain',
      'delete',
      seen({ theirs: b64('x') }, { last: v1, managed: ['a'] }),
      'none',
      [],
    ],
    [
      'deletes nothing when the managed-keys annotation is garbled',
      'delete',
      observe(
        {},
        {
          resourceVersion: '7',
          type: 'Opaque',
          data: OURS,
          labels: {},
          annotations: { ...sourceAnnotations(v1, []), [ANNOTATIONS.managedKeys]: '[a' },
        },
      ),
      'none',
      [],
    ],
    [
      'skips a deletion seen before the Secret was last synced (restored since)',
      'delete',
      seen(OURS, { last: restoredLater, createdByUs: true }),
      'skip-stale',
      [],
    ],
  ])('%s (policy %s)', (_what, policy, observed, action, removed) => {
    // Act
    const plan = planDeletion(deleted, observed, options(policy), NOW);

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.pruned).toStrictEqual(removed);
    expect([...plan.added, ...plan.updated, ...plan.unchanged]).toStrictEqual([]);
    expect(plan.reason).toContain(`${ARN} is scheduled for deletion`);
    expect(plan.resourceVersion).toBe(action === 'delete-keys' || action === 'delete-secret' ? '7' : undefined);
  });

  it('records an empty managed-keys list and keeps the keys of others when it deletes keys', () => {
    const plan = planDeletion(deleted, seen(MIXED, { last: v1, managed: ['a', 'b'] }), options('delete'), NOW);
    expect(plan).toMatchObject({ action: 'delete-keys', kept: { count: 1, names: ['theirs'] }, labels: {} });
    expect(plan.annotations).toStrictEqual({ [ANNOTATIONS.managedKeys]: '[]', [ANNOTATIONS.syncedAt]: NOW });
    expect(plan.reason).toMatch(
      /remove the 2 keys this tool wrote and keep 1 other key \(the Secret stays: this tool did not create it\)/,
    );
  });

  it('says in the retain reason that the Secret is kept unchanged', () => {
    const plan = planDeletion(deleted, seen(MIXED, { last: v1, managed: ['a', 'b'] }), options('retain'), NOW);
    expect(plan.reason).toMatch(/deletionPolicy retain keeps the Secret unchanged \(3 keys\)/);
    expect(plan.annotations).toStrictEqual({});
  });

  it('refuses to touch a Secret written from another AWS secret', () => {
    const observed = seen(OURS, { last: { ...v1, arn: OTHER_ARN }, createdByUs: true });
    expect(() => planDeletion(deleted, observed, options('delete'), NOW)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringContaining(OTHER_ARN) }),
    );
  });

  it('is what planMerge plans for a deleted source', () => {
    const observed = seen(OURS, { last: v1, createdByUs: true });
    expect(planMerge(deleted, observed, options('delete'), NOW)).toStrictEqual(
      planDeletion(deleted, observed, options('delete'), NOW),
    );
  });

  it('refuses a source that is not a deletion', () => {
    expect(() => planDeletion(v1, seen(OURS, { last: v1 }), options('delete'), NOW)).toThrow(
      /needs a source marked deleted/,
    );
  });
});

describe('planMerge: created-by', () => {
  it.each<[string, Observation, boolean]>([
    ['records created-by when it creates the Secret', observe(OURS, null), true],
    [
      'never records created-by on an update (an adopted Secret stays adopted)',
      observe(OURS, { resourceVersion: '7', type: 'Opaque', data: { a: b64('old') }, labels: {}, annotations: {} }),
      false,
    ],
  ])('%s', (_what, observed, recorded) => {
    const plan = planMerge(v1, observed, options(), NOW);
    expect(plan.annotations[ANNOTATIONS.createdBy]).toBe(recorded ? MANAGER_NAME : undefined);
  });

  it('reads created-by back only when it names this tool', () => {
    const base = { resourceVersion: '7', type: 'Opaque', data: OURS, labels: {} };
    expect(observe({}, { ...base, annotations: { [ANNOTATIONS.createdBy]: MANAGER_NAME } }).createdByUs).toBe(true);
    expect(observe({}, { ...base, annotations: { [ANNOTATIONS.createdBy]: 'helm' } }).createdByUs).toBeUndefined();
  });
});

describe('buildDeletion', () => {
  it('builds a merge patch with nulls for exactly the removed keys, under the resourceVersion precondition', () => {
    const plan = planDeletion(deleted, seen(MIXED, { last: v1, managed: ['a', 'b'] }), options('delete'), NOW);
    expect(buildDeletion(plan)).toStrictEqual({
      metadata: {
        resourceVersion: '7',
        labels: {},
        annotations: { [ANNOTATIONS.managedKeys]: '[]', [ANNOTATIONS.syncedAt]: NOW },
      },
      data: { a: null, b: null },
    });
  });

  it('builds DeleteOptions with the resourceVersion precondition for delete-secret', () => {
    const plan = planDeletion(deleted, seen(OURS, { last: v1, createdByUs: true }), options('delete'), NOW);
    expect(buildDeletion(plan)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { resourceVersion: '7' },
    });
  });

  it.each<MergeAction>(['retain', 'none', 'create'])('refuses a %s plan', (action) => {
    const plan = {
      ...planDeletion(deleted, seen(OURS, { last: v1 }), options('delete'), NOW),
      action,
      resourceVersion: '7',
    };
    expect(() => buildDeletion(plan)).toThrow(/is not a deletion/);
  });
});
