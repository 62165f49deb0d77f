// Production timing: one cell per step that talks to the outside, run with
// the ASL's own Retry settings (no 5 ms override), asserting that each
// observed wait lies within the documented backoff with full jitter:
// retry n waits a uniform time in [0, min(MaxDelaySeconds, IntervalSeconds ×
// BackoffRate^(n-1))]. The settings are read from statemachine/sync.asl.json
// and compared with the documented ones (1 s, ×2, at most 20 s, FULL).
// Stand-in: the waits are aws-local-stepfunctions' implementation of these
// settings, not the service's; what this proves is that the ASL asks for
// them and that the whole retry path runs unshortened. A 401 is retried by
// the Kubernetes step itself (it signs a new token at each call): its own
// Retry entry (1 s, ×2, at most 20 s, FULL, MAX_REAUTHS attempts) is timed too.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kubeStatus, type Fault, type FaultRule } from '../../testbed/fault-proxy.ts';
import { MAX_REAUTHS } from '../../functions/domain/loops.ts';
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
const stateOf = (step: string) => ASL.States[step] ?? ASL.States.Targets.ItemProcessor.States[step];

/** The Retry entry of `step` for `error` (undefined when it has none). */
const retrierFor = (step: string, error: string): Retrier | undefined =>
  ((stateOf(step).Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes(error));

const transientRetrier = (step: string): Retrier => retrierFor(step, 'TransientError')!;

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
const CELLS: [StepName, string, Omit<FaultRule, 'times'>, number, error: string][] = [
  // Six resets outlast two calls' three attempts each: the step fails twice, then succeeds.
  [
    'FetchSecret',
    'GetSecretValue reset',
    { client: TAG.FetchSecret, target: 'secretsmanager.GetSecretValue', fault: reset },
    6,
    'TransientError',
  ],
  // ReadSecret opens the sealed data (one Decrypt, three attempts a call): six resets fail it twice.
  [
    'ReadSecret',
    'Decrypt reset',
    { client: TAG.ReadSecret, target: 'TrentService.Decrypt', fault: reset },
    6,
    'TransientError',
  ],
  [
    'ReadSecret',
    'GET 503',
    { method: 'GET', fault: kubeStatus(503, 'ServiceUnavailable', 'unavailable') },
    2,
    'TransientError',
  ],
  [
    'ApplySecret',
    'PATCH 503',
    { method: 'PATCH', fault: kubeStatus(503, 'ServiceUnavailable', 'unavailable') },
    2,
    'TransientError',
  ],
  // A refused token: the step retries itself (a new token each call) on its UnauthorizedError entry.
  [
    'ReadSecret',
    'GET 401',
    { method: 'GET', fault: kubeStatus(401, 'Unauthorized', 'Unauthorized') },
    2,
    'UnauthorizedError',
  ],
];

describe('Retry timing as deployed', () => {
  it('is configured as documented for every step: 1 s, backoff 2, at most 20 s, full jitter, 4 retries', () => {
    for (const step of ['FetchSecret', 'ReadSecret', 'ApplySecret', 'RestartWorkloads', 'RecheckRollouts'] as const) {
      expect(transientRetrier(step)).toMatchObject({
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
        MaxAttempts: 4,
      });
    }
  });

  it('retries a refused token (401) in the Kubernetes step itself: 1 s, backoff 2, at most 20 s, full jitter, MAX_REAUTHS', () => {
    for (const step of ['ReadSecret', 'ApplySecret', 'RestartWorkloads'] as const) {
      expect(retrierFor(step, 'UnauthorizedError'), step).toStrictEqual({
        ErrorEquals: ['UnauthorizedError'],
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
        MaxAttempts: MAX_REAUTHS,
      });
    }
    // FetchSecret calls no cluster; the re-check of rollouts after a redrive has no 401 retry.
    expect(retrierFor('FetchSecret', 'UnauthorizedError')).toBeUndefined();
    expect(retrierFor('RecheckRollouts', 'UnauthorizedError')).toBeUndefined();
  });

  it.each(CELLS)(
    '%s × %s: two retries, each wait within its full-jitter bound',
    async (step, _f, rule, times, error) => {
      const r = retrierFor(step, error)!;
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
