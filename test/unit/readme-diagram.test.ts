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

/** The first fenced block of the section `heading` (README.md#how-a-sync-works by default). */
function diagram(text: string, heading = 'How a sync works'): string {
  const section = text.split(new RegExp(`^## ${heading}\\n`, 'm'))[1] ?? '';
  return /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

/**
 * The state-like names (two or more capitalized parts, as `ReadSecret`) the diagram names that no state of `states`
 * is: a state a release removed (MintToken, PlanMerge went with the token-free release) left in the drawing.
 */
function staleIn(text: string, states: ReadonlySet<string>): string[] {
  const names = text.match(/\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b/g) ?? [];
  return [...new Set(names)].filter((n) => !states.has(n) && !NOT_STATES.has(n));
}

/** Names the diagram may use that are not states. */
const NOT_STATES = new Set(['EventBridge', 'MaxConcurrency']);

/** The state types the diagram must name (the rules of the house add Wait). */
const TYPES = ['Task', 'Map', 'Succeed', 'Fail', 'Wait'];
/** Every state type: what a name in the diagram may be. */
const ALL_TYPES = [...TYPES, 'Pass', 'Choice', 'Parallel'];

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

  it('names, as README.md and docs/architecture.md draw it, no state the state machine does not have', () => {
    const every = new Set([
      ...statesOf(asl, ALL_TYPES),
      ...HELD_TARGETS.flatMap((h) =>
        statesOf(withWaves(asl, ['a', 'b'], { size: 1, heldTargets: h }) as States, ALL_TYPES),
      ),
    ]);
    expect(every.has('TargetFilter')).toBe(true);
    expect(staleIn(diagram(readFileSync(join(ROOT, 'README.md'), 'utf8')), every)).toStrictEqual([]);
    const architecture = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    for (const heading of ['How a sync works', 'Several targets, one execution']) {
      expect(diagram(architecture, heading)).toContain('ReadSecret');
      expect(staleIn(diagram(architecture, heading), every), `docs/architecture.md: ${heading}`).toStrictEqual([]);
    }
    // Control: the diagram of the release before the token-free one names its token and plan states.
    const before = 'SelectTarget ─► MintToken ─► ReadSecret ─► PlanMerge ─► WriteNeeded?; 401 ─► RemintToken (≤2×)';
    expect(staleIn(before, every)).toStrictEqual(['MintToken', 'PlanMerge', 'RemintToken']);
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
