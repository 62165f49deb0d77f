// The step table (functions/domain/sync-steps.ts) against the ASL file: every Lambda Task state of
// statemachine/sync.asl.json is a row's state (or one of its alsoStates) with the row's placeholder and result
// path, and every row's states exist. A planted disagreement is found (positive control).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CORE_STEP_KINDS,
  FUNCTION_STEPS,
  SYNC_STEPS,
  type SyncStep,
  taskStates,
} from '../../functions/domain/sync-steps.ts';

const ASL_TEXT = readFileSync(new URL('../../statemachine/sync.asl.json', import.meta.url), 'utf8');

/** Every state of a definition by name, the Map's inner states included (no name is used twice). */
function allStates(states: Record<string, any>): [string, any][] {
  return Object.entries(states).flatMap(([name, s]) => [
    [name, s] as [string, any],
    ...(s.ItemProcessor ? allStates(s.ItemProcessor.States) : []),
  ]);
}

/** Where the table and the definition disagree, as readable lines; empty when they agree. */
function mismatches(asl: any, table: readonly SyncStep[]): string[] {
  const found: string[] = [];
  const states = allStates(asl.States);
  const byName = new Map(states);
  for (const [name, s] of states) {
    const placeholder = /^\$\{(\w+FunctionArn)\}$/.exec(String(s.Resource ?? ''))?.[1];
    if (s.Type !== 'Task' || placeholder === undefined) continue;
    const row = table.find((r) => r.state === name || r.alsoStates.includes(name));
    if (!row) {
      found.push(`Task state ${name} (${placeholder}) has no row in the step table`);
      continue;
    }
    if (row.placeholder !== placeholder) found.push(`${name}: Resource \${${placeholder}}, table ${row.placeholder}`);
    if (row.resultPath !== s.ResultPath) found.push(`${name}: ResultPath ${s.ResultPath}, table ${row.resultPath}`);
    const selected = Object.entries(s.ResultSelector ?? {})
      .find(([, v]) => v === '$')?.[0]
      ?.replace(/\.\$$/, '');
    const at = selected === undefined ? s.ResultPath : `${s.ResultPath}.${selected}`;
    if (row.resultAt !== at) found.push(`${name}: its result sits at ${at}, table ${row.resultAt}`);
  }
  for (const row of table) {
    for (const name of [row.state, ...row.alsoStates]) {
      if (byName.get(name)?.Type !== 'Task') found.push(`table state ${name} is no Task state of the definition`);
    }
  }
  return found;
}

/** What belongs to a row's function (the same for every row of its kind). */
const FUNCTION_FACTS = ['placeholder', 'seals', 'opens', 'inVpc', 'optional'] as const;

/** Rows that disagree with the first row of their kind on what belongs to the function, as readable lines. */
function functionDisagreements(table: readonly SyncStep[]): string[] {
  return table.flatMap((row) => {
    const first = table.find((r) => r.kind === row.kind)!;
    const differ = FUNCTION_FACTS.filter((k) => String(row[k]) !== String(first[k]));
    if (differ.length === 0) return [];
    const mine = differ.map((k) => `${k} ${String(row[k])}`).join(', ');
    return [`${row.state}: ${mine} (${first.state}: ${differ.map((k) => String(first[k])).join(', ')})`];
  });
}

describe('step table', () => {
  it('agrees with every Lambda Task state of statemachine/sync.asl.json', () => {
    expect(mismatches(JSON.parse(ASL_TEXT), SYNC_STEPS)).toEqual([]);
  });

  it('names each state once, and each function kind with one placeholder', () => {
    const states = taskStates().map(([s]) => s);
    expect(new Set(states).size).toBe(states.length);
    expect(states).toContain('RecheckRollouts');
    expect(new Set(SYNC_STEPS.map((s) => s.kind)).size).toBe(FUNCTION_STEPS.length);
    expect(new Set(SYNC_STEPS.map((s) => s.placeholder)).size).toBe(FUNCTION_STEPS.length);
  });

  it('has the rows of the token-free sync: ReadSecret reads and plans, no mint-token or plan-merge function', () => {
    expect(taskStates()).toStrictEqual([
      ['FetchSecret', 'fetch-secret'],
      ['ReadSecret', 'read-secret'],
      ['ApplySecret', 'apply-secret'],
      ['RestartWorkloads', 'restart-workloads'],
      ['RecheckRollouts', 'restart-workloads'],
    ]);
    expect(FUNCTION_STEPS.map((s) => s.kind)).toStrictEqual([
      'fetch-secret',
      'read-secret',
      'apply-secret',
      'restart-workloads',
    ]);
    expect(CORE_STEP_KINDS).toStrictEqual(['fetch-secret', 'read-secret', 'apply-secret']);
    // ReadSecret's result is the plan itself, where ApplySecret and the Choices read it.
    expect(SYNC_STEPS.find((s) => s.state === 'ReadSecret')).toMatchObject({
      resultPath: '$.write.plan',
      resultAt: '$.write.plan',
    });
  });

  it('seals and opens the secret data only: 1 seal (FetchSecret), 2 opens (ReadSecret, ApplySecret), no token', () => {
    const uses = FUNCTION_STEPS.map((s) => `${s.state} seals [${s.seals.join()}] opens [${s.opens.join()}]`);
    expect(uses).toStrictEqual([
      'FetchSecret seals [secret-data] opens []',
      'ReadSecret seals [] opens [secret-data]',
      'ApplySecret seals [] opens [secret-data]',
      'RestartWorkloads seals [] opens []',
    ]);
    // KMS calls of a target's sync through every step, a restart included: one GenerateDataKey per seal, one
    // Decrypt per open; 3 in all (6 when a sealed token travelled).
    const seals = SYNC_STEPS.flatMap((s) => s.seals).length;
    const opens = SYNC_STEPS.flatMap((s) => s.opens).length;
    expect([seals, opens]).toStrictEqual([1, 2]);
  });

  it('gives the rows of one function kind the same function', () => {
    expect(functionDisagreements(SYNC_STEPS)).toEqual([]);
  });

  it('finds a later row of a kind that disagrees with its function (positive control)', () => {
    const read = SYNC_STEPS.find((s) => s.kind === 'read-secret')!;
    const planted = [...SYNC_STEPS, { ...read, state: 'PlantedRead', inVpc: false, opens: [] as const }];
    expect(functionDisagreements(planted)).toEqual([
      'PlantedRead: opens , inVpc false (ReadSecret: secret-data, true)',
    ]);
  });

  it.each([
    [
      'a changed ResultPath',
      (a: any) => {
        a.States.FetchSecret.ResultPath = '$.fetchedData';
      },
      'ResultPath',
    ],
    [
      'a changed placeholder',
      (a: any) => {
        a.States.Targets.ItemProcessor.States.ReadSecret.Resource = '${ReadFunctionArn}';
      },
      'Resource',
    ],
    [
      'a lost ResultSelector',
      (a: any) => void delete a.States.Targets.ItemProcessor.States.ApplySecret.ResultSelector,
      'sits at',
    ],
    [
      'a ResultSelector that wraps the plan ReadSecret returns',
      (a: any) => {
        a.States.Targets.ItemProcessor.States.ReadSecret.ResultSelector = { 'observed.$': '$' };
      },
      'ReadSecret: its result sits at $.write.plan.observed, table $.write.plan',
    ],
    [
      'a MintToken state of the definition before',
      (a: any) => {
        a.States.Targets.ItemProcessor.States.MintToken = {
          Type: 'Task',
          Resource: '${MintTokenFunctionArn}',
          ResultPath: '$.write.token',
        };
      },
      'Task state MintToken (MintTokenFunctionArn) has no row',
    ],
    [
      'a Task state the table lacks',
      (a: any) => {
        // A name no row will take (the traces' new step, VerifySecret, once made a real row pass this control).
        a.States.UnlistedStep = { Type: 'Task', Resource: '${UnlistedStepFunctionArn}', ResultPath: '$.v' };
      },
      'no row',
    ],
    [
      'a removed state',
      (a: any) => void delete a.States.Targets.ItemProcessor.States.RecheckRollouts,
      'RecheckRollouts',
    ],
    ['a removed ReadSecret', (a: any) => void delete a.States.Targets.ItemProcessor.States.ReadSecret, 'ReadSecret'],
  ])('finds %s (positive control)', (_what, plant, says) => {
    const asl = JSON.parse(ASL_TEXT);
    plant(asl);
    const found = mismatches(asl, SYNC_STEPS);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(says);
  });
});
