/**
 * The state machine of a mapping with `waves` (docs/restart.md#waves): the definition of statemachine/sync.asl.json
 * with the wave loop of statemachine/waves.asl.json spliced around its Targets Map. A mapping without `waves` keeps
 * the file's definition unchanged (its template too). Used by the stack (infra/constructs/state-machine.ts), the
 * local runner (testbed/local-pipeline.ts) and the ASL tests. CDK-free.
 */
import { readFileSync } from 'node:fs';
import {
  BUDGET_PARAMETER,
  BUDGET_SECONDS_PARAMETER,
  WAVES_BUDGET_SECONDS,
} from '../../functions/domain/execution-budget.ts';
import {
  type WavesOption,
  WAVES_STEP,
  WAVES_STOPPED_ERROR,
  waveLateCauses,
  waveStopCauses,
  wavesOf,
} from '../../functions/domain/waves.ts';
import { definitionJson } from './definition-json.ts';

/** The wave loop's fragment. */
export const WAVES_FILE = new URL('../../statemachine/waves.asl.json', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: ASL is JSON, spliced by state name
type Json = any;

/**
 * `definition` (the parsed ASL, placeholders filled or not) with the wave loop for targets named `names` (in the
 * Map's item order). The Targets Map runs `$.wave.items`; after a stop with `heldTargets: write` it runs the later
 * targets once more with `$.wave.held` true, and their runs skip RestartNeeded's and RecheckNeeded's restarts
 * (state names are unique in a whole definition: a second Map with the same states is refused).
 *
 * @throws Error when the definition has no FetchSecret → Targets → CheckTargets to splice into.
 */
export function withWaves(definition: Json, names: readonly string[], w: WavesOption): Json {
  const def = structuredClone(definition);
  const s = def.States;
  if (s.FetchSecret?.Next !== 'Targets' || s.Targets?.Type !== 'Map' || s.Targets.Next !== 'CheckTargets') {
    throw new Error('the definition has no FetchSecret → Targets (Map) → CheckTargets for the wave loop');
  }
  const waves = wavesOf(names.length, w.size);
  const subs: Record<string, string> = {
    WavesJson: definitionJson(waves),
    HeldJson: definitionJson(waves.map((_, i) => waves.slice(i + 1).flat())),
    CausesJson: definitionJson(waveStopCauses(names, w)),
    LateCausesJson: definitionJson(waveLateCauses(names, w).next),
    LateHeldCausesJson: definitionJson(waveLateCauses(names, w).held),
  };
  const text = readFileSync(WAVES_FILE, 'utf8').replace(/\$\{(\w+)\}/g, (_a, k: string) => subs[k] ?? `\${${k}}`);
  const fragment = JSON.parse(text);
  const loop = fragment.States;
  loop.WaveHealthy.Choices.find((c: Json) => c.Variable === '$.waveIndex').NumericLessThan = waves.length - 1;
  for (const stop of ['WavesStopped', 'WavesOutOfTime', 'HeldOutOfTime'])
    loop[stop].Parameters.Error = WAVES_STOPPED_ERROR;
  loop.WavesFailed.Result = WAVES_STEP;
  if (w.heldTargets === 'hold') {
    loop.StopWaves.Next = 'WavesStopped';
    for (const unused of ['AnyHeld', 'HeldClock', 'HeldInTime', 'HeldOutOfTime']) delete loop[unused];
  }
  s.FetchSecret.Next = 'StartWaves';
  s.Targets.ItemsPath = '$.wave.items';
  s.Targets.Next = 'CheckWave';
  // The wave loop reads its counters and the wave after the Map: the Map's results join the state, not replace it.
  delete s.Targets.OutputPath;
  s.CheckTargets.Parameters = {
    'results.$': '$.results',
    check: { 'anyFailed.$': 'States.ArrayContains($.results[*].failed, true)' },
  };
  s.Targets.ItemSelector['restartHeld.$'] = '$.wave.held';
  const it = s.Targets.ItemProcessor.States;
  for (const choice of ['RestartNeeded', 'RecheckNeeded']) {
    it[choice].Choices.unshift({ Variable: '$.restartHeld', BooleanEquals: true, Next: 'RestartHeld' });
  }
  it.RestartHeld = fragment.HeldIteration.RestartHeld;
  Object.assign(s, loop);
  shortenBudget(s);
  return def;
}

/**
 * Gives every Lambda task that keeps the execution's budget the shorter budget of a mapping with waves
 * ({@link WAVES_BUDGET_SECONDS}): a stop sends one more DLQ message after the targets' own, which the execution
 * must still have the time for (test/unit/asl-budget.test.ts).
 */
function shortenBudget(states: Record<string, Json>): void {
  for (const state of Object.values(states)) {
    const p = state.Parameters?.Payload ?? state.Parameters;
    if (state.Type === 'Task' && p?.[`${BUDGET_PARAMETER}.$`] !== undefined) {
      p[BUDGET_SECONDS_PARAMETER] = WAVES_BUDGET_SECONDS;
    }
    if (state.ItemProcessor) shortenBudget(state.ItemProcessor.States);
  }
}
