// Which version wins when the Secret records another one: ordered by when
// each was seen as AWSCURRENT (rollbacks, versions replaced between fetch and
// write), else by creation date. The e2e proof is test/e2e/races.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, readLastSource, sourceAnnotations } from '../../../functions/domain/metadata.ts';
import { observe } from '../../../functions/domain/observe.ts';
import { planMerge } from '../../../functions/domain/plan.ts';
import type { MergeOptions, Observation, SourceVersion } from '../../../functions/domain/types.ts';
import { InvalidInputError } from '../../../functions/domain/errors.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf';
const OPTIONS: MergeOptions = { mappingId: 'db', prune: false, type: 'Opaque', labels: {}, annotations: {} };
const DAY1 = '2026-11-01T10:00:00.000Z';
const DAY2 = '2026-11-02T10:00:00.000Z';
const T1 = '2026-11-03T08:00:00.000Z';
const T2 = '2026-11-03T08:00:00.250Z';
const A = { a: Buffer.from('1').toString('base64') };
const B = { a: Buffer.from('2').toString('base64') };

/** A version; `currentAt` makes it one fetched as AWSCURRENT at that time. */
const version = (
  versionId: string,
  createdDate: string,
  currentAt?: string,
  current = currentAt !== undefined,
): SourceVersion => ({
  arn: ARN,
  versionId,
  createdDate,
  current,
  ...(currentAt !== undefined && { currentAt }),
});

/** The Secret as written from `last` (annotations through the product's own writer). */
const recorded = (last: SourceVersion): Observation =>
  observe(B, {
    resourceVersion: '7',
    type: 'Opaque',
    data: A,
    labels: {},
    annotations: sourceAnnotations(last, ['a']),
  });

describe('planMerge: ordering by when a version was AWSCURRENT', () => {
  it.each<[string, SourceVersion, SourceVersion, string]>([
    [
      'writes a rollback: an older version seen AWSCURRENT after the recorded one was',
      version('old', DAY1, T2),
      version('new', DAY2, T1),
      'update',
    ],
    [
      'skips a version replaced since its fetch: AWSCURRENT only before the recorded one was',
      version('v1', DAY1, T1),
      version('v2', DAY1, T2),
      'skip-stale',
    ],
    ['skips on equal times (no later truth)', version('v1', DAY1, T1), version('v2', DAY1, T1), 'skip-stale'],
    [
      'skips a version not AWSCURRENT when fetched over one recorded as AWSCURRENT, however new',
      version('v3', DAY2),
      version('v2', DAY1, T1),
      'skip-stale',
    ],
    [
      'writes a current version over a record that does not say when it was current',
      version('v1', DAY1, T1),
      version('v2', DAY2),
      'update',
    ],
    [
      'falls back to creation dates when neither side knows: newer recorded wins',
      version('v1', DAY1),
      version('v2', DAY2),
      'skip-stale',
    ],
    [
      'falls back to creation dates when neither side knows: newer incoming wins',
      version('v2', DAY2),
      version('v1', DAY1),
      'update',
    ],
    [
      'falls back to the tie rule for a current version without a time (an older fetch step)',
      version('v1b', DAY1, undefined, true),
      version('v1', DAY1),
      'update',
    ],
  ])('%s', (_what, incoming, last, action) => {
    expect(planMerge(incoming, recorded(last), OPTIONS, T2).action).toBe(action);
  });

  it('says when each version was AWSCURRENT when it skips', () => {
    expect(planMerge(version('v1', DAY1, T1), recorded(version('v2', DAY1, T2)), OPTIONS, T2).reason).toBe(
      `The Secret holds version v2, AWSCURRENT at ${T2}; ` +
        `version v1 was AWSCURRENT only earlier, at ${T1}: it is not written.`,
    );
    expect(planMerge(version('v3', DAY2), recorded(version('v2', DAY1, T1)), OPTIONS, T2).reason).toBe(
      `The Secret holds version v2, AWSCURRENT at ${T1}; ` +
        'version v3 was not AWSCURRENT when fetched: it is not written.',
    );
  });

  it('names the label a mapping follows instead of AWSCURRENT when it skips (label: CANARY)', () => {
    const canary = (v: SourceVersion): SourceVersion => ({ ...v, label: 'CANARY' });
    const skipped = planMerge(canary(version('v1', DAY1, T1)), recorded(version('v2', DAY1, T2)), OPTIONS, T2);
    expect(skipped.reason).toBe(
      `The Secret holds version v2, CANARY at ${T2}; version v1 was CANARY only earlier, at ${T1}: it is not written.`,
    );
    expect(skipped.reason).not.toContain('AWSCURRENT');
    const late = planMerge(canary(version('v3', DAY2)), recorded(version('v2', DAY1, T1)), OPTIONS, T2).reason;
    expect(late).toBe(
      `The Secret holds version v2, CANARY at ${T1}; version v3 was not CANARY when fetched: it is not written.`,
    );
  });

  it('records when the written version was AWSCURRENT, and only then', () => {
    const plan = planMerge(version('v2', DAY2, T2), recorded(version('v1', DAY1, T1)), OPTIONS, T2);
    expect(plan.annotations[ANNOTATIONS.sourceCurrentAt]).toBe(T2);
    expect(sourceAnnotations(version('v2', DAY2), ['a'])).not.toHaveProperty([ANNOTATIONS.sourceCurrentAt]);
  });

  it('refuses an incoming currentAt that is not a date', () => {
    expect(() => planMerge(version('v1', DAY1, 'soon'), recorded(version('v2', DAY1, T1)), OPTIONS, T2)).toThrow(
      InvalidInputError,
    );
  });
});

describe('readLastSource: currentAt', () => {
  it('reads it back when it is a date and ignores it otherwise', () => {
    const base = sourceAnnotations(version('v1', DAY1), ['a']);
    expect(readLastSource({ ...base, [ANNOTATIONS.sourceCurrentAt]: T1 })).toStrictEqual({
      arn: ARN,
      versionId: 'v1',
      createdDate: DAY1,
      currentAt: T1,
    });
    expect(readLastSource({ ...base, [ANNOTATIONS.sourceCurrentAt]: 'garbage' })).toStrictEqual({
      arn: ARN,
      versionId: 'v1',
      createdDate: DAY1,
    });
  });
});

describe('planMerge properties: staleness with and without currency information', () => {
  const DATES = [DAY1, DAY2, '2026-11-02T10:00:00.001Z'];
  const TIMES = [T1, T2, '2026-11-04T00:00:00.000Z'];
  // A version as FetchSecret reports it: AWSCURRENT or not when fetched, with or without when (older fetch steps
  // send no currentAt); the version ids differ, since a Secret holding the incoming version is no race.
  const incoming = fc
    .record({
      createdDate: fc.constantFrom(...DATES),
      current: fc.boolean(),
      currentAt: fc.option(fc.constantFrom(...TIMES), { nil: undefined }),
    })
    .map(({ createdDate, current, currentAt }) => version('in', createdDate, current ? currentAt : undefined, current));
  const recordedVersion = fc
    .record({
      createdDate: fc.constantFrom(...DATES),
      currentAt: fc.option(fc.constantFrom(...TIMES), { nil: undefined }),
    })
    .map(({ createdDate, currentAt }) => version('rec', createdDate, currentAt));
  const ms = (iso: string) => Date.parse(iso);

  it('without currency information on either side, lets creation dates decide and a tie go to a current version', () => {
    const noTimes = fc.record({ a: incoming, b: recordedVersion }).filter(({ a, b }) => !a.currentAt && !b.currentAt);
    fc.assert(
      fc.property(noTimes, ({ a, b }) => {
        const written = planMerge(a, recorded(b), OPTIONS, T2).action === 'update';
        const newer = ms(a.createdDate) > ms(b.createdDate);
        const tie = ms(a.createdDate) === ms(b.createdDate);
        expect(written).toBe(newer || (tie && a.current));
      }),
    );
  });

  it('with currency information on one side or both, orders by it and never by creation date', () => {
    const someTime = fc
      .record({ a: incoming, b: recordedVersion })
      .filter(({ a, b }) => !!a.currentAt || !!b.currentAt);
    fc.assert(
      fc.property(someTime, ({ a, b }) => {
        const written = planMerge(a, recorded(b), OPTIONS, T2).action === 'update';
        const expected =
          b.currentAt === undefined ? true : a.currentAt !== undefined && ms(a.currentAt) > ms(b.currentAt);
        expect(written).toBe(expected);
        // Creation dates play no part once either side knows when it was AWSCURRENT.
        const swapped = { ...a, createdDate: b.createdDate === DAY1 ? DAY2 : DAY1 };
        expect(planMerge(swapped, recorded(b), OPTIONS, T2).action === 'update').toBe(written);
      }),
    );
  });

  it('writes at most one of two versions without currency information over the other', () => {
    const pair = fc.record({ a: fc.constantFrom(...DATES), b: fc.constantFrom(...DATES) });
    fc.assert(
      fc.property(pair, ({ a, b }) => {
        const aOverB = planMerge(version('a', a), recorded(version('b', b)), OPTIONS, T2).action === 'update';
        const bOverA = planMerge(version('b', b), recorded(version('a', a)), OPTIONS, T2).action === 'update';
        expect(aOverB && bOverA).toBe(false);
        expect(aOverB || bOverA).toBe(a !== b); // equal dates and neither current: neither overwrites the other
      }),
    );
  });
});
