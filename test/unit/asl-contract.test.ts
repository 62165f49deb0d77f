// The ASL file and the code agree on error names: every name the state
// machine matches is thrown by the code, and every error the code throws on
// purpose is handled by the state machine.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../functions/domain/errors.ts';
import * as errors from '../../functions/domain/errors.ts';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS } from '../../functions/domain/loops.ts';

const asl = JSON.parse(readFileSync(new URL('../../statemachine/sync.asl.json', import.meta.url), 'utf8'));
const states = Object.entries(asl.States) as [string, any][];
const tasks = states.filter(([, s]) => s.Type === 'Task' && String(s.Resource).includes('FunctionArn'));
const matched = new Set(
  tasks.flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r: any) => r.ErrorEquals as string[])),
);
const ours = (name: string) => !name.startsWith('States.') && !name.startsWith('Lambda.');

describe('ASL error contract', () => {
  it('matches only error names the code defines', () => {
    const defined = new Set(
      (Object.values(errors) as unknown[])
        .filter((v): v is new (m: string) => Error => typeof v === 'function')
        .map((C) => new C('x').name),
    );
    expect([...matched].filter(ours).filter((n) => !defined.has(n))).toEqual([]);
  });

  it.each(ERROR_NAMES.map((n) => [n]))('names %s in a Retry or Catch of some task', (name) => {
    expect(matched.has(name)).toBe(true);
  });

  it.each(tasks.map(([n]) => [n]))('%s sends permanent errors straight to its failure state', (name) => {
    const permanent = asl.States[name].Catch.find((c: any) => c.ErrorEquals.includes('InvalidInputError'));
    expect(permanent.ErrorEquals).toEqual([
      'InvalidInputError',
      'NotFoundError',
      'PermissionDeniedError',
      'ConfigError',
    ]);
    expect(permanent.Next).toBe(`${name}Failed`);
  });

  it.each(tasks.map(([n]) => [n]))(
    '%s retries transient errors with backoff and jitter but never permanent ones',
    (name) => {
      const s = asl.States[name];
      const retried = (s.Retry as any[]).flatMap((r) => r.ErrorEquals as string[]);
      expect(retried).toContain('TransientError');
      for (const permanent of [
        'InvalidInputError',
        'NotFoundError',
        'PermissionDeniedError',
        'ConfigError',
        'States.ALL',
      ]) {
        expect(retried).not.toContain(permanent);
      }
      for (const r of s.Retry) {
        expect(r.BackoffRate).toBeGreaterThan(1);
        expect(r.JitterStrategy).toBe('FULL');
      }
    },
  );

  it.each(tasks.map(([n]) => [n]))(
    '%s ends in its own failure state that records the step and sends to the DLQ',
    (name) => {
      const all = asl.States[name].Catch.find((c: any) => c.ErrorEquals.includes('States.ALL'));
      expect(all.Next).toBe(`${name}Failed`);
      expect(asl.States[`${name}Failed`]).toMatchObject({
        Type: 'Pass',
        Result: name,
        ResultPath: '$.failedStep',
        Next: 'SendToDlq',
      });
      expect(asl.States.SendToDlq.Next).toBe('SyncFailed');
      expect(asl.States.SyncFailed.Type).toBe('Fail');
    },
  );

  it('routes ConflictError from ApplySecret back to ReadSecret a bounded number of times', () => {
    expect(asl.States.ApplySecret.Catch[0]).toMatchObject({ ErrorEquals: ['ConflictError'], Next: 'CountConflict' });
    expect(asl.States.ConflictBudgetLeft.Choices[0]).toMatchObject({ Next: 'ReadSecret' });
    expect(asl.States.ConflictBudgetLeft.Default).toBe('ApplySecretFailed');
  });

  it('restarts workloads only after ApplySecret, only when the plan lists some, and then ends Synced', () => {
    expect(asl.States.ApplySecret.Next).toBe('RestartNeeded');
    expect(asl.States.RestartNeeded).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.restart[0]', IsPresent: true, Next: 'RestartWorkloads' }],
      Default: 'Synced',
    });
    expect(asl.States.RestartWorkloads.Next).toBe('Synced');
    const into = states
      .filter(([, s]) => JSON.stringify([s.Next, s.Default, s.Choices, s.Catch]).includes('"RestartWorkloads"'))
      .map(([n]) => n);
    expect(into.sort()).toEqual(['RemintToken', 'RestartNeeded']);
  });

  it('writes for create, update and the two deletions, ends Retained for retain, and InSync otherwise', () => {
    const routes = Object.fromEntries(asl.States.WriteNeeded.Choices.map((c: any) => [c.StringEquals, c.Next]));
    expect(routes).toStrictEqual({
      create: 'ApplySecret',
      update: 'ApplySecret',
      'delete-keys': 'ApplySecret',
      'delete-secret': 'ApplySecret',
      retain: 'Retained',
    });
    expect(asl.States.WriteNeeded.Default).toBe('InSync');
    expect(asl.States.Retained.Type).toBe('Succeed');
  });

  it('gives RestartWorkloads the version, a start time fixed for the execution, and only the sealed token', () => {
    expect(asl.States.RestartWorkloads.Parameters).toStrictEqual({
      'executionStartedAt.$': '$$.Execution.StartTime',
      'versionId.$': '$.fetched.source.versionId',
      'requestedAt.$': '$$.Execution.StartTime',
      'sealedToken.$': '$.token.sealedToken',
    });
  });

  it('mints a new token for a refused restart a bounded number of times, then returns to RestartWorkloads', () => {
    expect(asl.States.RestartWorkloads.Catch[0]).toMatchObject({
      ErrorEquals: ['UnauthorizedError'],
      Next: 'CountRestartReauth',
    });
    expect(asl.States.RestartReauthBudgetLeft.Choices[0]).toMatchObject({ Variable: '$.reauths', Next: 'RemintToken' });
    expect(asl.States.RestartReauthBudgetLeft.Default).toBe('RestartWorkloadsFailed');
    expect(asl.States.RemintToken).toMatchObject({
      Resource: '${MintTokenFunctionArn}',
      ResultPath: '$.token',
      Next: 'RestartWorkloads',
    });
  });
});

describe('ASL loop bounds', () => {
  /** The one bound a budget Choice state compares its counter with (`counter <= bound` goes round again). */
  const bound = (state: string, counter: string) => {
    const s = asl.States[state];
    expect(s.Type).toBe('Choice');
    expect(s.Choices).toHaveLength(1);
    expect(s.Choices[0].Variable).toBe(counter);
    return s.Choices[0].NumericLessThanEquals as number;
  };

  it('start both counters at 0', () => {
    expect(asl.States.Start.Parameters).toMatchObject({ conflicts: 0, reauths: 0 });
  });

  it.each([
    ['CountConflict', '$.conflicts'],
    ['CountReauth', '$.reauths'],
    ['CountRestartReauth', '$.reauths'],
  ])('%s adds exactly 1 to %s', (state, counter) => {
    expect(asl.States[state].Parameters).toStrictEqual({ 'value.$': `States.MathAdd(${counter}, 1)` });
  });

  it('read and merge again after a conflict at most MAX_CONFLICT_RETRIES times (domain/loops.ts)', () => {
    expect(bound('ConflictBudgetLeft', '$.conflicts')).toBe(MAX_CONFLICT_RETRIES);
  });

  it.each(['ReauthBudgetLeft', 'RestartReauthBudgetLeft'])('%s mints again at most MAX_REAUTHS times', (state) => {
    expect(bound(state, '$.reauths')).toBe(MAX_REAUTHS);
  });

  it('are 3 and 2, as docs/architecture.md#error-contract documents', () => {
    expect([MAX_CONFLICT_RETRIES, MAX_REAUTHS]).toStrictEqual([3, 2]);
  });
});
