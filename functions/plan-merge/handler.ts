import type { PlanInput, PlanOutput } from '../domain/contract.ts';
import { planMerge } from '../domain/plan.ts';
import { restartAfter } from '../domain/restart.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { logger } from '../runtime/logger.ts';
import { mergeOptionsFromEnv, restartTargetsFromEnv } from '../runtime/options.ts';

const options = mergeOptionsFromEnv();
const restartTargets = restartTargetsFromEnv().map((w) => w.ref);

/**
 * Decides the merge from the source version and the value-free observation:
 * keys added, updated, unchanged, kept, pruned, whether to write at all, and
 * which workloads to restart after the write (only when it changes data).
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys).
 */
export async function handler(input: PlanInput): Promise<PlanOutput> {
  if (!input?.source || !input?.observed)
    throw new InvalidInputError('PlanMerge needs {source, observed} from the previous states');
  const merge = planMerge(input.source, input.observed, options, new Date().toISOString());
  const plan = { ...merge, restart: restartAfter(merge, restartTargets) };
  logger.info('planned merge', {
    mappingId: options.mappingId,
    action: plan.action,
    added: plan.added.length,
    updated: plan.updated.length,
    unchanged: plan.unchanged.length,
    kept: plan.kept.count,
    pruned: plan.pruned.length,
    restart: plan.restart,
  });
  return plan;
}
