/**
 * Waves (the mapping option `waves`, docs/restart.md#waves): the targets restarted `size` at a time, in the order
 * the mapping lists them, stopping at the first wave with a failed target. Pure: which targets form each wave, what
 * a stop holds back, the DLQ text of a stop, and the checks of the option against the mapping.
 */

import { EXECUTION_BUDGET_SECONDS, WAVES_BUDGET_SECONDS } from './execution-budget.ts';
import { MAX_ROLLOUT_TIMEOUT_SECONDS } from './rollout.ts';

/**
 * The longest all waves of a mapping may follow their rollouts together: what the shorter budget of a mapping with
 * waves leaves after the steps before a restart (the same time as the execution's budget leaves for one follow).
 */
export const MAX_WAVES_FOLLOW_SECONDS = WAVES_BUDGET_SECONDS - (EXECUTION_BUDGET_SECONDS - MAX_ROLLOUT_TIMEOUT_SECONDS);

/** What the targets after a failed wave get: `write` the data without a restart, `hold` nothing. */
export const HELD_TARGETS = ['write', 'hold'] as const;

/** A value of {@link HELD_TARGETS}. */
export type HeldTargets = (typeof HELD_TARGETS)[number];

/** The option's value. */
export interface WavesOption {
  readonly size: number;
  readonly heldTargets: HeldTargets;
}

/** The error name of the DLQ message a stopped wave loop sends (failed step {@link WAVES_STEP}). */
export const WAVES_STOPPED_ERROR = 'WavesStoppedError';

/** The `failedStep` of that message. */
export const WAVES_STEP = 'Waves';

/** The targets' indexes (0-based, in the listed order), `size` to a wave. */
export function wavesOf(count: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i += size) out.push(Array.from({ length: Math.min(size, count - i) }, (_, k) => i + k));
  return out;
}

const list = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));

/**
 * The DLQ cause of a stop after each wave: the targets of the stopped wave (each failed one has its own DLQ message
 * with the step, and for a rollout the workload, cluster and condition), those done in earlier waves, and those
 * held back, per `heldTargets`. Names only: no value can be in it.
 */
export function waveStopCauses(names: readonly string[], w: WavesOption): string[] {
  const waves = wavesOf(names.length, w.size);
  return waves.map((wave, i) => {
    const before = waves.slice(0, i).flat();
    const after = waves.slice(i + 1).flat();
    const pick = (ix: number[]) => ix.map((x) => names[x]!);
    const held =
      w.heldTargets === 'write'
        ? `written, not restarted (heldTargets write): ${list(pick(after))}; not written: none`
        : `written, not restarted: none; not written (heldTargets hold): ${list(pick(after))}`;
    return (
      `waves of ${w.size}: stopped at wave ${i + 1} of ${waves.length}, a target of it failed (its own DLQ ` +
      `message names the step, and for a rollout the workload, cluster and condition): ${list(pick(wave))}; ` +
      `written and restarted (or already in sync) in earlier waves: ${list(pick(before))}; ${held}; redrive ` +
      'this message to go on (docs/restart.md#waves)'
    );
  });
}

/** The DLQ causes of a loop stopped by its deadline after each wave (names only, like {@link waveStopCauses}). */
export interface LateCauses {
  /** After a healthy wave, before the next one: the targets of every later wave not written. */
  readonly next: readonly string[];
  /** After a stop with heldTargets write, before the held targets' run: those not written. */
  readonly held: readonly string[];
}

const LATE =
  `the execution's ${WAVES_BUDGET_SECONDS} s budget had ended (no wave starts after it, so this message is sent ` +
  'before Step Functions stops the execution at 5 minutes)';

/**
 * The DLQ cause of a wave loop stopped by the deadline after each wave (docs/restart.md#waves): what was written
 * and restarted in the waves that ran, and what was not written because the budget ended.
 */
export function waveLateCauses(names: readonly string[], w: WavesOption): LateCauses {
  const waves = wavesOf(names.length, w.size);
  const pick = (ix: number[]) => list(ix.map((x) => names[x]!));
  const redrive = 'redrive this message to go on (docs/restart.md#waves)';
  return {
    next: waves.map((_, i) => {
      const done = waves.slice(0, i + 1).flat();
      const after = waves.slice(i + 1).flat();
      return (
        `waves of ${w.size}: out of time before wave ${i + 2} of ${waves.length}: ${LATE}; written and restarted ` +
        `(or already in sync) in earlier waves: ${pick(done)}; written, not restarted: none; not written (out of ` +
        `time): ${pick(after)}; ${redrive}`
      );
    }),
    held: waves.map((wave, i) => {
      const before = waves.slice(0, i).flat();
      const after = waves.slice(i + 1).flat();
      return (
        `waves of ${w.size}: stopped at wave ${i + 1} of ${waves.length}, a target of it failed (its own DLQ ` +
        `message names the step): ${pick(wave)}; written and restarted (or already in sync) in earlier waves: ` +
        `${pick(before)}; written, not restarted: none; not written (heldTargets write, but ${LATE} before their ` +
        `run): ${pick(after)}; ${redrive}`
      );
    }),
  };
}

/**
 * What is wrong with `waves` for a mapping, or undefined: waves need `restart` on a target and
 * `rolloutTimeoutSeconds` > 0, and every wave's follow must fit in the longest follow the execution budget allows.
 */
export function wavesProblem(
  w: WavesOption,
  m: { readonly targets: number; readonly restarts: boolean; readonly rolloutTimeoutSeconds: number },
  maxFollowSeconds: number,
): string | undefined {
  if (!m.restarts) {
    return (
      'needs restart (workloads to restart on the mapping or a target); without restart there is nothing to ' +
      'roll in waves: add restart or remove waves'
    );
  }
  if (!(m.rolloutTimeoutSeconds > 0)) {
    return (
      'needs rolloutTimeoutSeconds > 0: a wave is judged by its rollouts; set rolloutTimeoutSeconds (1 to ' +
      `${maxFollowSeconds}) or remove waves`
    );
  }
  const count = wavesOf(m.targets, w.size).length;
  const fitting = Math.max(1, Math.floor(maxFollowSeconds / m.rolloutTimeoutSeconds));
  if (count * m.rolloutTimeoutSeconds > maxFollowSeconds) {
    return (
      `${count} waves (${m.targets} targets, size ${w.size}) × rolloutTimeoutSeconds ${m.rolloutTimeoutSeconds} = ` +
      `${count * m.rolloutTimeoutSeconds} s of following, more than the ${maxFollowSeconds} s the budget of a ` +
      'mapping with waves leaves for it (docs/restart.md#waves); make size at least ' +
      `${Math.ceil(m.targets / fitting)} ` +
      `or rolloutTimeoutSeconds at most ${Math.floor(maxFollowSeconds / count)}`
    );
  }
  return undefined;
}
