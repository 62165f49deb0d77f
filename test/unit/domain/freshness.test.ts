import { describe, expect, it } from 'vitest';
import { FRESHNESS_METRIC, freshnessRecord } from '../../../functions/domain/freshness.ts';
import { changedAtOf } from '../../../functions/sources/secrets-manager/event-reading.ts';
import { redriveEvent } from '../../../functions/domain/redrive.ts';
import { scanForLeaks } from '../../support/leak-scanner.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const labelEvent = (time: string, label = 'AWSCURRENT', arn = ARN) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'Secret Label Updated',
  source: 'aws.secretsmanager',
  account: '111122223333',
  time,
  region: 'us-east-1',
  resources: [arn],
  detail: { name: 'shop/db', labelUpdated: label, versionId: 'v2' },
});

describe('the change time of a sync (changedAtOf)', () => {
  it.each([
    [
      'a Secret Label Updated event moving AWSCURRENT: its time',
      labelEvent('2026-12-03T12:00:00Z'),
      '2026-12-03T12:00:00.000Z',
    ],
    ['another label moving: none', labelEvent('2026-12-03T12:00:00Z', 'AWSPENDING'), null],
    ['a schedule or deploy event: none', { source: 'eks-secret-sync', 'detail-type': 'Initial sync' }, null],
    ['an event without a time: none', { ...labelEvent('x'), time: undefined }, null],
    ['no event: none', undefined, null],
  ])('%s', (_what, event, expected) => {
    expect(changedAtOf(event, ARN)).toBe(expected);
  });

  it("is the original event's time when a redrive replays a label event", () => {
    const original = labelEvent('2026-12-03T11:00:00Z');
    const failed = {
      origin: 'sync-failure' as const,
      attempt: 1,
      failedStep: 'ApplySecret',
      error: 'TransientError',
      cause: 'x',
      originalEvent: original,
    };
    const event = redriveEvent({ mappingId: 'db', ...failed }, '2026-12-03T12:30:00.000Z');
    expect(changedAtOf(event, ARN)).toBe('2026-12-03T11:00:00.000Z');
  });

  it('is none for an event of another secret (it syncs nothing)', () => {
    expect(changedAtOf(labelEvent('2026-12-03T12:00:00Z', 'AWSCURRENT', `${ARN}x`), ARN)).toBeNull();
  });
});

describe('the freshness line (embedded metric format)', () => {
  const sample = {
    namespace: 'EksSecretSync/Prod',
    mappingId: 'db',
    target: 'prod/shop/db',
    versionId: 'v2',
    changedAt: '2026-12-03T12:00:00.000Z',
    writtenAt: new Date('2026-12-03T12:00:42.500Z'),
  };

  it('declares one metric, in seconds, with no dimension; the mapping is a property of the line', () => {
    const line = freshnessRecord(sample);
    expect(line._aws).toStrictEqual({
      Timestamp: Date.parse('2026-12-03T12:00:42.500Z'),
      CloudWatchMetrics: [
        { Namespace: 'EksSecretSync/Prod', Dimensions: [[]], Metrics: [{ Name: FRESHNESS_METRIC, Unit: 'Seconds' }] },
      ],
    });
    expect(line).toMatchObject({ [FRESHNESS_METRIC]: 42.5, mappingId: 'db', target: 'prod/shop/db', versionId: 'v2' });
    // EMF: every dimension must be a member of the line; none is, so no mapping can become one.
    const dims = (line._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions;
    expect(dims.flat()).toStrictEqual([]);
  });

  it('counts a write stamped before the change (clock skew) as 0, never negative', () => {
    expect(freshnessRecord({ ...sample, writtenAt: new Date('2026-12-03T11:59:59Z') })[FRESHNESS_METRIC]).toBe(0);
  });

  it('carries names, ids and times only: a canary value given nowhere else cannot reach it', () => {
    const canary = 'canary-freshness-5f1e2d3c4b5a69788796a5b4c3d2e1f0';
    const secrets = [{ label: 'canary', value: canary }];
    const text = JSON.stringify(freshnessRecord(sample));
    expect(scanForLeaks(text, secrets)).toStrictEqual([]);
    // Positive control: the same scan finds the canary (here base64) when it is planted in the line.
    const planted = JSON.stringify(freshnessRecord({ ...sample, target: Buffer.from(canary).toString('base64') }));
    expect(scanForLeaks(planted, secrets)).not.toStrictEqual([]);
  });
});
