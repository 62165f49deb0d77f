import { systemClock } from '../domain/ports.ts';
import { parseWorkloads } from '../domain/restart.ts';
import { targetRefOf } from '../domain/target.ts';
import { type InvocationContext, startInvocation } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { mergeOptionsFrom, restartTargetsFrom } from '../runtime/options.ts';
import { type PlanInput, type PlanOutput, planSync, type PlanSettings } from '../steps/plan.ts';

const env = readEnv('plan-merge');
const mapping: PlanSettings = {
  options: mergeOptionsFrom(env),
  restartTargets: restartTargetsFrom(env).map((w) => w.ref),
};
const ports = { clock: systemClock };

/** The mapping's options with the target's overrides (a field the target names replaces the mapping's). */
function settingsFor(input: PlanInput): PlanSettings {
  if (input.target === undefined) return mapping;
  const t = targetRefOf(input.target);
  const o = mapping.options;
  return {
    options: {
      ...o,
      type: t.type ?? o.type,
      labels: t.labels ?? o.labels,
      annotations: t.annotations ?? o.annotations,
      prune: t.prune ?? o.prune,
      deletionPolicy: t.deletionPolicy ?? o.deletionPolicy,
    },
    restartTargets: t.restart === undefined ? mapping.restartTargets : parseWorkloads(t.restart).map((w) => w.ref),
  };
}

/**
 * PlanMerge ({@link planSync}): keys added, updated, unchanged, kept, pruned,
 * whether to write at all, and which workloads to restart after the write.
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys);
 *   ExecutionBudgetError when the execution's budget is spent.
 */
export async function handler(input: PlanInput, context?: InvocationContext): Promise<PlanOutput> {
  startInvocation(context, input);
  const settings = settingsFor(input);
  const plan = await planSync(ports, settings, input);
  logger.info('planned merge', {
    mappingId: settings.options.mappingId,
    ...(input.target && { target: input.target.name }),
    action: plan.action,
    added: plan.added.length,
    updated: plan.updated.length,
    unchanged: plan.unchanged.length,
    kept: plan.kept.count,
    pruned: plan.pruned.length,
    restart: plan.restart,
    ...(plan.recheck && { recheck: plan.recheck }),
  });
  return plan;
}
