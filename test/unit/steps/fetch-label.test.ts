// A mapping that follows a staging label other than AWSCURRENT (the `label` option): the fetch reads the version
// carrying that label for every trigger without a version, only that label's event names a version, `current`
// means "carries the label" so a late event for an older version is not written over a newer one, and the sweep
// compares the version carrying that label.
import { describe, expect, it } from 'vitest';
import { readSecretEvent } from '../../../functions/domain/events.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { planMerge } from '../../../functions/domain/plan.ts';
import { labelVersionsOf, planSweep } from '../../../functions/domain/sweep.ts';
import type { MergeOptions, SourceVersion } from '../../../functions/domain/types.ts';
import { fetchSecret, type FetchSettings } from '../../../functions/steps/fetch.ts';
import { openData } from '../../../functions/steps/sealed.ts';
import { followLabelFrom } from '../../../functions/runtime/options.ts';
import { ENV } from '../../../functions/runtime/env-contract.ts';
import { b64, canaryValue, expectNoValue, fixedClock, MemorySecretSource, testSealer } from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf';
const CANARY: FetchSettings = { mappingId: 'db', secretArn: ARN, type: 'Opaque', label: 'CANARY' };
const T1 = '2026-11-23T14:00:00.000Z';
const T2 = '2026-11-23T14:00:05.000Z';
const SCHEDULED = { event: { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync' }, attempt: 1 };
const moved = (label: string, versionId: string) => ({
  event: {
    source: 'aws.secretsmanager',
    'detail-type': 'Secret Label Updated',
    time: '2026-11-23T13:59:59Z',
    resources: [ARN],
    detail: { labelUpdated: label, versionId },
  },
  attempt: 1,
});

/** v1 AWSCURRENT, v2 CANARY (put not current, then labelled), each holding its own canary value. */
function setUp() {
  const values = { v1: canaryValue(), v2: canaryValue(), v3: canaryValue() };
  const source = new MemorySecretSource()
    .put('v1', JSON.stringify({ password: values.v1 }))
    .put('v2', JSON.stringify({ password: values.v2 }), { current: false })
    .label('v2', 'CANARY');
  const sealer = testSealer();
  return { values, source, sealer, at: (now: string) => ({ source, sealer, clock: fixedClock(now) }) };
}

describe('fetchSecret following CANARY', () => {
  it('reads the version carrying CANARY for a trigger that names no version (deploy, schedule, sweep, redrive)', async () => {
    const { values, sealer, at, source } = setUp();
    const out = await fetchSecret(at(T1), CANARY, SCHEDULED);
    expect(out.source).toMatchObject({ versionId: 'v2', current: true, currentAt: T1 });
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({ password: b64(values.v2) });
    expect(source.calls).toStrictEqual(['GetSecretValue CANARY']);
    expectNoValue(JSON.stringify(out), Object.values(values));
  });

  it("syncs the version CANARY's event names, with the time the label moved", async () => {
    const { at, source } = setUp();
    source.put('v3', JSON.stringify({ password: 'x' }), { current: false }).label('v3', 'CANARY');
    const out = await fetchSecret(at(T1), CANARY, moved('CANARY', 'v3'));
    expect(out.source).toMatchObject({ versionId: 'v3', current: true });
    expect(out.changedAt).toBe('2026-11-23T13:59:59.000Z');
  });

  it("treats AWSCURRENT's event as no trigger: it reads CANARY's version, not the one AWSCURRENT moved to", async () => {
    const { at, source } = setUp();
    source.put('v3', JSON.stringify({ password: 'x' })); // AWSCURRENT moves to v3; CANARY stays on v2
    const out = await fetchSecret(at(T1), CANARY, moved('AWSCURRENT', 'v3'));
    expect(out.source).toMatchObject({ versionId: 'v2', current: true });
    expect(out.changedAt).toBeNull();
  });

  it('reads AWSCURRENT without the option (control: the same secret gives v1)', async () => {
    const { at } = setUp();
    const out = await fetchSecret(at(T1), { ...CANARY, label: undefined }, SCHEDULED);
    expect(out.source).toMatchObject({ versionId: 'v1', current: true });
  });

  it("copies the other keys of CANARY's version with includeOtherKeys", async () => {
    const { at, sealer, values } = setUp();
    const shape = { data: { PASS: { from: 'password' } }, includeOtherKeys: true };
    const out = await fetchSecret(at(T1), { ...CANARY, shape }, SCHEDULED);
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({ PASS: b64(values.v2) });
  });
});

describe('a late CANARY event for an older version', () => {
  const OPTIONS: MergeOptions = { mappingId: 'db', prune: false, type: 'Opaque', labels: {}, annotations: {} };
  const writtenFrom = (last: SourceVersion) =>
    observe(
      { password: b64('new') },
      { resourceVersion: '7', type: 'Opaque', data: {}, labels: {}, annotations: sourceAnnotations(last, []) },
    );

  it('is not written over the newer version CANARY moved to since', async () => {
    const { at, source } = setUp();
    source.put('v3', JSON.stringify({ password: 'x' }), { current: false }).label('v3', 'CANARY');
    const newer = await fetchSecret(at(T1), CANARY, moved('CANARY', 'v3'));
    const late = await fetchSecret(at(T2), CANARY, moved('CANARY', 'v2'));
    expect(late.source).toMatchObject({ versionId: 'v2', current: false });
    const plan = planMerge(late.source, writtenFrom(newer.source), OPTIONS, T2);
    expect(plan.action).toBe('skip-stale');
    // Control: the newer one over the older one is written.
    const older = await fetchSecret(at(T1), { ...CANARY }, SCHEDULED);
    const forward = planMerge({ ...newer.source, currentAt: T2 }, writtenFrom(older.source), OPTIONS, T2);
    expect(forward.action).toBe('update');
  });
});

describe('the event reading', () => {
  it('takes only the followed label as a trigger', () => {
    expect(readSecretEvent(moved('CANARY', 'v2').event, ARN, 'CANARY')).toMatchObject({ verdict: 'trigger' });
    expect(readSecretEvent(moved('AWSCURRENT', 'v2').event, ARN, 'CANARY')).toStrictEqual({
      verdict: 'not-a-trigger',
    });
    expect(readSecretEvent(moved('CANARY', 'v2').event, ARN)).toStrictEqual({ verdict: 'not-a-trigger' });
  });
});

describe('followLabelFrom', () => {
  it('is AWSCURRENT when unset or empty, the label when set', () => {
    expect(followLabelFrom({})).toBe('AWSCURRENT');
    expect(followLabelFrom({ [ENV.followLabel]: '' })).toBe('AWSCURRENT');
    expect(followLabelFrom({ [ENV.followLabel]: 'CANARY' })).toBe('CANARY');
  });

  it('refuses a label no event follows, naming the variable', () => {
    expect(() => followLabelFrom({ [ENV.followLabel]: 'AWSPREVIOUS' })).toThrow(
      'FOLLOW_LABEL: AWSPREVIOUS cannot be followed',
    );
  });
});

describe('planSweep for a mapping following CANARY', () => {
  const listing = { arn: ARN, currentVersionId: 'v1', labels: labelVersionsOf({ v1: ['AWSCURRENT'], v2: ['CANARY'] }) };

  it('compares the version carrying CANARY: in step on v2 even though AWSCURRENT is on v1', () => {
    const e = { mappingId: 'db', secretArn: ARN, fetchedVersion: 'v2', label: 'CANARY' };
    expect(planSweep([e], [listing])).toStrictEqual([{ mappingId: 'db', action: 'in-step' }]);
  });

  it('starts the sync when CANARY moved past the last fetch', () => {
    const e = { mappingId: 'db', secretArn: ARN, fetchedVersion: 'v1', label: 'CANARY' };
    expect(planSweep([e], [listing])[0]).toMatchObject({ action: 'behind', versionId: 'v2', start: true });
  });

  it('still compares AWSCURRENT for an entry without a label (control)', () => {
    const e = { mappingId: 'db', secretArn: ARN, fetchedVersion: 'v2' };
    expect(planSweep([e], [listing])[0]).toMatchObject({ action: 'behind', versionId: 'v1' });
  });
});
