// The option `waves` (docs/restart.md#waves): the waves, the config checks (each with the config that passes), the
// DLQ text of a stop, and the definition a mapping with waves gets (infra/model/waves.ts), next to the unchanged one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  WAVES_STEP,
  WAVES_STOPPED_ERROR,
  waveLateCauses,
  waveStopCauses,
  wavesOf,
} from '../../functions/domain/waves.ts';
import { DEFINITION_FILE } from '../../infra/constructs/state-machine.ts';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { withWaves } from '../../infra/model/waves.ts';
import { ENTERED_TIMES } from '../../infra/model/asl-budget.ts';
import { fleetYaml } from '../support/fleet.ts';

const asl = () => JSON.parse(readFileSync(DEFINITION_FILE, 'utf8'));
const NAMES = ['prod/a/s', 'prod/b/s', 'staging/c/s'];

/** A plain mapping with three targets and the given extra lines. */
function config(extra: string) {
  const yaml = fleetYaml(1)
    .replace(/ {4}cluster: (\{.*\})\n {4}namespace: app\n {4}secretName: app-0\n/, (_all, c: string) =>
      ['a', 'b', 'c'].map((ns) => `      - { cluster: ${c}, namespace: ${ns}, secretName: s }\n`).join(''),
    )
    .replace('-AbCdEf\n', `-AbCdEf\n    targets:\n`);
  const [head, targets] = yaml.split('    targets:\n') as [string, string];
  return parseMappings(`${head}${extra}    targets:\n${targets}`, 'waves.yaml');
}
function problems(extra: string): string[] {
  try {
    config(extra);
    return [];
  } catch (e) {
    if (e instanceof MappingsError) return [...e.problems];
    throw e;
  }
}

describe('wavesOf', () => {
  it.each([
    [3, 1, [[0], [1], [2]]],
    [5, 2, [[0, 1], [2, 3], [4]]],
    [2, 5, [[0, 1]]],
  ])('splits %i targets into waves of %i', (count, size, waves) => {
    expect(wavesOf(count, size)).toStrictEqual(waves);
  });
});

describe('the option waves in the mappings file', () => {
  const ok = '    restart: [deployment/api]\n    rolloutTimeoutSeconds: 20\n';

  it('is accepted with restart and rolloutTimeoutSeconds that fit (the config the refusals differ from)', () => {
    const m = config(`${ok}    waves: { size: 1, heldTargets: hold }\n`).mappings[0]!;
    expect(m.waves).toStrictEqual({ size: 1, heldTargets: 'hold' });
    expect(m.targets).toHaveLength(3);
  });

  it('is refused without restart, saying to add restart or remove waves', () => {
    expect(problems('    rolloutTimeoutSeconds: 30\n    waves: { size: 1, heldTargets: hold }\n').join('\n')).toMatch(
      /waves.*needs restart.*add restart or remove waves/,
    );
  });

  it('is refused without rolloutTimeoutSeconds > 0, saying what to set', () => {
    expect(problems('    restart: [deployment/api]\n    waves: { size: 1, heldTargets: write }\n').join('\n')).toMatch(
      /waves.*needs rolloutTimeoutSeconds > 0.*set rolloutTimeoutSeconds \(1 to 65\) or remove waves/,
    );
  });

  it('is refused when the waves cannot fit the budget, naming the numbers and what would fit', () => {
    const p = problems(
      '    restart: [deployment/api]\n    rolloutTimeoutSeconds: 30\n    waves: { size: 1, heldTargets: write }\n',
    );
    expect(p.join('\n')).toContain(
      '3 waves (3 targets, size 1) × rolloutTimeoutSeconds 30 = 90 s of following, more than the 65 s the budget ' +
        'of a mapping with waves leaves for it (docs/restart.md#waves); make size at least 2 or ' +
        'rolloutTimeoutSeconds at most 21',
    );
    expect(
      problems(
        '    restart: [deployment/api]\n    rolloutTimeoutSeconds: 21\n    waves: { size: 1, heldTargets: write }\n',
      ),
    ).toStrictEqual([]);
  });

  it('is refused with a bad size or heldTargets, naming the choices', () => {
    const p = problems(`${ok}    waves: { size: 0, heldTargets: maybe }\n`).join('\n');
    expect(p).toMatch(/waves\.size.*0 is below 1/);
    expect(p).toMatch(/waves\.heldTargets: "maybe" is not allowed; expected one of "write", "hold"/);
  });
});

describe('the DLQ text of a stop', () => {
  it.each([
    ['write', 'written, not restarted (heldTargets write): staging/c/s; not written: none'],
    ['hold', 'written, not restarted: none; not written (heldTargets hold): staging/c/s'],
  ] as const)('names what was done and what was held back (%s)', (heldTargets, held) => {
    const causes = waveStopCauses(NAMES, { size: 1, heldTargets });
    expect(causes).toHaveLength(3);
    expect(causes[1]).toContain(
      'waves of 1: stopped at wave 2 of 3, a target of it failed (its own DLQ message names the step, and for a ' +
        'rollout the workload, cluster and condition): prod/b/s; written and restarted (or already in sync) in ' +
        `earlier waves: prod/a/s; ${held}; redrive`,
    );
    expect(causes[2]).toContain('in earlier waves: prod/a/s, prod/b/s;');
  });
});

describe('the DLQ text of a loop stopped by its deadline', () => {
  it('names the waves that ran and the targets not written, for the next wave and for the held run', () => {
    const late = waveLateCauses(NAMES, { size: 1, heldTargets: 'write' });
    expect(late.next).toHaveLength(3);
    expect(late.next[0]).toContain(
      "waves of 1: out of time before wave 2 of 3: the execution's 110 s budget had ended (no wave starts after it, " +
        'so this message is sent before Step Functions stops the execution at 5 minutes); written and restarted ' +
        '(or already in sync) in earlier waves: prod/a/s; written, not restarted: none; not written (out of time): ' +
        'prod/b/s, staging/c/s; redrive this message',
    );
    expect(late.held[1]).toContain(
      'stopped at wave 2 of 3, a target of it failed (its own DLQ message names the step): prod/b/s; written and ' +
        'restarted (or already in sync) in earlier waves: prod/a/s; written, not restarted: none; not written ' +
        "(heldTargets write, but the execution's 110 s budget had ended",
    );
    expect(late.held[1]).toContain('before their run): staging/c/s;');
  });
});

describe('the definition with waves', () => {
  it('leaves the file as it is without waves: Targets runs every target, FetchSecret goes to it', () => {
    const def = asl();
    expect(def.States.FetchSecret.Next).toBe('Targets');
    expect(def.States.Targets.ItemsPath).toBe('$.targets');
    expect(def.States.StartWaves).toBeUndefined();
  });

  it('wraps Targets in the wave loop; hold goes straight to the DLQ message, write through Targets again', () => {
    const hold = withWaves(asl(), NAMES, { size: 1, heldTargets: 'hold' });
    expect(hold.States.FetchSecret.Next).toBe('StartWaves');
    expect(hold.States.Targets).toMatchObject({ ItemsPath: '$.wave.items', Next: 'CheckWave' });
    expect(hold.States.WaveHealthy.Choices[2]).toMatchObject({ Variable: '$.waveIndex', NumericLessThan: 2 });
    expect(hold.States.StopWaves.Next).toBe('WavesStopped');
    expect(hold.States.AnyHeld).toBeUndefined();
    for (const unused of ['HeldClock', 'HeldInTime', 'HeldOutOfTime']) expect(hold.States[unused]).toBeUndefined();
    // before each new wave: the time against FetchSecret's budgetEndsAt
    expect(hold.States.WaveHealthy.Choices[2].Next).toBe('WaveClock');
    expect(hold.States.WaveClock.Parameters).toStrictEqual({
      'now.$': ENTERED_TIMES[1],
      'deadline.$': '$.fetched.budgetEndsAt',
    });
    expect(hold.States.WaveInTime).toMatchObject({ Default: 'StartNextWave' });
    expect(hold.States.WavesOutOfTime).toMatchObject({ Next: 'WavesFailed' });
    expect(hold.States.WavesOutOfTime.Parameters.Error).toBe(WAVES_STOPPED_ERROR);
    expect(hold.States.WavesStopped.Parameters.Error).toBe(WAVES_STOPPED_ERROR);
    expect(hold.States.WavesFailed).toMatchObject({ Result: WAVES_STEP, Next: 'SendToDlq' });

    const write = withWaves(asl(), NAMES, { size: 1, heldTargets: 'write' });
    expect(write.States.AnyHeld.Choices[0].Next).toBe('HeldClock');
    expect(write.States.HeldInTime).toMatchObject({ Default: 'Targets' });
    expect(write.States.HeldInTime.Choices[0]).toStrictEqual({
      Variable: '$.clock.now',
      TimestampGreaterThanEqualsPath: '$.clock.deadline',
      Next: 'HeldOutOfTime',
    });
    expect(write.States.StopWaves.Parameters.held).toBe(true);
    expect(write.States.WaveHealthy.Choices[0]).toStrictEqual({
      Variable: '$.wave.held',
      BooleanEquals: true,
      Next: 'WavesStopped',
    });
    const run = write.States.Targets.ItemProcessor.States;
    expect(run.RestartNeeded.Choices[0]).toStrictEqual({
      Variable: '$.restartHeld',
      BooleanEquals: true,
      Next: 'RestartHeld',
    });
    expect(run.RecheckNeeded.Choices[0].Next).toBe('RestartHeld');
    // After the held branch, the definition's own routes, unchanged: a released target restarts (or re-checks).
    const own = asl().States.Targets.ItemProcessor.States;
    expect(run.RestartNeeded.Choices.slice(1)).toStrictEqual(own.RestartNeeded.Choices);
    expect(run.RecheckNeeded.Choices.slice(1)).toStrictEqual(own.RecheckNeeded.Choices);
    expect((run.RestartNeeded.Choices as { Next: string }[]).map((c) => c.Next)).toContain('RestartWorkloads');
    // The wave loop carries no token either (each Kubernetes step signs its own): no sealedToken, no path to a token
    // (comments may say "token"); control: the check sees one.
    const CARRIED_TOKEN = /sealedToken|"\$\.[\w.]*token/i;
    for (const heldTargets of ['write', 'hold'] as const) {
      expect(JSON.stringify(withWaves(asl(), NAMES, { size: 1, heldTargets }))).not.toMatch(CARRIED_TOKEN);
    }
    const planted = withWaves(asl(), NAMES, { size: 1, heldTargets: 'write' });
    planted.States.StopWaves.Parameters['sealedToken.$'] = '$.write.token.sealedToken';
    expect(JSON.stringify(planted)).toMatch(CARRIED_TOKEN);
  });

  it('refuses a definition with no Targets Map to wrap (control)', () => {
    const def = asl();
    def.States.FetchSecret.Next = 'CheckTargets';
    expect(() => withWaves(def, NAMES, { size: 1, heldTargets: 'hold' })).toThrow(/no FetchSecret → Targets/);
  });
});
