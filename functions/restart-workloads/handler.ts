import { kmsKeyService } from '../adapters/kms.ts';
import { workloadClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import type { RestartInput, RestartOutput } from '../domain/contract.ts';
import { ConfigError } from '../domain/errors.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom, restartTargetsFrom } from '../runtime/options.ts';
import { namespaceFrom } from '../runtime/target.ts';
import { restartWorkloads, type RestartPorts, type RestartSettings } from '../steps/restart.ts';

const env = readEnv('restart-workloads');
const settings: RestartSettings = { mappingId: env[ENV.mappingId], targets: restartTargetsFrom(env) };
if (settings.targets.length === 0) {
  const why = 'the stack creates this function only for a mapping with restart';
  throw new ConfigError(`${ENV.restartTargets} is empty; ${why}`);
}
const { location, identity } = namespaceFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const ports: RestartPorts = {
  sealer: envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] })),
  kubernetes: (token) => workloadClient(location, token, identity, timeoutMs, timeLeft),
};

/**
 * RestartWorkloads ({@link restartWorkloads}): the mapping's workloads rolled
 * like `kubectl rollout restart`, after a write that changed the Secret's data.
 *
 * @throws NotFoundError (a workload does not exist), PermissionDeniedError,
 *   UnauthorizedError, TransientError, InvalidInputError (malformed input).
 */
export async function handler(input: RestartInput, context?: InvocationContext): Promise<RestartOutput> {
  startInvocation(context, input);
  const out = await restartWorkloads(ports, settings, input);
  logger.info('restarted workloads', { mappingId: settings.mappingId, namespace: location.namespace, ...out });
  return out;
}
