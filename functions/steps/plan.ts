/** PlanMerge: the merge decision from the source version and the value-free observation. */
import type { PlanInput, PlanOutput } from '../domain/contract.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { planMerge } from '../domain/plan.ts';
import type { Clock } from '../domain/ports.ts';
import { recheckAfter, restartAfter } from '../domain/restart.ts';
import type { MergeOptions } from '../domain/types.ts';

/** What the plan step works through. */
export interface PlanPorts {
  readonly clock: Clock;
}

/** The mapping's settings the plan step needs. */
export interface PlanSettings {
  /** Merge options: prune, type, labels, annotations, deletion policy. */
  readonly options: MergeOptions;
  /** The mapping's `restart` list (`deployment/<name>`, ...), sorted. */
  readonly restartTargets: readonly string[];
}

/**
 * Decides the merge: keys added, updated, unchanged, kept, pruned, whether to
 * write at all (or, for a deleted source, what the deletion policy does), and
 * which workloads to restart after the write (only when it changes data), and on a redrive that writes no new
 * data, which workloads to re-check (`recheckAfter`, domain/restart.ts).
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys).
 */
export async function planSync(ports: PlanPorts, settings: PlanSettings, input: PlanInput): Promise<PlanOutput> {
  if (!input?.source || !input?.observed) {
    throw new InvalidInputError('PlanMerge needs {source, observed} from the previous states');
  }
  const merge = planMerge(input.source, input.observed, settings.options, ports.clock.now().toISOString());
  const recheck = recheckAfter(merge, settings.restartTargets, input.attempt);
  return { ...merge, restart: restartAfter(merge, settings.restartTargets), ...(recheck.length > 0 && { recheck }) };
}
