import { workloadClient } from '../adapters/kube.ts';
import { ConfigError } from '../domain/errors.ts';
import { parseWorkloads } from '../domain/restart.ts';
import { targetRefOf } from '../domain/target.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom, restartTargetsFrom, rolloutTimeoutFrom } from '../runtime/options.ts';
import { identitySignerFrom } from '../runtime/signer.ts';
import { allowedEndpointsFrom, identityFrom, namespaceOf } from '../runtime/target.ts';
import { type RestartInput, type RestartOutput, restartWorkloads } from '../steps/restart.ts';

const env = readEnv('restart-workloads');
const mappingId = env[ENV.mappingId];
const mappingRestart = restartTargetsFrom(env);
const identity = identityFrom(env);
const allowed = allowedEndpointsFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const rolloutTimeoutSeconds = rolloutTimeoutFrom(env[ENV.rolloutTimeoutSeconds]);
const signerFor = identitySignerFrom(env);

/**
 * RestartWorkloads ({@link restartWorkloads}): the target's workloads rolled like `kubectl rollout restart`,
 * after a write that changed the Secret's data. The workloads are the target's `restart` (from the
 * definition's Map item) or the mapping's RESTART_TARGETS, never the plan's. The token is signed here, with the
 * function's role (the mapping's identity).
 *
 * @throws NotFoundError (a workload does not exist), PermissionDeniedError,
 *   UnauthorizedError, TransientError, InvalidInputError (malformed input), ConfigError (no workloads).
 */
export async function handler(input: RestartInput, context?: InvocationContext): Promise<RestartOutput> {
  startInvocation(context, input);
  const target = targetRefOf(input.target);
  const workloads = target.restart === undefined ? mappingRestart : parseWorkloads(target.restart);
  if (workloads.length === 0) {
    const why = 'the stack creates this function only for a mapping with restart';
    throw new ConfigError(`target ${target.name} lists no workload and ${ENV.restartTargets} is empty; ${why}`);
  }
  const location = namespaceOf(target, input.clusters, allowed);
  const kubernetes = (token: string) => workloadClient(location, token, identity, timeoutMs, timeLeft);
  const settings = {
    mappingId,
    targets: workloads,
    rolloutTimeoutSeconds,
    where: `cluster ${target.cluster}, namespace ${target.namespace}`,
  };
  const out = await restartWorkloads({ signer: signerFor(target.cluster), kubernetes, timeLeft }, settings, input);
  logger.info('restarted workloads', { mappingId, target: target.name, ...out });
  return out;
}
