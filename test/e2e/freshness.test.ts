// Freshness per sync on the test bed: a write of a version records, in one apply-secret log line in CloudWatch's
// embedded metric format, the lag from the version's label event to the write; the line names the mapping as a
// property (never a dimension) and carries no value. The shape CloudWatch reads is checked here on a real sync.
import { afterAll, describe, expect, it } from 'vitest';
import { FRESHNESS_METRIC } from '../../functions/domain/freshness.ts';
import { TESTBED_METRIC_NAMESPACE } from '../../testbed/local-pipeline.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-fresh-4e1d8b-do-not-log';
let m: LocalMapping;

/** The apply-secret log lines that declare an embedded metric. */
const metricLines = () =>
  m.pools.ApplySecret.flatMap((f) => f.logs)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l._aws !== undefined);

afterAll(async () => {
  await m?.close();
});

describe('freshness per sync', () => {
  it("records one embedded metric per write of a version, from its event's time, with the mapping as a property", async () => {
    m = await TestMapping.create({ secretString: JSON.stringify({ password: `${CANARY}-1` }) });
    // The deploy's first sync has no change time: it records nothing.
    expect((await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' })).status).toBe('SUCCEEDED');
    expect(metricLines()).toStrictEqual([]);
    const v = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-2` }) });
    const event = { ...m.labelEvent(v), time: new Date(Date.now() - 90_000).toISOString() };
    expect((await m.run(event)).status).toBe('SUCCEEDED');
    const [line, ...more] = metricLines();
    expect(more).toStrictEqual([]);
    expect(line!._aws.CloudWatchMetrics).toStrictEqual([
      { Namespace: TESTBED_METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: FRESHNESS_METRIC, Unit: 'Seconds' }] },
    ]);
    expect(line).toMatchObject({ mappingId: m.id, target: m.targets[0]!.name, versionId: v, changedAt: event.time });
    // The event says the version changed 90 s ago: the lag is that, plus the sync's own time.
    expect(line![FRESHNESS_METRIC]).toBeGreaterThanOrEqual(90);
    expect(line![FRESHNESS_METRIC]).toBeLessThan(90 + 60);
  });

  it('a sync that writes nothing records nothing (the version is already there)', async () => {
    const before = metricLines().length;
    const v = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-2` }) });
    // Same data, new version: the write records only the version, still a write of it.
    expect((await m.run(m.labelEvent(v))).status).toBe('SUCCEEDED');
    const written = metricLines().length - before;
    expect((await m.run(m.labelEvent(v))).status).toBe('SUCCEEDED');
    expect(metricLines().length - before).toBe(written);
  });

  it('never carries a value in any encoding (the leak scanner over every function log of the mapping)', () => {
    expectNoSecretMaterial(m.captured(), [CANARY], 100);
  });
});
