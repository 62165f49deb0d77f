import type { ApplyInput, ApplyOutput } from '../domain/contract.ts';
import { ANNOTATIONS, MANAGER_NAME } from '../domain/metadata.ts';
import { buildDeletion } from '../domain/deletion.ts';
import { buildWrite } from '../domain/plan.ts';
import { requireEnv } from '../runtime/env.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { secretClient } from '../adapters/kube.ts';
import { logger } from '../runtime/logger.ts';
import { secretTypeFromEnv } from '../runtime/options.ts';
import { openInputs } from '../adapters/sealed-inputs.ts';
import { targetFromEnv } from '../runtime/target.ts';

const MAPPING_ID = requireEnv('MAPPING_ID');
const SECRET_TYPE = secretTypeFromEnv();
const { location, identity } = targetFromEnv();
const keys = kmsKeyService(requireEnv('SEAL_KEY_ID'));
const WRITES = new Set(['create', 'update', 'delete-keys', 'delete-secret']);

/**
 * Writes the plan. Update: a JSON merge patch carrying the resourceVersion
 * that was read, so a concurrent writer makes it fail with 409 (ConflictError,
 * which the state machine routes back to ReadSecret). Create: server-side
 * apply, the one create RBAC can restrict to the Secret's name, under a field
 * manager per source version so two racing first syncs of different versions
 * conflict instead of silently overwriting each other. A deletion (the AWS
 * secret was deleted, deletionPolicy delete): `delete-keys` is a merge patch
 * with nulls, `delete-secret` a DELETE; both carry the resourceVersion read.
 *
 * @throws ConflictError, UnauthorizedError, PermissionDeniedError, InvalidInputError, TransientError.
 */
export async function handler(input: ApplyInput): Promise<ApplyOutput> {
  const { plan } = input;
  if (!WRITES.has(plan?.action)) {
    throw new InvalidInputError(
      `ApplySecret got plan action ${JSON.stringify(plan?.action)}; only ${[...WRITES].join(', ')} write`,
    );
  }
  const { desired, token } = await openInputs(keys, MAPPING_ID, input.sealedData, input.sealedToken);
  const client = secretClient(location, token, identity);
  let resourceVersion = '';
  if (plan.action === 'delete-secret') {
    await client.delete(buildDeletion(plan));
  } else if (plan.action === 'delete-keys') {
    resourceVersion = (await client.mergePatch(buildDeletion(plan))).metadata?.resourceVersion ?? '';
  } else {
    const body = buildWrite(plan, desired, { namespace: location.namespace, name: location.name, type: SECRET_TYPE });
    const written =
      plan.action === 'create'
        ? await client.apply(body, `${MANAGER_NAME}-${plan.annotations[ANNOTATIONS.sourceVersionId]}`.slice(0, 128))
        : await client.mergePatch(body);
    resourceVersion = written.metadata?.resourceVersion ?? '';
  }
  const out: ApplyOutput = {
    action: plan.action as ApplyOutput['action'],
    resourceVersion,
    added: plan.added.length,
    updated: plan.updated.length,
    pruned: plan.pruned.length,
  };
  logger.info('applied Secret', { mappingId: MAPPING_ID, secret: `${location.namespace}/${location.name}`, ...out });
  return out;
}
