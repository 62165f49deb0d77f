import type { ReadInput } from '../domain/contract.ts';
import { observe } from '../domain/observe.ts';
import type { Observation } from '../domain/types.ts';
import { readEnv } from '../runtime/env.ts';
import { ENV } from '../runtime/env-contract.ts';
import { kubeTimeoutFrom } from '../runtime/options.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { logger } from '../runtime/logger.ts';
import { openInputs } from '../adapters/sealed-inputs.ts';
import { targetFrom } from '../runtime/target.ts';

const env = readEnv('read-secret');
const MAPPING_ID = env[ENV.mappingId];
const { location, identity } = targetFrom(env);
const TIMEOUT_MS = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const keys = kmsKeyService(env[ENV.sealKeyId]);

/**
 * Reads the Kubernetes Secret and reports, without values, how it compares
 * with the AWS data: absent means "create"; the resourceVersion is kept.
 *
 * @throws UnauthorizedError, PermissionDeniedError, NotFoundError (namespace), TransientError.
 */
export async function handler(input: ReadInput): Promise<Observation> {
  const { desired, token } = await openInputs(keys, MAPPING_ID, input.sealedData, input.sealedToken);
  const secret = await secretClient(location, token, identity, TIMEOUT_MS).get();
  const observed = observe(
    desired,
    secret && {
      resourceVersion: secret.metadata?.resourceVersion ?? '',
      type: secret.type ?? 'Opaque',
      data: secret.data ?? {},
      labels: secret.metadata?.labels ?? {},
      annotations: secret.metadata?.annotations ?? {},
    },
  );
  logger.info('read Kubernetes Secret', {
    mappingId: MAPPING_ID,
    secret: `${location.namespace}/${location.name}`,
    exists: observed.exists,
    resourceVersion: observed.resourceVersion,
  });
  return observed;
}
