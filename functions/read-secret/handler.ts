import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import { targetRefOf } from '../domain/target.ts';
import type { Observation } from '../domain/types.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom } from '../runtime/options.ts';
import { allowedEndpointsFrom, identityFrom, secretOf } from '../runtime/target.ts';
import { type ReadInput, readSecret } from '../steps/read.ts';

const env = readEnv('read-secret');
const settings = { mappingId: env[ENV.mappingId] };
const identity = identityFrom(env);
const allowed = allowedEndpointsFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const sealer = envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] }));

/**
 * ReadSecret ({@link readSecret}): how the target's Kubernetes Secret compares with the AWS data, without
 * values; absent means "create". The target and its cluster come from the state (the Map item).
 *
 * @throws UnauthorizedError, PermissionDeniedError, NotFoundError (namespace), TransientError,
 *   InvalidInputError (no target).
 */
export async function handler(input: ReadInput, context?: InvocationContext): Promise<Observation> {
  startInvocation(context, input);
  const target = targetRefOf(input.target);
  const location = secretOf(target, input.clusters, allowed);
  const kubernetes = (token: string) => secretClient(location, token, identity, timeoutMs, timeLeft);
  const observed = await readSecret({ sealer, kubernetes }, settings, input);
  logger.info('read Kubernetes Secret', {
    mappingId: settings.mappingId,
    target: target.name,
    exists: observed.exists,
    resourceVersion: observed.resourceVersion,
  });
  return observed;
}
