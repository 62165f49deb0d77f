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

  // Issue 22's other bound, the app's idle cost at 500 mappings with the sweep at most $5.20, is NOT met: the rest
  // is $5.20 already (key, 12 alarm metrics, dashboard), the sweep adds its $0.09. Counted here, not asserted.
  it('is counted in the idle cost of the app of 500 mappings, beside the key, the alarms and the dashboard', () => {
    const row = idleCostOf(500);
    expect(row.sweepUsd).toBe(sweepCostOf(500).usd);
    const rest =
      row.kmsKeys * PRICES.kmsKey.usd + row.alarmMetrics * PRICES.alarm.usd + row.dashboards * PRICES.dashboard.usd;
    expect(row.listUsd).toBeCloseTo(rest + row.sweepUsd!, 2);
    expect(row.listUsd).toBeGreaterThan(IDLE_GOAL_USD);
  }, 300_000);

  it("is what docs/performance.md's sweep table says at 500 mappings", () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'performance.md'), 'utf8');
    const row = doc.split('\n').find((l) => l.startsWith('| 500 | 14,400:'));
    expect(row).toContain(`**$${sweepCostOf(500).usd.toFixed(3)}**`);
  });
});
