import type { PlanInput, PlanOutput } from '../domain/contract.ts';
import { systemClock } from '../domain/ports.ts';
import { type InvocationContext, startInvocation } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { mergeOptionsFrom, restartTargetsFrom } from '../runtime/options.ts';
import { planSync, type PlanSettings } from '../steps/plan.ts';

const env = readEnv('plan-merge');
const settings: PlanSettings = {
  options: mergeOptionsFrom(env),
  restartTargets: restartTargetsFrom(env).map((w) => w.ref),
};
const ports = { clock: systemClock };

/**
 * PlanMerge ({@link planSync}): keys added, updated, unchanged, kept, pruned,
 * whether to write at all, and which workloads to restart after the write.
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys);
 *   ExecutionBudgetError when the execution's budget is spent.
 */
export async function handler(input: PlanInput, context?: InvocationContext): Promise<PlanOutput> {
  startInvocation(context, input);
  const plan = await planSync(ports, settings, input);
  logger.info('planned merge', {
    mappingId: settings.options.mappingId,
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
