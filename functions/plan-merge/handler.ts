import type { PlanInput } from '../shared/contract.ts';
import { planMerge } from '../shared/domain/plan.ts';
import type { MergePlan } from '../shared/domain/types.ts';
import { InvalidInputError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { mergeOptionsFromEnv } from '../shared/options.ts';

const options = mergeOptionsFromEnv();

/**
 * Decides the merge from the source version and the value-free observation:
 * keys added, updated, unchanged, kept, pruned, and whether to write at all.
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys).
 */
export async function handler(input: PlanInput): Promise<MergePlan> {
  if (!input?.source || !input?.observed) throw new InvalidInputError('PlanMerge needs {source, observed} from the previous states');
  const plan = planMerge(input.source, input.observed, options, new Date().toISOString());
  logger.info('planned merge', {
    mappingId: options.mappingId,
    action: plan.action,
    added: plan.added.length,
    updated: plan.updated.length,
    unchanged: plan.unchanged.length,
    kept: plan.kept.count,
    pruned: plan.pruned.length,
  });
  return plan;
}
