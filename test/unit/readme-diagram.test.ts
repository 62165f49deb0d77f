// README.md#how-a-sync-works: the diagram against the state machine it draws (statemachine/sync.asl.json): it names
// every state that does work, waits or ends a run (Task, Map, Wait, Succeed, Fail, at every level, the Map's
// iteration included), so a state added to the ASL (as the fan-out's Targets, SendTargetToDlq, FailedTarget were)
// cannot be left out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELD_TARGETS } from '../../functions/domain/waves.ts';
import { withWaves } from '../../infra/model/waves.ts';

const ROOT = join(import.meta.dirname, '../..');

interface States {
  readonly States: Record<string, { Type: string; ItemProcessor?: States; Iterator?: States }>;
}

/** The names of the states of these types, at every level. */
function statesOf(asl: States, types: readonly string[]): string[] {
  return Object.entries(asl.States).flatMap(([name, s]) => [
    ...(types.includes(s.Type) ? [name] : []),
    ...(s.ItemProcessor ? statesOf(s.ItemProcessor, types) : []),
    ...(s.Iterator ? statesOf(s.Iterator, types) : []),
  ]);
}

/** The states of `names` the diagram does not name (as a word). */
function missingFrom(diagram: string, names: readonly string[]): string[] {
  return names.filter((n) => !new RegExp(`\\b${n}\\b`).test(diagram));
}

/** The fenced block of README.md#how-a-sync-works. */
function diagram(readme: string): string {
  const section = readme.split(/^## How a sync works\n/m)[1] ?? '';
  return /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

/** The state types the diagram must name (the rules of the house add Wait). */
const TYPES = ['Task', 'Map', 'Succeed', 'Fail', 'Wait'];

describe('the sync diagram of README.md#how-a-sync-works', () => {
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachine/sync.asl.json'), 'utf8')) as States;
  const drawn = statesOf(asl, TYPES);

  it('names every Task, Map, Wait, Succeed and Fail state of the state machine', () => {
    expect(drawn).toContain('Targets');
    expect(drawn).toContain('WaitForRestartWindow');
    expect(missingFrom(diagram(readFileSync(join(ROOT, 'README.md'), 'utf8')), drawn)).toStrictEqual([]);
  });

  it.each(HELD_TARGETS)('names every such state of a definition with waves (heldTargets %s)', (heldTargets) => {
    const waves = statesOf(withWaves(asl, ['a', 'b'], { size: 1, heldTargets }) as States, TYPES);
    expect(waves).toContain('Targets');
    expect(missingFrom(diagram(readFileSync(join(ROOT, 'README.md'), 'utf8')), waves)).toStrictEqual([]);
  });

  it('finds the fan-out states missing from the diagram before them (positive control)', () => {
    const before = [
      'Start ─► FetchSecret ─► MintToken ─► ReadSecret ─► PlanMerge ─► WriteNeeded? ─► ApplySecret',
      '─► RestartNeeded? ─► Synced; RestartWorkloads; 401 ─► MintToken; <Step>Failed ─► SendToDlq ─► SyncFailed',
    ].join('\n');
    expect(missingFrom(before, drawn)).toStrictEqual(
      expect.arrayContaining([
        'Targets',
        'SendTargetToDlq',
        'FailedTarget',
        'Done',
        'RecheckRollouts',
        'WaitForRestartWindow',
      ]),
    );
  });
});
