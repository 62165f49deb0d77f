/**
 * The sync pipeline run in-process from a terminal, with the caller's
 * credentials: the very steps the Lambdas run (functions/steps), in the order,
 * with the conditions and the loop bounds of the one orchestration description
 * (functions/steps/orchestration.ts: a 409 goes back to the read, a 401 runs the
 * step again with a new token, a write whose plan lists workloads restarts them).
 * Each Kubernetes step signs its own token, as the functions do; no token is
 * sealed or passed between steps. No Step Functions
 * and no KMS: values are sealed with a key that exists only in this process's
 * memory (functions/adapters/memory-sealer.ts), and never printed. A mapping
 * with several targets is fetched once and then planned (and written) target
 * by target, as the state machine's Map state does (there in parallel); a
 * target's failure does not stop the others.
 */
import { setTimeout } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { Mapping, Target } from '../../infra/model/config.ts';
import { secretClient, workloadClient } from '../../functions/adapters/kube.ts';
import { memorySealer } from '../../functions/adapters/memory-sealer.ts';
import { existingSecret } from '../../functions/domain/observe.ts';
import { planOutcome } from '../../functions/domain/outcome.ts';
import { systemClock, type Sealer, type SecretStore } from '../../functions/domain/ports.ts';
import { REDRIVE_SOURCE } from '../../functions/domain/redrive.ts';
import { dataShapeOf } from '../../functions/domain/shape.ts';
import { STEP_STATE } from '../../functions/domain/sync-steps.ts';
import type { ExistingSecret, Observation } from '../../functions/domain/types.ts';
import type { SecretData, SourceVersion } from '../../functions/domain/types.ts';
import { type FetchOutput, fetchSecret } from '../../functions/steps/fetch.ts';
import {
  type RunnerState,
  runTarget,
  type StepOutputs,
  type StepRunner,
  type TargetPorts,
  type TargetRunSettings,
} from '../../functions/steps/orchestration.ts';
import type { PlanOutput } from '../../functions/steps/plan.ts';
import type { RestartOutput } from '../../functions/steps/restart.ts';
import { openData } from '../../functions/steps/sealed.ts';
import { openSource } from '../../functions/sources/open.ts';
import type { AwsSession } from './aws.ts';
import { requireToken, resolveKubeTarget, type KubeconfigFlags, type KubeTarget } from './cluster.ts';

/** One step as it ran: the state's name, its duration and a value-free outcome. */
export interface TraceRow {
  readonly state: string;
  readonly ms: number;
  readonly outcome: string;
  readonly failed: boolean;
}

/** What a run saw and did. `desired` and `existing` hold values: never print them. */
export interface PipelineRun {
  readonly trace: TraceRow[];
  source?: SourceVersion;
  desired?: SecretData;
  existing?: ExistingSecret | null;
  observed?: Observation;
  plan?: PlanOutput;
  target?: KubeTarget;
  applied?: { readonly action: string; readonly resourceVersion: string };
  /** The workloads restarted after the write (RestartWorkloads), when the plan asked for it. */
  restarted?: RestartOutput;
  /** The mapping's restartWindowSeconds, for the restart's trace line (the restart waited for its boundary). */
  restartWindowSeconds?: number;
}

/** Inputs of {@link runPipelines}. */
export interface PipelineOptions {
  readonly mapping: Mapping;
  readonly aws: AwsSession;
  readonly kube: KubeconfigFlags;
  /** Write the plan and restart its workloads (sync); false stops after ReadSecret's plan (plan, sync --dry-run). */
  readonly apply: boolean;
  /** Called as each step starts (progress display); `target` is absent for the shared FetchSecret. */
  readonly onStep?: (state: string, target?: Target) => void;
}

/** One target's run: its trace (the shared FetchSecret first) and what it did, or the error that ended it. */
export interface TargetRun {
  readonly target: Target;
  readonly run: PipelineRun;
  /** The step error that ended this target's run (the last trace row names the step). */
  readonly failure?: Error;
}

/** The execution input of a sync started from the CLI: it names no version, so the fetch reads AWSCURRENT. */
const CLI_INPUT = { event: { source: REDRIVE_SOURCE, 'detail-type': 'CLI sync', detail: {} }, attempt: 1 };

/**
 * Runs FetchSecret once, then ReadSecret (the read and the plan) and (with `apply`) ApplySecret for each of
 * `targets` in turn. A step error ends that target's run only (a FetchSecret error ends every target's).
 */
export async function runPipelines(opts: PipelineOptions, targets: readonly Target[]): Promise<TargetRun[]> {
  const sealer = memorySealer();
  const fetchTrace: TraceRow[] = [];
  const fetchRun: PipelineRun = { trace: fetchTrace };
  let fetched: FetchOutput;
  try {
    fetched = await traced(fetchRun, (s) => opts.onStep?.(s))(
      STEP_STATE['fetch-secret'],
      () => fetchCurrent(opts.mapping, opts.aws, sealer),
      (f) => `version ${f.source.versionId} (${f.source.createdDate}), ${f.keys.count} keys`,
    );
  } catch (e) {
    return targets.map((target) => ({ target, run: { trace: [...fetchTrace] }, failure: e as Error }));
  }
  // The plan view shows masked values: this process sealed them, so it may open them.
  const desired = await openData(sealer, opts.mapping.id, fetched.sealedData);
  const runs: TargetRun[] = [];
  for (const target of targets) {
    const run: PipelineRun = { trace: [...fetchTrace], source: fetched.source, desired };
    try {
      await pipeline(
        opts,
        target,
        run,
        traced(run, (s) => opts.onStep?.(s, target)),
        sealer,
        fetched,
      );
      runs.push({ target, run });
    } catch (e) {
      runs.push({ target, run, failure: e as Error });
    }
  }
  return runs;
}

/** A step runner that records each step of `run` in its trace. */
function traced(run: PipelineRun, onStep: (state: string) => void): Step {
  return async (state, fn, outcome) => {
    onStep(state);
    const started = performance.now();
    try {
      const result = await fn();
      run.trace.push({ state, ms: Math.round(performance.now() - started), outcome: outcome(result), failed: false });
      return result;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const ms = Math.round(performance.now() - started);
      run.trace.push({ state, ms, outcome: `failed: ${err.name}`, failed: true });
      throw err;
    }
  };
}

/** Runs one step of a run: `fn`, with `outcome` its trace line (as {@link traced} records it). */
export type Step = <T>(state: string, fn: () => Promise<T>, outcome: (t: T) => string) => Promise<T>;

/**
 * The trace's outcome line of each step's output (a step without one shows `done`). ReadSecret's line shows the
 * read and the plan made from it, as the read-secret function returns it (functions/steps/read.ts readAndPlan).
 */
const OUTCOMES: {
  readonly [S in RunnerState]?: (output: StepOutputs[S], target: Target, run: PipelineRun) => string;
} = {
  ReadSecret: ({ observed: o, plan }) => {
    const read = o.exists ? `exists at resourceVersion ${o.resourceVersion}` : 'absent';
    return `${read}, plan: ${planOutcome(plan)}`;
  },
  ApplySecret: (a) => `${a.action}d, resourceVersion ${a.resourceVersion}`,
  RestartWorkloads: (r, _target, run) => {
    const window = run.restartWindowSeconds ? `, the boundary of its ${run.restartWindowSeconds} s restart window` : '';
    const rolled = r.rolledOut ? ', rolled out' : '';
    return `restarted ${r.workloads.join(', ')} (restartedAt ${r.restartedAt}${window})${rolled}`;
  },
};

/** Where a run keeps a step's output (the JSON output and the plan view read it); other steps keep nothing. */
const KEEP: { readonly [S in RunnerState]?: (run: PipelineRun, output: StepOutputs[S]) => void } = {
  ReadSecret: (run, o) => {
    run.observed = o.observed;
    run.plan = o.plan;
  },
  ApplySecret: (run, a) => {
    run.applied = { action: a.action, resourceVersion: a.resourceVersion };
  },
  RestartWorkloads: (run, r) => {
    run.restarted = r;
  },
};

/** One target's run through the one orchestration (functions/steps/orchestration.ts), with the CLI's ports. */
async function pipeline(
  opts: PipelineOptions,
  target: Target,
  run: PipelineRun,
  step: Step,
  sealer: Sealer,
  fetched: FetchOutput,
): Promise<void> {
  const { mapping: m, aws } = opts;
  const kube = () => run.target!;
  const ports: TargetPorts = {
    sealer,
    signer: {
      mint: async () => {
        run.target = await resolveKubeTarget(target.cluster, aws, opts.kube);
        return { token: requireToken(run.target), expiresAt: run.target.expiresAt ?? '' };
      },
    },
    // Built per bearer: the target's server is known once the step's signer has resolved it.
    secrets: (bearer) => secretStore(target, run)(bearer),
    workloads: (bearer) =>
      workloadClient(
        { server: kube().server, caPem: kube().caPem, namespace: target.namespace },
        bearer,
        kube().identity,
      ),
    clock: systemClock,
    sleep: setTimeout,
    randomBytes,
  };
  const settings = runSettings(m, target, opts.apply);
  run.restartWindowSeconds = m.restartWindowSeconds;
  await recordTarget(ports, settings, fetched, target, run, step);
}

/** A target's settings as its functions receive them: the mapping's options with the target's overrides. */
export function runSettings(m: Mapping, target: Target, write: boolean): TargetRunSettings {
  const { prune, type, labels, annotations, deletionPolicy } = target;
  return {
    merge: { mappingId: m.id, prune, type, labels, annotations, deletionPolicy, adopt: m.adopt },
    namespace: target.namespace,
    name: target.secretName,
    type,
    restart: target.restart,
    rolloutTimeoutSeconds: m.rolloutTimeoutSeconds,
    restartWindowSeconds: m.restartWindowSeconds,
    where: `cluster ${target.cluster.name}, namespace ${target.namespace}`,
    write,
  };
}

/**
 * One target's run through the one orchestration (functions/steps/orchestration.ts) with `ports`, recorded in
 * `run`: each step through `step` (its trace row), the outputs the views read, and as `run.existing` the Secret
 * ReadSecret read. Any other GET of the Secret in the run (the adopting write's, which reads the live managedFields;
 * a read-back after the write) does not replace it: the plan view's NOW column is the Secret the plan was made from.
 *
 * ReadSecret reads and plans, as its function does: its row's time and line take in both, and `run.plan` is its plan,
 * so a run that fails at the write still shows what it was about to write. The run's outcome, once it ends, is kept.
 */
export async function recordTarget(
  ports: TargetPorts,
  settings: TargetRunSettings,
  fetched: FetchOutput,
  target: Target,
  run: PipelineRun,
  step: Step,
): Promise<void> {
  // The Secret as the last GET found it; taken as ReadSecret's read when that step ends.
  let lastGet: ExistingSecret | null = null;
  const watched: TargetPorts = {
    ...ports,
    secrets: (bearer) => {
      const store = ports.secrets(bearer);
      return {
        ...store,
        get: async () => {
          const secret = await store.get();
          lastGet = existingSecret(secret);
          return secret;
        },
      };
    },
  };
  const record: StepRunner = async <S extends RunnerState>(state: S, fn: () => Promise<StepOutputs[S]>) => {
    // The tables are indexed by `state` and called with its own step's output: one state's entry, one type.
    const line = OUTCOMES[state] as ((o: StepOutputs[S], t: Target, r: PipelineRun) => string) | undefined;
    const keep = KEEP[state] as ((r: PipelineRun, o: StepOutputs[S]) => void) | undefined;
    const reads = state === STEP_STATE['read-secret'];
    if (reads) run.plan = undefined;
    const output = await step(state, fn, (o) => line?.(o, target, run) ?? 'done');
    if (reads) run.existing = lastGet;
    keep?.(run, output);
    return output;
  };
  const outcome = await runTarget(watched, settings, fetched, record);
  run.plan = outcome.plan;
}

/** The fetch step with the caller's credentials, through the mapping's source provider; the current version. */
async function fetchCurrent(m: Mapping, aws: AwsSession, sealer: Sealer): Promise<FetchOutput> {
  const { source, close } = openSource(m.source, await aws.config());
  try {
    const ports = { source, sealer, clock: systemClock };
    const settings = { mappingId: m.id, secretArn: m.secretArn, type: m.type, shape: dataShapeOf(m), label: m.label };
    return await fetchSecret(ports, settings, CLI_INPUT);
  } finally {
    close();
  }
}

/** The target's Secret, as the bearer of a token (the server the step's signer resolved). */
function secretStore(t: Target, run: PipelineRun): (bearer: string) => SecretStore {
  const target = run.target!;
  const location = { server: target.server, caPem: target.caPem, namespace: t.namespace, name: t.secretName };
  return (bearer) => secretClient(location, bearer, target.identity);
}

/** The trace as aligned text, like testbed/trace.ts's formatTrace. */
export function formatTrace(
  rows: readonly TraceRow[],
  paint: (row: TraceRow, text: string) => string = (_r, t) => t,
): string {
  const w = Math.max(...rows.map((r) => r.state.length), 5);
  const lines = rows.map((r) => `  ${r.state.padEnd(w)}  ${String(r.ms).padStart(5)} ms  ${paint(r, r.outcome)}`);
  return `${lines.join('\n')}\n`;
}
