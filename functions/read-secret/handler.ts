import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import { systemClock } from '../domain/ports.ts';
import { targetRefOf } from '../domain/target.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom, mergeOptionsFrom, restartTargetsFrom } from '../runtime/options.ts';
import { identitySignerFrom } from '../runtime/signer.ts';
import { allowedEndpointsFrom, identityFrom, secretOf } from '../runtime/target.ts';
import { type PlanOutput, type PlanSettings, planSettingsFor } from '../steps/plan.ts';
import { type ReadPlanInput, readAndPlan } from '../steps/read.ts';

const env = readEnv('read-secret');
const mapping: PlanSettings = {
  options: mergeOptionsFrom(env),
  restartTargets: restartTargetsFrom(env).map((w) => w.ref),
};
const identity = identityFrom(env);
const allowed = allowedEndpointsFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const signerFor = identitySignerFrom(env);
const sealer = envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] }));

/**
 * ReadSecret ({@link readAndPlan}): how the target's Kubernetes Secret compares with the AWS data, without
 * values (absent means "create"), and the merge decided from it: keys added, updated, unchanged, kept, pruned,
 * whether to write at all, and which workloads to restart after the write. The target and its cluster come from
 * the state (the Map item); the token is signed here, with the function's role (the mapping's identity).
 *
 * @throws UnauthorizedError, PermissionDeniedError, NotFoundError (namespace), TransientError,
 *   InvalidInputError (no target or source, an impossible merge), ExecutionBudgetError.
 */
export async function handler(input: ReadPlanInput, context?: InvocationContext): Promise<PlanOutput> {
  startInvocation(context, input);
  const target = targetRefOf(input.target);
  const location = secretOf(target, input.clusters, allowed);
  const kubernetes = (token: string) => secretClient(location, token, identity, timeoutMs, timeLeft);
  const settings = planSettingsFor(mapping, target);
  const ports = { sealer, signer: signerFor(target.cluster), kubernetes, clock: systemClock };
  const plan = await readAndPlan(ports, { mappingId: mapping.options.mappingId, ...settings }, input);
  logger.info('read Kubernetes Secret and planned merge', {
    mappingId: mapping.options.mappingId,
    target: target.name,
    resourceVersion: plan.resourceVersion,
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
