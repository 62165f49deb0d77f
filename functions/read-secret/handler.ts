import type { ReadInput } from '../domain/contract.ts';
import { observe } from '../domain/observe.ts';
import type { Observation } from '../domain/types.ts';
import { requireEnv } from '../runtime/env.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { logger } from '../runtime/logger.ts';
import { openInputs } from '../adapters/sealed-inputs.ts';
import { targetFromEnv } from '../runtime/target.ts';

const MAPPING_ID = requireEnv('MAPPING_ID');
const { location, identity } = targetFromEnv();
const keys = kmsKeyService(requireEnv('SEAL_KEY_ID'));

/**
 * Reads the Kubernetes Secret and reports, without values, how it compares
 * with the AWS data: absent means "create"; the resourceVersion is kept.
 *
 * @throws UnauthorizedError, PermissionDeniedError, NotFoundError (namespace), TransientError.
 */
export async function handler(input: ReadInput): Promise<Observation> {
  const { desired, token } = await openInputs(keys, MAPPING_ID, input.sealedData, input.sealedToken);
  const secret = await secretClient(location, token, identity).get();
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
