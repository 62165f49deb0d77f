import { describe, expect, it } from 'vitest';
import { sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { buildWrite, planMerge } from '../../../functions/domain/plan.ts';
import type { MergePlan, MergeOptions, SecretData } from '../../../functions/domain/types.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const v1 = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf',
  versionId: 'v1',
  createdDate: '2026-11-01T10:00:00.000Z',
};
const v2 = { ...v1, versionId: 'v2', createdDate: '2026-11-02T10:00:00.000Z' };
const NOW = '2026-11-05T12:00:00.000Z';
const target = { namespace: 'apps', name: 'db-credentials', type: 'Opaque' as const };
const opts: MergeOptions = { mappingId: 'db', prune: true, type: 'Opaque', labels: {}, annotations: {} };

describe('buildWrite', () => {
  it('builds a full v1 Secret with all desired data when the plan is create', () => {
    const desired = { user: b64('admin'), pass: b64('pw') };
    const plan = planMerge(v1, observe(desired, null), opts, NOW);
    expect(buildWrite(plan, desired, target)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: 'apps', labels: plan.labels, annotations: plan.annotations },
      type: 'Opaque',
      data: desired,
    });
  });

  it('patches only added, updated and pruned keys with the resourceVersion when the plan is update', () => {
    const existing: SecretData = { same: b64('s'), changed: b64('old'), gone: b64('g'), theirs: b64('t') };
    const desired: SecretData = { same: b64('s'), changed: b64('new'), fresh: b64('f') };
    const annotations = sourceAnnotations(v1, ['same', 'changed', 'gone']);
    const observed = observe(desired, {
      resourceVersion: '7',
      type: 'Opaque',
      data: existing,
      labels: {},
      annotations,
    });
    const plan = planMerge(v2, observed, opts, NOW);
    expect(buildWrite(plan, desired, target)).toStrictEqual({
      metadata: { resourceVersion: '7', labels: plan.labels, annotations: plan.annotations },
      data: { fresh: b64('f'), changed: b64('new'), gone: null },
    });
  });

  it('sends empty data when only the annotations change', () => {
    const desired = { a: b64('1') };
    const annotations = sourceAnnotations(v1, ['a']);
    const observed = observe(desired, { resourceVersion: '7', type: 'Opaque', data: desired, labels: {}, annotations });
    const body = buildWrite(planMerge(v2, observed, opts, NOW), desired, target);
    expect(body).toMatchObject({ data: {}, metadata: { resourceVersion: '7' } });
  });

  it('keeps a "__proto__" key as data when it serialises the patch', () => {
    const desired = Object.fromEntries([['__proto__', b64('x')]]) as SecretData;
    const plan = planMerge(v1, observe(desired, null), opts, NOW);
    const body = buildWrite({ ...plan, action: 'update', resourceVersion: '1' }, desired, target);
    expect(JSON.parse(JSON.stringify(body)).data).toStrictEqual(JSON.parse(`{"__proto__":"${b64('x')}"}`));
  });

  const base: MergePlan = {
    action: 'none',
    reason: '',
    added: [],
    updated: [],
    unchanged: [],
    pruned: [],
    kept: { count: 0, names: [], truncated: false },
    labels: {},
    annotations: {},
  };
  it.each<[string, MergePlan, RegExp]>([
    ['the plan is none', base, /a 'none' plan has nothing to write/],
    ['the plan is skip-stale', { ...base, action: 'skip-stale' }, /a 'skip-stale' plan has nothing to write/],
    ['an update has no resourceVersion', { ...base, action: 'update', added: ['a'] }, /must carry the resourceVersion/],
    [
      'the plan writes a key the data lacks',
      { ...base, action: 'update', resourceVersion: '1', updated: ['zz'] },
      /writes key "zz" that the desired data lacks/,
    ],
    [
      'a create names a key the data lacks',
      { ...base, action: 'create', added: ['constructor'] },
      /writes key "constructor"/,
    ],
  ])('throws a programming error when %s', (_what, plan, message) => {
    expect(() => buildWrite(plan, { a: b64('1') }, target)).toThrow(message);
  });
});
