/**
 * Waves (the mapping option `waves`, docs/restart.md#waves): the targets restarted `size` at a time, in the order
 * the mapping lists them, stopping at the first wave with a failed target. Pure: which targets form each wave, what
 * a stop holds back, the DLQ text of a stop, and the checks of the option against the mapping.
 */

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
      `${count * m.rolloutTimeoutSeconds} s of following, more than the ${maxFollowSeconds} s an Express ` +
      `execution's budget leaves for it; make size at least ${Math.ceil(m.targets / fitting)} ` +
      `or rolloutTimeoutSeconds at most ${Math.floor(maxFollowSeconds / count)}`
    );
  }
  return undefined;
}
