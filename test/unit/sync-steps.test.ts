// The step table (functions/domain/sync-steps.ts) against the ASL file: every Lambda Task state of
// statemachine/sync.asl.json is a row's state (or one of its alsoStates) with the row's placeholder and result
// path, and every row's states exist. A planted disagreement is found (positive control).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYNC_STEPS, taskStates, type SyncStep } from '../../functions/domain/sync-steps.ts';

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

describe('step table', () => {
  it('agrees with every Lambda Task state of statemachine/sync.asl.json', () => {
    expect(mismatches(JSON.parse(ASL_TEXT), SYNC_STEPS)).toEqual([]);
  });

  it('names each function kind, state and placeholder once', () => {
    for (const key of ['kind', 'state', 'placeholder'] as const) {
      expect(new Set(SYNC_STEPS.map((s) => s[key])).size).toBe(SYNC_STEPS.length);
    }
    expect(taskStates().map(([s]) => s)).toContain('RemintToken');
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
      (a: any) => void delete a.States.Targets.ItemProcessor.States.ReadSecret.ResultSelector,
      'sits at',
    ],
    [
      'a Task state the table lacks',
      (a: any) => {
        // A name no row will take (the traces' new step, VerifySecret, once made a real row pass this control).
        a.States.UnlistedStep = { Type: 'Task', Resource: '${UnlistedStepFunctionArn}', ResultPath: '$.v' };
      },
      'no row',
    ],
    ['a removed state', (a: any) => void delete a.States.Targets.ItemProcessor.States.RemintToken, 'RemintToken'],
  ])('finds %s (positive control)', (_what, plant, says) => {
    const asl = JSON.parse(ASL_TEXT);
    plant(asl);
    const found = mismatches(asl, SYNC_STEPS);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(says);
  });
});
