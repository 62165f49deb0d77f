import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import type { ApplyInput, ApplyOutput } from '../domain/contract.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom, secretTypeFrom } from '../runtime/options.ts';
import { targetFrom } from '../runtime/target.ts';
import { applyPlan, type ApplyPorts, type ApplySettings } from '../steps/apply.ts';

const env = readEnv('apply-secret');
const { location, identity } = targetFrom(env);
const settings: ApplySettings = {
  mappingId: env[ENV.mappingId],
  namespace: location.namespace,
  name: location.name,
  type: secretTypeFrom(env),
};
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const ports: ApplyPorts = {
  sealer: envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] })),
  kubernetes: (token) => secretClient(location, token, identity, timeoutMs, timeLeft),
};

/**
 * ApplySecret ({@link applyPlan}): the plan written conditionally on the
 * resourceVersion read (409 goes back to ReadSecret), a first create by
 * server-side apply, a deletion as a patch with nulls or a DELETE.
 *
 * @throws ConflictError, UnauthorizedError, PermissionDeniedError, InvalidInputError, TransientError.
 */
export async function handler(input: ApplyInput, context?: InvocationContext): Promise<ApplyOutput> {
  startInvocation(context, input);
  const out = await applyPlan(ports, settings, input);
  const secret = `${location.namespace}/${location.name}`;
  logger.info('applied Secret', { mappingId: settings.mappingId, secret, ...out });
  return out;
}
