// Production timing: one cell per step that talks to the outside, run with
// the ASL's own Retry settings (no 5 ms override), asserting that each
// observed wait lies within the documented backoff with full jitter:
// retry n waits a uniform time in [0, min(MaxDelaySeconds, IntervalSeconds ×
// BackoffRate^(n-1))]. The settings are read from statemachine/sync.asl.json
// and compared with the documented ones (1 s, ×2, at most 20 s, FULL).
// Stand-in: the waits are aws-local-stepfunctions' implementation of these
// settings, not the service's; what this proves is that the ASL asks for
// them and that the whole retry path runs unshortened. PlanMerge makes no
// call and has nothing to fault.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kubeStatus, type Fault, type FaultRule } from '../../testbed/fault-proxy.ts';
import type { StepName } from '../../testbed/local-pipeline.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { TAG, useFaultMatrix } from '../support/fault-matrix.ts';
import type { ExecutionRecord } from '../support/pipeline.ts';

const CANARY = 'CANARY-3b9d51-retry-timing';
const bed = useFaultMatrix(CANARY);
const ASL = JSON.parse(readFileSync(new URL('../../statemachine/sync.asl.json', import.meta.url), 'utf8'));
/** Scheduling slack of a shared 2-core machine on top of the upper bound. */
const SLACK_MS = 400;
/** Every wait observed, for the control that they are the real ones. */
const allWaits: number[] = [];

interface Retrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds: number;
  readonly JitterStrategy: string;
}

/** A step's state: FetchSecret at the top level, the others in one target's run (the Map's ItemProcessor). */
const stateOf = (step: StepName) => ASL.States[step] ?? ASL.States.Targets.ItemProcessor.States[step];

const transientRetrier = (step: StepName): Retrier =>
  (stateOf(step).Retry as Retrier[]).find((r) => r.ErrorEquals.includes('TransientError'))!;

/** The waits between each failure of `step` and its retry, in ms, in order. */
function waits(run: ExecutionRecord, step: StepName): number[] {
  const out: number[] = [];
  let failedAt: number | undefined;
  for (const e of run.events) {
    if (e.state?.name !== step) continue;
    if (e.type === 'StateFailed') failedAt = e.timestamp;
    if (e.type === 'StateRetried' && failedAt !== undefined) out.push(e.timestamp - failedAt);
  }
  return out;
}

const reset: Fault = { kind: 'reset' };
const CELLS: [StepName, string, Omit<FaultRule, 'times'>, number][] = [
  // Six resets outlast two calls' three attempts each: the step fails twice, then succeeds.
  [
    'FetchSecret',
    'GetSecretValue reset',
    { client: TAG.FetchSecret, target: 'secretsmanager.GetSecretValue', fault: reset },
    6,
  ],
  [
    'MintToken',
    'GenerateDataKey reset',
    { client: TAG.MintToken, target: 'TrentService.GenerateDataKey', fault: reset },
    6,
  ],
  ['ReadSecret', 'GET 503', { method: 'GET', fault: kubeStatus(503, 'ServiceUnavailable', 'unavailable') }, 2],
  ['ApplySecret', 'PATCH 503', { method: 'PATCH', fault: kubeStatus(503, 'ServiceUnavailable', 'unavailable') }, 2],
];

describe('Retry timing as deployed', () => {
  it('is configured as documented for every step: 1 s, backoff 2, at most 20 s, full jitter, 4 retries', () => {
    for (const step of ['FetchSecret', 'MintToken', 'ReadSecret', 'PlanMerge', 'ApplySecret'] as const) {
      expect(transientRetrier(step)).toMatchObject({
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
        MaxAttempts: 4,
      });
    }
  });

  it.each(CELLS)(
    '%s × %s: two retries, each wait within its full-jitter bound',
    async (step, _f, rule, times) => {
      const r = transientRetrier(step);
      const version = await bed.shared.putSecret({ secretString: JSON.stringify(bed.next()) });
      bed.p.kube.reset();
      bed.p.moto.reset();
      const proxy = 'client' in rule && rule.client !== undefined ? bed.p.moto : bed.p.kube;
      proxy.add({ ...rule, times });

      const run = await bed.shared.run(bed.shared.labelEvent(version), 1, { productionRetryTiming: true });

      expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
      const observed = waits(run, step);
      process.stderr.write(`[retry-timing] ${step}: waits ${observed.join(', ')} ms\n`);
      expect(observed).toHaveLength(2);
      allWaits.push(...observed);
      observed.forEach((ms, i) => {
        const bound = Math.min(r.MaxDelaySeconds, r.IntervalSeconds * r.BackoffRate ** i) * 1000;
        expect(ms, `retry ${i + 1} of ${step} waited ${ms} ms`).toBeGreaterThanOrEqual(0);
        expect(ms, `retry ${i + 1} of ${step} waited ${ms} ms, bound ${bound} ms`).toBeLessThanOrEqual(
          bound + SLACK_MS,
        );
      });
    },
    60_000,
  );

  it("waited for real (the control: with the tests' 5 ms override every wait would be about 5 ms)", () => {
    expect(allWaits).toHaveLength(2 * CELLS.length);
    // Eight uniform draws from [0, 1000] and [0, 2000] ms all under 50 ms: about one chance in 10^11.
    expect(Math.max(...allWaits)).toBeGreaterThan(50);
  });

  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(bed.mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
