/**
 * One target's run, as the state machine's Map item runs it (statemachine/sync.asl.json), written once for the
 * runs outside Step Functions: the CLI's in-process pipeline (bin/lib/pipeline.ts) and the overhead benchmark's
 * direct sync (bench/direct-sync.ts). It holds the order, the conditions, the loops with their bounds
 * (functions/domain/loops.ts) and each step's call: the step modules of this folder with the ports the caller
 * built once ({@link TargetPorts}). A new per-target step is its call here; its callers need no edit.
 */
import { ConflictError, UnauthorizedError } from '../domain/errors.ts';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS } from '../domain/loops.ts';
import type { Clock, Connect, Sealer, SecretStore, TokenSigner, WorkloadPatcher } from '../domain/ports.ts';
import { parseWorkloads, restartAtAfterWrite } from '../domain/restart.ts';
import type { StepState } from '../domain/sync-steps.ts';
import type { MergeOptions, Observation, SecretType } from '../domain/types.ts';
import { type ApplyOutput, applyPlan, WRITE_ACTIONS } from './apply.ts';
import type { FetchOutput } from './fetch.ts';
import { type PlanOutput, planSync } from './plan.ts';
import { readSecret } from './read.ts';
import { type RestartOutput, restartWorkloads } from './restart.ts';

/** Every port a target's steps take, built once by whoever runs them (each step takes the ones it needs). */
export interface TargetPorts {
  readonly sealer: Sealer;
  readonly signer: TokenSigner;
  /** The target's Secret, as the bearer of a token. */
  readonly secrets: Connect<SecretStore>;
  /** The workloads of the target's namespace, as the bearer of a token. */
  readonly workloads: Connect<WorkloadPatcher>;
  readonly clock: Clock;
  /** Waits `ms` (the restart window's wait, as the state machine's WaitForRestartWindow). */
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly randomBytes: (n: number) => Buffer;
}

/** One target's settings: the mapping's options with the target's overrides, as the functions receive them. */
export interface TargetRunSettings {
  /** The plan's options (`mappingId` included). */
  readonly merge: MergeOptions;
  readonly namespace: string;
  readonly name: string;
  readonly type: SecretType;
  /** Workloads to restart after a write that changed data (`deployment/<name>`, ...). */
  readonly restart: readonly string[];
  readonly rolloutTimeoutSeconds?: number;
  /**
   * restartWindowSeconds: after a write, the restart waits for the boundary of the window the write completed in,
   * as ApplySecret computes it and the state machine's WaitForRestartWindow waits (0 or absent: at once).
   */
  readonly restartWindowSeconds?: number;
  /** Where the workloads are, for messages (`cluster <name>, namespace <ns>`). */
  readonly where?: string;
  /** Whether a plan that writes is applied (false: stop after the plan, as `plan` and `sync --dry-run`). */
  readonly write: boolean;
}

/** What one target's run did; each field is the output of the step that ran. */
export interface TargetOutcome {
  readonly observed: Observation;
  readonly plan: PlanOutput;
  /** Set when ApplySecret ran. */
  readonly applied?: ApplyOutput;
  /** Set when RestartWorkloads ran. */
  readonly restarted?: RestartOutput;
}

/**
 * What each step returns, by the Task state that runs it (the shared FetchSecret, which callers run before
 * {@link runTarget}, and a target's steps): a new per-target step adds its line here with its call. A caller's
 * {@link StepRunner} sees each output with its type, without a cast.
 */
export type StepOutputs = OfTableStates<{
  readonly FetchSecret: FetchOutput;
  readonly ReadSecret: ReadOutcome;
  readonly ApplySecret: ApplyOutput;
  readonly RestartWorkloads: RestartOutput;
}>;

/**
 * ReadSecret's step outside Step Functions: what it read and the plan made from it. The function returns the plan
 * alone (functions/steps/read.ts readAndPlan); a caller here also shows what was read.
 */
export interface ReadOutcome {
  readonly observed: Observation;
  readonly plan: PlanOutput;
}

/** `T`, whose keys must be states of the step table (the type check fails on any other key). */
type OfTableStates<T extends { readonly [K in keyof T]: K extends StepState ? unknown : never }> = T;

/** A Task state a step runner runs outside Step Functions (one of the step table's states). */
export type RunnerState = keyof StepOutputs;

/**
 * Runs one step: the caller's wrapper (a trace row, a timing, a progress line) around `run`, which it must call
 * once and whose result or error it returns.
 */
export type StepRunner = <S extends RunnerState>(
  state: S,
  run: () => Promise<StepOutputs[S]>,
) => Promise<StepOutputs[S]>;

const bare: StepRunner = (_state, run) => run();

/**
 * Reads and plans (ReadSecret) and, when the plan writes and `settings.write`, applies, back to the read on a 409
 * (CountConflict, at most {@link MAX_CONFLICT_RETRIES} times); after a write whose plan restarts workloads, restarts
 * them. Each Kubernetes step signs its own token (the signer's identity), and a 401 runs the same step again at most
 * {@link MAX_REAUTHS} times, as the state machine's Retry on UnauthorizedError does. A step's error past these
 * bounds ends the run.
 *
 * @throws the error of the step that ended the run.
 */
export async function runTarget(
  ports: TargetPorts,
  settings: TargetRunSettings,
  fetched: FetchOutput,
  step: StepRunner = bare,
): Promise<TargetOutcome> {
  const { sealer, signer } = ports;
  const mappingId = settings.merge.mappingId;
  const where = { mappingId, namespace: settings.namespace, name: settings.name, type: settings.type };
  const { sealedData } = fetched;
  const planSettings = { options: settings.merge, restartTargets: parseWorkloads(settings.restart).map((w) => w.ref) };
  let conflicts = 0;
  let written: Omit<TargetOutcome, 'restarted'>;
  for (;;) {
    try {
      // ReadSecret reads and plans in one call, as its function does (readAndPlan), keeping what it read.
      const { observed, plan } = await reauthorized(() =>
        step('ReadSecret', async () => {
          const read = await readSecret({ sealer, signer, kubernetes: ports.secrets }, { mappingId }, { sealedData });
          return {
            observed: read,
            plan: await planSync(ports, planSettings, { source: fetched.source, observed: read }),
          };
        }),
      );
      if (!settings.write || !WRITE_ACTIONS.has(plan.action)) {
        written = { observed, plan };
        break;
      }
      const applyPorts = { sealer, signer, kubernetes: ports.secrets, randomBytes: ports.randomBytes };
      const applied = await reauthorized(() =>
        step('ApplySecret', () => applyPlan(applyPorts, where, { plan, sealedData })),
      );
      written = { observed, plan, applied };
      break;
    } catch (e) {
      if (e instanceof ConflictError && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
      throw e;
    }
  }
  // RestartNeeded: only after a write that changed data (ApplySecret's restart, set from the plan's restart list,
  // which ReadSecret's plan fills only then): the state machine reads it from the write's result, not from the plan.
  if (written.applied?.restart !== true) return written;
  // The Lambda is given the execution's start time; here, the time the restart was first asked for.
  const requestedAt = ports.clock.now().toISOString();
  // No budget here (no execution's start time): the boundary after the write, as ApplySecret gives it.
  const window = settings.restartWindowSeconds ?? 0;
  const restartAt = restartAtAfterWrite(written.applied.action, window, ports.clock.now().getTime(), {});
  if (restartAt !== undefined) {
    await ports.sleep(Math.max(0, Date.parse(restartAt) - ports.clock.now().getTime()));
  }
  const applied = restartAt === undefined ? {} : { applied: { restartAt } };
  const restartSettings = {
    mappingId,
    targets: parseWorkloads(settings.restart),
    rolloutTimeoutSeconds: settings.rolloutTimeoutSeconds,
    where: settings.where,
  };
  const input = { versionId: fetched.source.versionId, requestedAt, ...applied };
  const restarted = await reauthorized(() =>
    step('RestartWorkloads', () => restartWorkloads({ signer, kubernetes: ports.workloads }, restartSettings, input)),
  );
  return { ...written, restarted };
}

/** Runs `run`, and again on a 401 at most {@link MAX_REAUTHS} times (the state machine's Retry on it). */
async function reauthorized<T>(run: () => Promise<T>): Promise<T> {
  for (let reauths = 0; ; reauths++) {
    try {
      return await run();
    } catch (e) {
      if (!(e instanceof UnauthorizedError) || reauths >= MAX_REAUTHS) throw e;
    }
  }
}
