/**
 * The deployed state machine definition judged by two ASL interpreters nobody here wrote: aws-local-stepfunctions
 * (npm) and moto's Step Functions interpreter (PyPI, moto in the test bed's .venv; a port of LocalStack's). The
 * same scripted scenarios run on both (test/support/asl-scenarios.ts), and every run must agree between them in
 * status, error, cause, output, states entered, task inputs and DLQ bodies; a few key outcomes per scenario are
 * pinned as well. A definition that needs behaviour where the two disagree fails here (the planted control).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUDGET_SECONDS_PARAMETER,
  budgetLeftMs,
  WAVES_BUDGET_SECONDS,
} from '../../functions/domain/execution-budget.ts';
import { ensureMotoServer } from '../../testbed/python.ts';
import { type DeployedDefinition, deployedDefinition } from '../support/asl-deployed.ts';
import { synthUnbundled } from '../support/synth-unbundled.ts';
import {
  callCount,
  comparable,
  dlqSummary,
  type InterpreterRun,
  runLocal,
  runMoto,
  scriptedAnswer,
  startTimes,
} from '../support/asl-interpreters.ts';
import { FIXTURE_YAML, MAPPING_ID, SCENARIOS, T2, T3, WAVES_SCENARIOS, WAVES_YAML } from '../support/asl-scenarios.ts';

/**
 * The control: the definition as it was before both interpreters were made to agree, its first failed target's
 * error read through an array index in ErrorPath/CausePath (AWS: one node; moto 5.2.5: a one-element list).
 */
function plantedDivergence(def: DeployedDefinition): DeployedDefinition {
  const asl = JSON.parse(def.text);
  asl.States.FailedTargets.Parameters = { 'errors.$': '$.results[*].error' };
  asl.States.FailedTarget.ErrorPath = '$.check.errors[0].Error';
  asl.States.FailedTarget.CausePath = '$.check.errors[0].Cause';
  return { ...def, text: JSON.stringify(asl) };
}

const CONTROL = SCENARIOS.filter((s) => s.name === 'one-target-fails');

let local: InterpreterRun[];
let moto: InterpreterRun[];
let plantedLocal: InterpreterRun[];
let plantedMoto: InterpreterRun[];
let wavesLocal: InterpreterRun[];
let wavesMoto: InterpreterRun[];

beforeAll(async () => {
  await ensureMotoServer((msg) => process.stderr.write(`[moto] ${msg}\n`));
  const def = deployedDefinition(synthUnbundled(FIXTURE_YAML), MAPPING_ID);
  const planted = plantedDivergence(def);
  const waves = deployedDefinition(synthUnbundled(WAVES_YAML), MAPPING_ID);
  let motoRuns: InterpreterRun[][];
  [motoRuns, local, plantedLocal, wavesLocal] = await Promise.all([
    runMoto([
      { definition: def, scenarios: SCENARIOS },
      { definition: planted, scenarios: CONTROL },
      { definition: waves, scenarios: WAVES_SCENARIOS },
    ]),
    runLocal(def, SCENARIOS),
    runLocal(planted, CONTROL),
    runLocal(waves, WAVES_SCENARIOS),
  ]);
  [moto, plantedMoto, wavesMoto] = motoRuns as [InterpreterRun[], InterpreterRun[], InterpreterRun[]];
}, 600_000);

describe('the deployed definition on two ASL interpreters', () => {
  it('answers {} for a function the script does not name, and refuses a named one without an answer', () => {
    const s = { ...SCENARIOS[0]!, answers: { ReadSecret: { [T3]: [] } } };
    expect(scriptedAnswer(s, 'ApplySecret', T2, 0)).toStrictEqual({ result: {} });
    expect(() => scriptedAnswer(s, 'ReadSecret', T2, 0)).toThrow(`no answer for ReadSecret ${T2}`);
    expect(() => scriptedAnswer(s, 'ReadSecret', T3, 0)).toThrow(`no answer for ReadSecret ${T3}`);
  });

  it.each(SCENARIOS.map((s, i) => [s.name, i] as const))('%s: both agree', (_name, i) => {
    expect(comparable(moto[i]!)).toStrictEqual(comparable(local[i]!));
  });

  it.each(SCENARIOS.map((s, i) => [s.name, i] as const))('%s: ends as the scenario expects', (_name, i) => {
    const s = SCENARIOS[i]!;
    const synced = SCENARIOS.findIndex((x) => x.name === 'all-synced');
    for (const [run, base] of [
      [local[i]!, local[synced]!],
      [moto[i]!, moto[synced]!],
    ] as const) {
      expect(run.status).toBe(s.expect.status);
      if (s.expect.error !== undefined) expect(run.error).toBe(s.expect.error);
      if (s.expect.dlq) expect(dlqSummary(run)).toStrictEqual(s.expect.dlq);
      for (const [call, n] of Object.entries(s.expect.calls ?? {})) expect(callCount(run, call), call).toBe(n);
      for (const [call, n] of Object.entries(s.expect.moreCalls ?? {})) {
        expect(callCount(run, call) - callCount(base, call), call).toBe(n);
      }
    }
  });

  it('finds a 401 that cost no extra run of the refused step (control: the all-synced run in its place)', () => {
    const synced = local[SCENARIOS.findIndex((x) => x.name === 'all-synced')]!;
    const reminted = SCENARIOS.find((x) => x.name === 'unauthorized-then-reminted')!.expect.moreCalls!;
    for (const [call, n] of Object.entries(reminted))
      expect(callCount(synced, call) - callCount(synced, call)).not.toBe(n);
  });

  it.each(WAVES_SCENARIOS.map((s, i) => [s.name, i] as const))('%s (waves): both agree, as expected', (_name, i) => {
    const s = WAVES_SCENARIOS[i]!;
    expect(comparable(wavesMoto[i]!)).toStrictEqual(comparable(wavesLocal[i]!));
    for (const run of [wavesLocal[i]!, wavesMoto[i]!]) {
      expect(run.status).toBe(s.expect.status);
      if (s.expect.error !== undefined) expect(run.error).toBe(s.expect.error);
      expect(dlqSummary(run)).toStrictEqual(s.expect.dlq);
      for (const [call, n] of Object.entries(s.expect.calls ?? {})) expect(callCount(run, call), call).toBe(n);
    }
  });

  it.each([
    ['waves-out-of-time', `out of time before wave 2 of 3`, `not written (out of time): ${T2}, ${T3};`],
    ['waves-held-out-of-time', `stopped at wave 1 of 3`, `budget had ended (no wave starts after it`],
  ])('%s: a loop past its deadline stops and sends its DLQ message, naming what was not written', (name, a, b) => {
    const i = WAVES_SCENARIOS.findIndex((s) => s.name === name);
    for (const run of [wavesLocal[i]!, wavesMoto[i]!]) {
      const stop = run.dlq.find((m) => m.failedStep === 'Waves');
      expect(stop).toMatchObject({ target: null, error: 'WavesStoppedError' });
      expect(stop.cause).toContain(a);
      expect(stop.cause).toContain(b);
      expect(run.statesEntered.filter((st) => st === 'Targets')).toHaveLength(1);
    }
  });

  it('gives every task of a waves mapping its shorter budget', () => {
    for (const run of [wavesLocal[0]!, wavesMoto[0]!]) {
      expect(run.taskInputs.length).toBeGreaterThan(0);
      for (const c of run.taskInputs) expect(c.input[BUDGET_SECONDS_PARAMETER], c.function).toBe(WAVES_BUDGET_SECONDS);
    }
  });

  it('gives every task the execution start time, in a form the functions read (moto: microseconds, +00:00)', () => {
    const [l, m] = [startTimes(local[0]!), startTimes(moto[0]!)];
    // One start per execution (AWS; moto). aws-local-stepfunctions 3.0.0 restarts the clock in each Map
    // iteration, so its tasks inside the Map see the iteration's start (docs/testing.md).
    expect(m).toHaveLength(1);
    expect(l[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(m[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    for (const t of [...l, ...m]) expect(budgetLeftMs(t, Date.now())).toBeGreaterThan(0);
  });

  it('waits as the Retry says in moto: full jitter under 1 s * 2^n, at most 20 s (aws-local-stepfunctions: overridden)', () => {
    const i = SCENARIOS.findIndex((s) => s.name === 'retries-exhausted-in-target');
    const waits = moto[i]!.retryWaits!;
    expect(waits).toHaveLength(4);
    waits.forEach((w, n) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(Math.min(2 ** n, 20));
    });
  });

  it('reports a planted divergence (the control: array index in ErrorPath, a list in moto)', () => {
    expect(plantedLocal[0]!.error).toBe('PermissionDeniedError');
    expect(plantedMoto[0]!.error).toBe('States.Runtime');
    expect(comparable(plantedMoto[0]!)).not.toStrictEqual(comparable(plantedLocal[0]!));
    expect(dlqSummary(plantedMoto[0]!)).toStrictEqual([`${T2} ApplySecret PermissionDeniedError`]);
  });
});
