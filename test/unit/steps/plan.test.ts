// The plan step: the merge decision with its restart list, at the clock's time, for each kind of outcome.
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, newDataHashAnnotations, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import type { MergeOptions, SourceVersion } from '../../../functions/domain/types.ts';
import { planSettingsFor, planSync, type PlanSettings } from '../../../functions/steps/plan.ts';
import { b64, fixedClock, mergeOptions, rejection } from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const NOW = '2026-11-23T14:00:00.000Z';
const v1: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z', current: true };
const v2: SourceVersion = { arn: ARN, versionId: 'v2', createdDate: '2026-11-02T10:00:00.000Z', current: true };
const options = mergeOptions;
const settings = (over: Partial<MergeOptions> = {}): PlanSettings => ({
  options: options(over),
  restartTargets: ['deployment/api'],
});
const A = { a: b64('1') };
const written = (from: SourceVersion, data: Record<string, string> = A) =>
  observe(A, {
    resourceVersion: '7',
    type: 'Opaque',
    data,
    labels: {},
    annotations: {
      ...sourceAnnotations(from, Object.keys(data)),
      ...newDataHashAnnotations(Buffer.alloc(32, 1), data),
    },
  });
const ports = { clock: fixedClock(NOW) };

describe('planSync', () => {
  it("creates a missing Secret, stamped with the clock's time, and restarts the workloads after it", async () => {
    const plan = await planSync(ports, settings(), { source: v1, observed: observe(A, null) });

    expect(plan).toMatchObject({ action: 'create', added: ['a'], restart: ['deployment/api'] });
    expect(plan.annotations[ANNOTATIONS.syncedAt]).toBe(NOW);
  });

  it('leaves the source-* annotations out when asked (the write adds them), and only those', async () => {
    const full = await planSync(ports, settings(), { source: v2, observed: written(v1) });
    const lean = await planSync(ports, settings(), {
      source: v2,
      observed: written(v1),
      sourceAnnotationsAtWrite: true,
    });

    const dropped: string[] = [ANNOTATIONS.sourceArn, ANNOTATIONS.sourceVersionId, ANNOTATIONS.sourceCreatedDate];
    expect(dropped.every((k) => full.annotations[k] !== undefined)).toBe(true);
    expect(lean).toStrictEqual({
      ...full,
      annotations: Object.fromEntries(Object.entries(full.annotations).filter(([k]) => !dropped.includes(k))),
    });
    expect(lean.annotations[ANNOTATIONS.managedKeys]).toBe(full.annotations[ANNOTATIONS.managedKeys]);
  });

  it('updates a Secret written from an older version; a new version with the same data restarts nothing', async () => {
    const plan = await planSync(ports, settings(), { source: v2, observed: written(v1) });

    expect(plan).toMatchObject({
      action: 'update',
      added: [],
      updated: [],
      unchanged: ['a'],
      resourceVersion: '7',
      restart: [],
    });
  });

  it.each([
    ['none: the version and data are there', v1, 'none'],
    ['skip-stale: the Secret holds a newer version', v1, 'skip-stale'],
  ])('writes and restarts nothing for %s', async (_what, source, action) => {
    const observed = action === 'none' ? written(v1) : written(v2);

    const plan = await planSync(ports, settings(), { source, observed });

    expect(plan).toMatchObject({ action, restart: [] });
  });

  it.each([
    ['retain', 'retain'],
    ['delete', 'delete-keys'],
  ] as const)('applies deletion policy %s to a deleted source', async (deletionPolicy, action) => {
    const observedOthers = observe(
      {},
      {
        resourceVersion: '9',
        type: 'Opaque',
        data: { a: b64('1'), theirs: b64('x') },
        labels: {},
        annotations: sourceAnnotations(v1, ['a']),
      },
    );
    const deleted: SourceVersion = { arn: ARN, versionId: 'v1', createdDate: NOW, deleted: true, currentAt: NOW };

    const plan = await planSync(ports, settings({ deletionPolicy }), { source: deleted, observed: observedOthers });

    expect(plan.action).toBe(action);
    if (action === 'delete-keys') expect(plan.pruned).toStrictEqual(['a']);
  });

  it('refuses a Secret written for another AWS secret with an InvalidInputError', async () => {
    const other = { ...v1, arn: ARN.replace('app/db', 'other') };

    const e = await rejection(planSync(ports, settings(), { source: v2, observed: written(other) }));

    expect(e.name).toBe('InvalidInputError');
  });

  it('refuses an input without source or observation, naming what it needs', async () => {
    const e = await rejection(planSync(ports, settings(), { source: v1 } as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toBe('the plan needs {source, observed}: the version fetched and what ReadSecret read');
  });
});

describe('planSettingsFor (the plan settings of one target, in ReadSecret)', () => {
  const mapping = settings({ labels: { team: 'a' }, annotations: { note: 'm' } });
  const target = { name: 'prod/app/db', cluster: 'prod', namespace: 'app', secretName: 'db' };

  it("takes the mapping's settings as they are for a target that overrides nothing, or none", () => {
    expect(planSettingsFor(mapping, undefined)).toBe(mapping);
    expect(planSettingsFor(mapping, target)).toStrictEqual(mapping);
  });

  it("replaces each field the target names, and only those, with the target's restart list", () => {
    const out = planSettingsFor(mapping, {
      ...target,
      type: 'kubernetes.io/tls',
      prune: true,
      labels: { team: 'b' },
      deletionPolicy: 'delete',
      restart: ['statefulset/db', 'deployment/web'],
    });

    expect(out).toStrictEqual({
      options: {
        ...mapping.options,
        type: 'kubernetes.io/tls',
        prune: true,
        labels: { team: 'b' },
        deletionPolicy: 'delete',
      },
      restartTargets: ['deployment/web', 'statefulset/db'],
    });
    expect(out.options.annotations).toStrictEqual({ note: 'm' });
    // An empty restart list is the target's own: it restarts nothing, whatever the mapping lists.
    expect(planSettingsFor(mapping, { ...target, restart: [] }).restartTargets).toStrictEqual([]);
  });

  it('plans with the overrides: a target with prune drops the keys the mapping would keep', async () => {
    const observed = written(v1, { a: b64('1'), gone: b64('2') });
    const keep = await planSync(ports, planSettingsFor(mapping, target), { source: v2, observed });
    const prune = await planSync(ports, planSettingsFor(mapping, { ...target, prune: true }), { source: v2, observed });

    expect(keep.pruned).toStrictEqual([]);
    expect(prune.pruned).toStrictEqual(['gone']);
  });
});
