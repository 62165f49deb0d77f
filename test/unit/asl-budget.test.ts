// The execution's worst case against Express's 5 minutes, read from the ASL file (infra/model/asl-budget.ts). A
// timed-out
// Express execution runs no Catch, so a sync still retrying at 300 s leaves no DLQ message: the worst path up to and
// including SendToDlq must end before then, with a margin. Each control plants a definition that breaks one
// assumption and expects the analysis to say so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tasksWithoutBudget, UnboundedError, worstCase, worstCaseWithBudget } from '../../infra/model/asl-budget.ts';
import { MAX_TARGETS } from '../../infra/model/config-schema.ts';
import { MAX_RESTART_WINDOW_SECONDS } from '../../functions/domain/restart.ts';
import { DEFINITION_FILE } from '../../infra/constructs/state-machine.ts';
import {
  BUDGET_PARAMETER,
  BUDGET_SECONDS_PARAMETER,
  EXECUTION_BUDGET_SECONDS,
  EXPRESS_LIMIT_SECONDS,
  WAVES_BUDGET_SECONDS,
} from '../../functions/domain/execution-budget.ts';
import type { WavesOption } from '../../functions/domain/waves.ts';
import { withWaves } from '../../infra/model/waves.ts';

/** What is kept between the worst case and Express's limit (clock and transition slack beyond the model). */
const REQUIRED_MARGIN_SECONDS = 30;

const asl = () => JSON.parse(readFileSync(DEFINITION_FILE, 'utf8'));
/** The fan-out's most targets: the Map state's items at most (infra/model/config-schema.ts). */
const ITEMS = { mapItems: MAX_TARGETS };
/** One target's states (inside the Map state `Targets`) of a definition. */
const inner = (def: any) => def.States.Targets.ItemProcessor.States;
/** One target's run alone: its states, entered with the item the Map gives it (the ItemSelector: counters at 0). */
const targetRun = (def: any) => ({
  StartAt: 'Item',
  States: {
    Item: { Type: 'Pass', Parameters: def.States.Targets.ItemSelector, Next: def.States.Targets.ItemProcessor.StartAt },
    ...inner(def),
  },
});

describe('the state machine within Express’s 5 minutes', () => {
  it('every Lambda task receives the execution’s start time, so each keeps the budget', () => {
    expect(tasksWithoutBudget(asl())).toEqual([]);
  });

  it(`ends, in the worst case, ${REQUIRED_MARGIN_SECONDS} s or more before ${EXPRESS_LIMIT_SECONDS} s, the last state SendToDlq and its Fail`, () => {
    const r = worstCaseWithBudget(asl(), EXECUTION_BUDGET_SECONDS, ITEMS);
    const tail = `tail from ${r.crossing}: ${r.path.join(' > ')}`;
    console.log(`worst case ${r.seconds.toFixed(1)} s (budget ${r.budgetSeconds} s + ${tail})`);
    expect(r.seconds).toBeLessThanOrEqual(EXPRESS_LIMIT_SECONDS - REQUIRED_MARGIN_SECONDS);
    expect(r.path.slice(-2)).toEqual(['FailedTargets', 'FailedTarget']);
  });

  it('is the number docs/operations.md states (the docs follow the ASL)', () => {
    const r = worstCaseWithBudget(asl(), EXECUTION_BUDGET_SECONDS, ITEMS);
    const ops = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    expect(ops).toContain(`The worst case is then ${r.seconds.toFixed(1)} s`);
    expect(ops).toContain(`${(EXPRESS_LIMIT_SECONDS - r.seconds).toFixed(1)} s inside the limit`);
    expect(ops).toContain(`**${EXECUTION_BUDGET_SECONDS} s after the execution's start**`);
  });

  it('would not fit without the budget: why the steps keep one (every attempt at its TimeoutSeconds)', () => {
    const r = worstCase(asl(), ITEMS);
    expect(r.seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS);
    // the loops run to their bounds: 4 applies after 3 conflicts (each attempt with its Retry entries, the 401's
    // MAX_REAUTHS included, inside the step's own time)
    // (in one target's run: the Map state `Targets` counts as one state of the top-level path)
    const target = worstCase(targetRun(asl()));
    expect(target.path.filter((s) => s === 'ApplySecret').length).toBeGreaterThanOrEqual(4);
  });
});

describe('controls: a definition over the limit is reported', () => {
  it('a Lambda task that does not pass the start time is named, and its late attempts make the worst case over', () => {
    const def = asl();
    delete inner(def).ApplySecret.Parameters[`${BUDGET_PARAMETER}.$`];
    expect(tasksWithoutBudget(def)).toEqual(['ApplySecret']);
    // Late, ApplySecret can succeed or conflict and loop: the analysis cannot bound it, or finds it over.
    expect(() => {
      const seconds = worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS).seconds;
      if (seconds > EXPRESS_LIMIT_SECONDS - REQUIRED_MARGIN_SECONDS) throw new Error('over');
    }).toThrow();
  });

  it('a slower SendToDlq (60 s per attempt) is over', () => {
    const def = asl();
    def.States.SendToDlq.TimeoutSeconds = 60;
    expect(worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS).seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS);
  });

  it('more retries of a step are over', () => {
    const def = asl();
    def.States.FetchSecret.Retry[0].MaxAttempts = 30;
    expect(worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS).seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS);
  });

  it('a larger budget is over', () => {
    expect(worstCaseWithBudget(asl(), EXECUTION_BUDGET_SECONDS + 60, ITEMS).seconds).toBeGreaterThan(
      EXPRESS_LIMIT_SECONDS,
    );
  });

  it('a Task without TimeoutSeconds, a Wait without Seconds and a loop without a counter are unbounded', () => {
    const noTimeout = asl();
    delete noTimeout.States.SendToDlq.TimeoutSeconds;
    expect(() => worstCaseWithBudget(noTimeout, EXECUTION_BUDGET_SECONDS, ITEMS)).toThrow(UnboundedError);

    const loop = asl();
    inner(loop).InSync = {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.action', StringEquals: 'none', Next: 'ReadSecret' }],
      Default: 'Synced',
    };
    expect(() => worstCase(loop, ITEMS)).toThrow(/loop the analysis cannot bound/);

    const wait = asl();
    wait.States.Start.Next = 'Pause';
    wait.States.Pause = { Type: 'Wait', SecondsPath: '$.delay', Next: 'FetchSecret' };
    expect(() => worstCase(wait, ITEMS)).toThrow(/Wait state without a constant Seconds/);

    const other = asl();
    inner(other).WaitForRestartWindow.TimestampPath = '$.plan.restartAt';
    expect(() => worstCase(other, ITEMS)).toThrow(/Wait state without a constant Seconds or a known TimestampPath/);
  });

  it('counts the restart window: its wait is in the worst case, and ends by the budget', () => {
    // restartWindowSeconds (docs/restart.md#coalescing-restarts): WaitForRestartWindow waits at most the window.
    const target = (def: any) => worstCase(targetRun(def));
    const waitFree = asl();
    inner(waitFree).WaitForRestartWindow = { Type: 'Pass', Next: inner(waitFree).WaitForRestartWindow.Next };
    expect(target(asl()).seconds - target(waitFree).seconds).toBeCloseTo(MAX_RESTART_WINDOW_SECONDS, 5);
    // ApplySecret returns no boundary past the budget (restartBoundary): control, a wait that could outlast it is over.
    const outlasting = asl();
    inner(outlasting).WaitForRestartWindow = {
      Type: 'Wait',
      Seconds: MAX_RESTART_WINDOW_SECONDS,
      Next: 'RestartWorkloads',
    };
    const r = worstCaseWithBudget(outlasting, EXECUTION_BUDGET_SECONDS, ITEMS);
    expect(r.seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS - REQUIRED_MARGIN_SECONDS);
  });

  it('walks a Map state’s ItemProcessor: the same sync per item, three items one at a time, is over', () => {
    const inner = asl();
    const def = {
      StartAt: 'EachTarget',
      States: {
        EachTarget: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: inner.StartAt, States: inner.States },
          End: true,
        },
      },
    };
    expect(() => worstCase(def)).toThrow(/needs the number of items/);
    const one = worstCase(def, { mapItems: 1 }).seconds;
    expect(worstCase(def, { mapItems: 3 }).seconds).toBeCloseTo(3 * one, 0);
    // With the budget the items' late tails still fit once, not three times: each refuses at once.
    const budget = worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, { mapItems: 3 }).seconds;
    expect(budget).toBeGreaterThan(EXECUTION_BUDGET_SECONDS);
    const nested = { ...def, States: { EachTarget: { ...def.States.EachTarget, MaxConcurrency: 1 } } };
    nested.States.EachTarget.ItemProcessor.States.SendToDlq.TimeoutSeconds = 60;
    expect(worstCaseWithBudget(nested, EXECUTION_BUDGET_SECONDS, { mapItems: 3 }).seconds).toBeGreaterThan(
      EXPRESS_LIMIT_SECONDS,
    );
  });
});

/** A mapping with the most targets, in waves (infra/model/waves.ts). */
const wavesDef = (w: WavesOption) =>
  withWaves(
    asl(),
    Array.from({ length: MAX_TARGETS }, (_, i) => `prod/ns-${i}/s`),
    w,
  );
const SHAPES: readonly WavesOption[] = [
  { size: 1, heldTargets: 'write' },
  { size: 1, heldTargets: 'hold' },
  { size: 7, heldTargets: 'write' },
];
/** Every Lambda task of a definition (nested ones included). */
const lambdaTasks = (states: Record<string, any>): any[] =>
  Object.values(states).flatMap((s: any) => [
    ...(s.Type === 'Task' && /FunctionArn\}|lambda:invoke/.test(s.Resource) ? [s] : []),
    ...(s.ItemProcessor ? lambdaTasks(s.ItemProcessor.States) : []),
  ]);

describe('a mapping with waves within Express’s 5 minutes (the wave loop stops by time)', () => {
  it.each(SHAPES)('ends, in the worst case, with the margin: waves of $size, heldTargets $heldTargets', (w) => {
    const r = worstCaseWithBudget(wavesDef(w), EXECUTION_BUDGET_SECONDS, ITEMS);
    const tail = `tail from ${r.crossing}: ${r.path.join(' > ')}`;
    console.log(`waves ${w.size}/${w.heldTargets}: ${r.seconds.toFixed(1)} s (budget ${r.budgetSeconds} s, ${tail})`);
    expect(r.budgetSeconds).toBe(WAVES_BUDGET_SECONDS);
    expect(r.seconds).toBeLessThanOrEqual(EXPRESS_LIMIT_SECONDS - REQUIRED_MARGIN_SECONDS);
    // the last states: the stop's DLQ message (no new wave after the deadline)
    expect(r.path.slice(-3)).toEqual(['WavesFailed', 'SendToDlq', 'SyncFailed']);
  });

  it('is the number docs/restart.md and docs/operations.md state (the docs follow the analysis)', () => {
    const r = worstCaseWithBudget(wavesDef(SHAPES[0]!), EXECUTION_BUDGET_SECONDS, ITEMS);
    const doc = (f: string) => readFileSync(new URL(`../../docs/${f}`, import.meta.url), 'utf8');
    expect(doc('restart.md')).toContain(`${r.seconds.toFixed(1)} s of ${EXPRESS_LIMIT_SECONDS} s for 40 targets`);
    expect(doc('operations.md')).toContain(`worst case ${r.seconds.toFixed(1)} s`);
  });

  it('gives every Lambda task the shorter budget', () => {
    const tasks = lambdaTasks(wavesDef(SHAPES[0]!).States);
    expect(tasks.length).toBeGreaterThan(5);
    for (const t of tasks)
      expect((t.Parameters.Payload ?? t.Parameters)[BUDGET_SECONDS_PARAMETER]).toBe(WAVES_BUDGET_SECONDS);
  });

  it('control: without the time checks, the loop is unbounded once the budget is spent', () => {
    const def = wavesDef(SHAPES[0]!);
    def.States.WaveInTime.Choices = [{ Variable: '$.clock.now', IsPresent: false, Next: 'WavesOutOfTime' }];
    def.States.HeldInTime.Choices = [{ Variable: '$.clock.now', IsPresent: false, Next: 'HeldOutOfTime' }];
    expect(() => worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS)).toThrow(/loop the analysis cannot bound/);
    // the held run alone (only HeldInTime without its check) is over, not unbounded: one more late wave
    const held = wavesDef(SHAPES[0]!);
    held.States.HeldInTime.Choices = [{ Variable: '$.clock.now', IsPresent: false, Next: 'HeldOutOfTime' }];
    expect(worstCaseWithBudget(held, EXECUTION_BUDGET_SECONDS, ITEMS).seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS);
  });

  it('control: a deadline too late is over (counted from the deadline: one more wave and the hand-over)', () => {
    const late = { '$.fetched.budgetEndsAt': EXECUTION_BUDGET_SECONDS };
    const r = worstCaseWithBudget(wavesDef(SHAPES[0]!), EXECUTION_BUDGET_SECONDS, { ...ITEMS, deadlines: late });
    expect(r.budgetSeconds).toBe(EXECUTION_BUDGET_SECONDS);
    expect(r.seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS - REQUIRED_MARGIN_SECONDS);
  });

  it('control: a deadline the analysis does not know (another field) leaves the loop unbounded', () => {
    const def = wavesDef(SHAPES[0]!);
    def.States.WaveClock.Parameters['deadline.$'] = '$.fetched.changedAt';
    expect(() => worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS)).toThrow(/loop the analysis cannot bound/);
  });

  it('control: with the execution’s full budget (no shorter one on the tasks) the stop’s DLQ message is over', () => {
    const def = wavesDef(SHAPES[1]!);
    for (const t of lambdaTasks(def.States)) delete (t.Parameters.Payload ?? t.Parameters)[BUDGET_SECONDS_PARAMETER];
    expect(worstCaseWithBudget(def, EXECUTION_BUDGET_SECONDS, ITEMS).seconds).toBeGreaterThan(EXPRESS_LIMIT_SECONDS);
  });
});
