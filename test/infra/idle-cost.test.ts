// Issue 22's cost goals for the lost-event sweep, as bench/idle-cost.ts counts them (list prices, no measurement):
// at most $0.10 a month at 500 mappings, counted inside the idle cost of the whole app, and docs/performance.md's
// table says what the code counts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRICES } from '../../bench/cost.ts';
import { idleCostOf, sweepCostOf } from '../../bench/idle-cost.ts';
import { repoRoot } from '../../testbed/paths.ts';

const SWEEP_GOAL_USD = 0.1;
const IDLE_GOAL_USD = 5.2;

describe('the lost-event sweep in the idle cost', () => {
  it('costs at most $0.10 a month at 500 mappings every 15 minutes: 5 ListSecrets pages a run, no more', () => {
    const cost = sweepCostOf(500);
    expect(cost.runs).toBe(2_880);
    expect(cost.listSecretsCalls).toBe(2_880 * 5);
    expect(cost.usd).toBeLessThanOrEqual(SWEEP_GOAL_USD);
  });

  it('positive control: the same bound fails at a 5-minute period (three times the ListSecrets calls)', () => {
    expect(sweepCostOf(500, 5).usd).toBeGreaterThan(SWEEP_GOAL_USD);
  });

  // Issue 22's other bound: the app's idle cost at 500 mappings with the sweep, and the sweep's own alarm, at most
  // $5.20. Met by reading the step failures and redrive-sync's errors through Metrics Insights (no metric while idle).
  it('keeps the idle cost of the app of 500 mappings, sweep and its alarm included, at most $5.20', () => {
    const row = idleCostOf(500);
    expect(row.sweepUsd).toBe(sweepCostOf(500).usd);
    const rest =
      row.kmsKeys * PRICES.kmsKey.usd + row.alarmMetrics * PRICES.alarm.usd + row.dashboards * PRICES.dashboard.usd;
    expect(row.listUsd).toBeCloseTo(rest + row.sweepUsd!, 2);
    // Both Metrics Insights alarms are seen as such, the one whose query names a function (Fn::Join) included.
    expect(row.metricsInsightsAlarms).toBe(5);
    expect(row.listUsd).toBeLessThanOrEqual(IDLE_GOAL_USD);
    // Positive control: the same app with those two alarms on standard metrics again exceeds the bound.
    expect(row.listUsd + 2 * PRICES.alarm.usd).toBeGreaterThan(IDLE_GOAL_USD);
  }, 300_000);

  it("is what docs/performance.md's sweep table says at 500 mappings", () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'performance.md'), 'utf8');
    const row = doc.split('\n').find((l) => l.startsWith('| 500 | 14,400:'));
    expect(row).toContain(`**$${sweepCostOf(500).usd.toFixed(3)}**`);
  });
});
