import { describe, expect, it } from 'vitest';
import { SWEEP_DETAIL_TYPE, SYNTHETIC_SOURCE } from '../../../functions/domain/events.ts';
import { readSecretEvent } from '../../../functions/domain/events.ts';
import {
  behindRecord,
  currentVersionOf,
  planSweep,
  SWEEP_BEHIND_METRIC,
  sweepSyncInput,
  type LedgerEntry,
} from '../../../functions/domain/sweep.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf';
const entry = (e: Partial<LedgerEntry> = {}): LedgerEntry => ({
  mappingId: 'db',
  secretArn: ARN,
  fetchedVersion: 'v1',
  ...e,
});

describe('planSweep', () => {
  it('leaves a mapping whose last fetch is of AWSCURRENT alone (no start)', () => {
    expect(planSweep([entry()], [{ arn: ARN, currentVersionId: 'v1' }])).toStrictEqual([
      { mappingId: 'db', action: 'in-step' },
    ]);
  });

  it.each([
    // [sweeps recorded for the version, sweptVersion, expected sweeps, start, alarm]
    [undefined, undefined, 1, true, false],
    [1, 'v2', 2, true, true],
    [2, 'v2', 3, false, true],
    [5, 'v-older', 1, true, false],
  ])(
    'starts a mapping behind (recorded %s for %s): sweeps %s, start %s, alarm %s',
    (n, swept, sweeps, start, alarm) => {
      const [d] = planSweep(
        [entry({ ...(swept !== undefined && { sweptVersion: swept }), ...(n !== undefined && { sweeps: n }) })],
        [{ arn: ARN, currentVersionId: 'v2' }],
      );
      expect(d).toStrictEqual({
        mappingId: 'db',
        action: 'behind',
        secretArn: ARN,
        versionId: 'v2',
        fetchedVersion: 'v1',
        sweeps,
        start,
        alarm,
      });
    },
  );

  it('reports a mapping whose secret is not listed, and skips an item without a secret ARN', () => {
    expect(planSweep([entry(), { mappingId: 'gone', sweeps: 1 }], [])).toStrictEqual([
      { mappingId: 'db', action: 'unlisted', secretArn: ARN },
    ]);
  });

  it('never confuses two secrets whose ARNs share a prefix', () => {
    const other = `${ARN}x`;
    const decisions = planSweep(
      [entry()],
      [
        { arn: other, currentVersionId: 'v9' },
        { arn: ARN, currentVersionId: 'v1' },
      ],
    );
    expect(decisions).toStrictEqual([{ mappingId: 'db', action: 'in-step' }]);
  });
});

describe('currentVersionOf', () => {
  it('finds the version AWSCURRENT is on, not AWSPREVIOUS or AWSPENDING', () => {
    expect(currentVersionOf({ a: ['AWSPREVIOUS'], b: ['AWSCURRENT', 'x'], c: ['AWSPENDING'] })).toBe('b');
    expect(currentVersionOf({ a: ['AWSPENDING'] })).toBeUndefined();
    expect(currentVersionOf(undefined)).toBeUndefined();
  });
});

describe('sweepSyncInput', () => {
  it('is a synthetic event (never read as a Secrets Manager trigger) naming the secret and the version', () => {
    const input = sweepSyncInput({ secretArn: ARN, versionId: 'v2' }, new Date('2026-12-03T16:00:00Z'));
    expect(input).toStrictEqual({
      event: {
        source: SYNTHETIC_SOURCE,
        'detail-type': SWEEP_DETAIL_TYPE,
        time: '2026-12-03T16:00:00.000Z',
        resources: [ARN],
        detail: { versionId: 'v2' },
      },
      attempt: 1,
    });
    expect(readSecretEvent(input.event, ARN)).toStrictEqual({ verdict: 'not-a-trigger' });
  });
});

describe('behindRecord', () => {
  const d = { mappingId: 'db', action: 'behind', secretArn: ARN, versionId: 'v2', sweeps: 1 } as const;
  it('carries the metric only from the second sweep in a row, with no dimension, the mapping as a property', () => {
    const now = new Date(0);
    expect(behindRecord('ns', { ...d, start: true, alarm: false }, now)).not.toHaveProperty('_aws');
    const line = behindRecord('ns', { ...d, sweeps: 2, start: true, alarm: true }, now);
    expect(line).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'ns', Dimensions: [[]], Metrics: [{ Name: SWEEP_BEHIND_METRIC }] }] },
      [SWEEP_BEHIND_METRIC]: 2,
      mappingId: 'db',
    });
  });
});
