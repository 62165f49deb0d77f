/** RestartWorkloads: the mapping's workloads rolled after a write that changed the Secret's data. */
import type { RestartInput, RestartOutput } from '../domain/contract.ts';
import { InvalidInputError, NotFoundError, type SyncError } from '../domain/errors.ts';
import type { Connect, Sealer, WorkloadPatcher } from '../domain/ports.ts';
import { restartFailure, restartPatch, rfc3339Seconds } from '../domain/restart.ts';
import type { RestartOutcome, WorkloadRef } from '../domain/restart.ts';
import { openToken } from './sealed.ts';

/** What the restart step works through. */
export interface RestartPorts {
  readonly sealer: Sealer;
  /** The workloads of the mapping's namespace, reached with the token the step opens. */
  readonly kubernetes: Connect<WorkloadPatcher>;
}

/** The mapping's settings the restart step needs. */
export interface RestartSettings {
  readonly mappingId: string;
  /** The mapping's `restart` list, parsed; never taken from the state. */
  readonly targets: readonly WorkloadRef[];
}

/**
 * Restarts the workloads the way `kubectl rollout restart` does: a strategic
 * merge patch of each pod template's annotations (the time and the AWS
 * version id, never a value). Every workload is attempted; any failure fails
 * the step, naming each workload that failed and those restarted. The Secret
 * stays written.
 *
 * @throws NotFoundError (a workload does not exist), PermissionDeniedError, UnauthorizedError,
 *   TransientError, InvalidInputError (malformed input).
 */
export async function restartWorkloads(
  ports: RestartPorts,
  settings: RestartSettings,
  input: RestartInput,
): Promise<RestartOutput> {
  if (typeof input?.versionId !== 'string' || typeof input?.requestedAt !== 'string') {
    throw new InvalidInputError(
      'RestartWorkloads needs {versionId, requestedAt, sealedToken} from the previous states',
    );
  }
  const restartedAt = rfc3339Seconds(input.requestedAt);
  const client = ports.kubernetes(await openToken(ports.sealer, settings.mappingId, input.sealedToken));
  const patch = restartPatch(restartedAt, input.versionId);
  const outcomes = await Promise.all(
    settings.targets.map(async (w): Promise<RestartOutcome> => {
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
  return { workloads: settings.targets.map((w) => w.ref), restartedAt, versionId: input.versionId };
}

/** A missing workload is a mapping problem: say how to fix it. */
function explain(e: SyncError, ref: string): SyncError {
  if (!(e instanceof NotFoundError)) return e;
  return new NotFoundError(`${e.message} (create it, or remove ${ref} from the mapping's restart list)`, { cause: e });
}
