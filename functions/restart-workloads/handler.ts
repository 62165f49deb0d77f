import type { RestartInput, RestartOutput } from '../domain/contract.ts';
import { restartFailure, restartPatch, rfc3339Seconds, type RestartOutcome } from '../domain/restart.ts';
import { requireEnv } from '../runtime/env.ts';
import { ConfigError, InvalidInputError, NotFoundError, type SyncError } from '../domain/errors.ts';
import { kmsKeyService } from '../adapters/kms.ts';
import { workloadClient } from '../adapters/kube.ts';
import { logger } from '../runtime/logger.ts';
import { restartTargetsFromEnv } from '../runtime/options.ts';
import { openToken } from '../adapters/sealed-inputs.ts';
import { namespaceFromEnv } from '../runtime/target.ts';

const MAPPING_ID = requireEnv('MAPPING_ID');
const TARGETS = restartTargetsFromEnv();
if (TARGETS.length === 0)
  throw new ConfigError('RESTART_TARGETS is empty; the stack creates this function only for a mapping with restart');
const { location, identity } = namespaceFromEnv();
const keys = kmsKeyService(requireEnv('SEAL_KEY_ID'));

/**
 * Restarts the mapping's workloads after a write that changed the Secret's
 * data, the way `kubectl rollout restart` does: a strategic merge patch of
 * each pod template's annotations (the time and the AWS version id, never a
 * value). Every workload is attempted; any failure fails the step, naming
 * each workload that failed and those restarted. The Secret stays written.
 *
 * @throws NotFoundError (a workload does not exist), PermissionDeniedError,
 *   UnauthorizedError, TransientError, InvalidInputError (malformed input).
 */
export async function handler(input: RestartInput): Promise<RestartOutput> {
  if (typeof input?.versionId !== 'string' || typeof input?.requestedAt !== 'string') {
    throw new InvalidInputError(
      'RestartWorkloads needs {versionId, requestedAt, sealedToken} from the previous states',
    );
  }
  const restartedAt = rfc3339Seconds(input.requestedAt);
  const token = await openToken(keys, MAPPING_ID, input.sealedToken);
  const client = workloadClient(location, token, identity);
  const patch = restartPatch(restartedAt, input.versionId);
  const outcomes = await Promise.all(
    TARGETS.map(async (w): Promise<RestartOutcome> => {
      try {
        await client.strategicMergePatch(w, patch);
        return { ref: w.ref };
      } catch (e) {
        return { ref: w.ref, error: explain(e as SyncError, w.ref) };
      }
    }),
  );
  const failure = restartFailure(outcomes);
  if (failure) throw failure;
  const out: RestartOutput = { workloads: TARGETS.map((w) => w.ref), restartedAt, versionId: input.versionId };
  logger.info('restarted workloads', { mappingId: MAPPING_ID, namespace: location.namespace, ...out });
  return out;
}

/** A missing workload is a mapping problem: say how to fix it. */
function explain(e: SyncError, ref: string): SyncError {
  if (!(e instanceof NotFoundError)) return e;
  return new NotFoundError(`${e.message} (create it, or remove ${ref} from the mapping's restart list)`, { cause: e });
}
