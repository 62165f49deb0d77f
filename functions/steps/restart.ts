/** RestartWorkloads: the mapping's workloads rolled after a write that changed the Secret's data. */
import type { TargetInput } from '../domain/contract.ts';
import { InvalidInputError, NotFoundError, RolloutUnhealthyError, type SyncError } from '../domain/errors.ts';
import { noDeadline, type Connect, type TimeLeft, type TokenSigner, type WorkloadPatcher } from '../domain/ports.ts';
import { rolloutState, type RolloutState } from '../domain/rollout.ts';
import { restartedForVersion, restartFailure, restartPatch, rfc3339Seconds } from '../domain/restart.ts';
import type { RestartOutcome, WorkloadRef } from '../domain/restart.ts';

/**
 * RestartWorkloads: in (built by the state's Parameters), after an ApplySecret
 * that changed data. The workloads come from the function's own
 * RESTART_TARGETS, never from the state.
 */
export interface RestartInput extends Partial<TargetInput> {
  /** The version just written, recorded on each pod template. */
  readonly versionId: string;
  /**
   * When the restart was requested (the execution's start time): the same
   * for every attempt, so a retry re-sends identical patches and rolls
   * nothing twice.
   */
  readonly requestedAt: string;
  /**
   * A redrive's re-check (RecheckRollouts): restart only the workloads whose pod template does not yet carry this
   * version, then follow every rollout. Absent: restart every workload (RestartWorkloads).
   */
  readonly recheck?: boolean;
  /**
   * ApplySecret's output (`$.write.applied`; absent for a re-check): its `restartAt`, when present, is the restart
   * time instead of `requestedAt`, and the patch is the coalesced one (`restartPatch` in domain/restart.ts).
   */
  readonly applied?: { readonly restartAt?: string };
}

/** RestartWorkloads: out at `$.restarted`. */
export interface RestartOutput {
  /** The workloads patched, as in the mapping. */
  readonly workloads: readonly string[];
  /** The `kubectl.kubernetes.io/restartedAt` value set (RFC 3339). */
  readonly restartedAt: string;
  readonly versionId: string;
  /** Present (true) when the rollouts were followed to completion (`rolloutTimeoutSeconds` > 0). */
  readonly rolledOut?: true;
  /** A re-check only: the workloads not patched again, their pod template already restarted for this version. */
  readonly alreadyRestarted?: readonly string[];
}

/** What the restart step works through. */
export interface RestartPorts {
  /** Signs the token the step calls the cluster with (the mapping's identity). */
  readonly signer: TokenSigner;
  /** The workloads of the mapping's namespace, reached with the token the step signs. */
  readonly kubernetes: Connect<WorkloadPatcher>;
  /** Waits between two reads of the rollouts (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (default: Date.now). */
  readonly now?: () => number;
  /** What the invocation has left (runtime/deadline.ts): following stops in time to report (default: no limit). */
  readonly timeLeft?: TimeLeft;
}

/** How often the rollouts are read while following them. */
export const ROLLOUT_POLL_MS = 2_000;

/** The mapping's settings the restart step needs. */
export interface RestartSettings {
  readonly mappingId: string;
  /** The mapping's `restart` list, parsed; never taken from the state. */
  readonly targets: readonly WorkloadRef[];
  /**
   * How long to follow the rollouts after the patches (`rolloutTimeoutSeconds`); 0 or absent: not followed, the
   * step ends when the patches are accepted.
   */
  readonly rolloutTimeoutSeconds?: number;
  /** Where the workloads are, for messages: `cluster <name>, namespace <namespace>`. */
  readonly where?: string;
}

/**
 * Restarts the workloads the way `kubectl rollout restart` does: a strategic
 * merge patch of each pod template's annotations (the time and the AWS
 * version id, never a value). Every workload is attempted; any failure fails
 * the step, naming each workload that failed and those restarted. The Secret
 * stays written. With `rolloutTimeoutSeconds`, then follows every rollout until
 * it is complete (docs/restart.md#follow-the-rollout). A re-check
 * (`input.recheck`, a redrive) first reads each workload and patches only those
 * whose pod template does not carry this version yet.
 *
 * @throws NotFoundError (a workload does not exist), PermissionDeniedError, UnauthorizedError,
 *   TransientError, InvalidInputError (malformed input), RolloutUnhealthyError (a rollout not complete in time).
 */
export async function restartWorkloads(
  ports: RestartPorts,
  settings: RestartSettings,
  input: RestartInput,
): Promise<RestartOutput> {
  if (typeof input?.versionId !== 'string' || typeof input?.requestedAt !== 'string') {
    throw new InvalidInputError('RestartWorkloads needs {versionId, requestedAt} from the previous states');
  }
  // A coalesced restart (restartWindowSeconds) restarts at its window's boundary, which the state machine waited for.
  const boundary = input.recheck === true ? undefined : input.applied?.restartAt;
  const restartedAt = rfc3339Seconds(boundary ?? input.requestedAt);
  const client = ports.kubernetes((await ports.signer.mint()).token);
  const patch = restartPatch(restartedAt, input.versionId, boundary !== undefined);
  const already: string[] = [];
  const outcomes = await Promise.all(
    settings.targets.map(async (w): Promise<RestartOutcome> => {
      try {
        // A re-check restarts only what the failed attempt did not: a template already restarted for this
        // version is left as it is (a redrive rolls nothing twice).
        if (input.recheck === true) {
          const seen = restartedForVersion((await client.status(w)).spec?.template?.metadata);
          if (seen === input.versionId) {
            already.push(w.ref);
            return { ref: w.ref };
          }
        }
        await client.strategicMergePatch(w, patch);
        return { ref: w.ref };
      } catch (e) {
        return { ref: w.ref, error: explain(e as SyncError, w.ref) };
      }
    }),
  );
  const failure = restartFailure(outcomes);
  if (failure) throw failure;
  const timeout = settings.rolloutTimeoutSeconds ?? 0;
  if (timeout > 0) await followRollouts(ports, settings, client, timeout);
  return {
    workloads: settings.targets.map((w) => w.ref),
    restartedAt,
    versionId: input.versionId,
    ...(timeout > 0 && { rolledOut: true }),
    ...(input.recheck === true && { alreadyRestarted: already.sort() }),
  };
}

/**
 * Reads every workload's status every {@link ROLLOUT_POLL_MS} until each rollout is complete (domain/rollout.ts),
 * for at most `timeoutSeconds` and never past the invocation's time.
 *
 * @throws RolloutUnhealthyError naming each workload not rolled out, with the condition unmet, and those that did;
 *   the client's errors as they come (a TransientError is retried by the state machine: the patches are re-sent
 *   unchanged, which rolls nothing again, and the following starts over).
 */
async function followRollouts(
  ports: RestartPorts,
  settings: RestartSettings,
  client: WorkloadPatcher,
  timeoutSeconds: number,
): Promise<void> {
  const now = ports.now ?? Date.now;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeLeft = ports.timeLeft ?? noDeadline;
  const started = now();
  const deadline = started + timeoutSeconds * 1000;
  for (;;) {
    const states = await Promise.all(
      settings.targets.map(async (w) => ({ ref: w.ref, state: rolloutState(w, await client.status(w)) })),
    );
    const pending = states.filter(
      (s): s is { ref: string; state: Exclude<RolloutState, { done: true }> } => !s.state.done,
    );
    if (pending.length === 0) return;
    const final = pending.some((p) => p.state.final === true);
    // Stop while a read and the report still fit: the next poll would start after the deadline or the budget.
    if (final || now() + ROLLOUT_POLL_MS > deadline || timeLeft() < 2 * ROLLOUT_POLL_MS) {
      const waited = Math.round((now() - started) / 1000);
      const done = states.filter((s) => s.state.done).map((s) => s.ref);
      throw new RolloutUnhealthyError(
        `${pending.length} of ${states.length} workloads not rolled out after ${waited} s ` +
          `(rolloutTimeoutSeconds ${timeoutSeconds})${settings.where ? ` in ${settings.where}` : ''}: ` +
          pending.map((p) => `${p.ref}: ${p.state.unmet}`).join('; ') +
          (done.length > 0 ? `; rolled out: ${done.join(', ')}` : '') +
          '; the Secret stays written (docs/restart.md#when-a-rollout-does-not-become-healthy)',
      );
    }
    await sleep(ROLLOUT_POLL_MS);
  }
}

/** A missing workload is a mapping problem: say how to fix it. */
function explain(e: SyncError, ref: string): SyncError {
  if (!(e instanceof NotFoundError)) return e;
  return new NotFoundError(`${e.message} (create it, or remove ${ref} from the mapping's restart list)`, { cause: e });
}
