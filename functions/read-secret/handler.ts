import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import type { ReadInput } from '../domain/contract.ts';
import type { Observation } from '../domain/types.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom } from '../runtime/options.ts';
import { targetFrom } from '../runtime/target.ts';
import { readSecret, type ReadPorts } from '../steps/read.ts';

const env = readEnv('read-secret');
const settings = { mappingId: env[ENV.mappingId] };
const { location, identity } = targetFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const ports: ReadPorts = {
  sealer: envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] })),
  kubernetes: (token) => secretClient(location, token, identity, timeoutMs, timeLeft),
};

/**
 * ReadSecret ({@link readSecret}): how the Kubernetes Secret compares with
 * the AWS data, without values; absent means "create".
 *
 * @throws UnauthorizedError, PermissionDeniedError, NotFoundError (namespace), TransientError.
 */
export async function handler(input: ReadInput, context?: InvocationContext): Promise<Observation> {
  startInvocation(context, input);
  const observed = await readSecret(ports, settings, input);
  logger.info('read Kubernetes Secret', {
    mappingId: settings.mappingId,
    secret: `${location.namespace}/${location.name}`,
    exists: observed.exists,
    resourceVersion: observed.resourceVersion,
  });
  return observed;
}
